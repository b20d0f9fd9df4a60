using MovieRec.Api.Hosting;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace MovieRec.Api.Extensions;

/// <summary>
/// OpenTelemetry tracing of requests, exported over OTLP, only when an endpoint is configured
/// (<c>MovieRec:Tracing:OtlpEndpoint</c>, or the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>). Otherwise nothing is
/// registered: no activity listener, so no span is sampled, built or exported.
/// </summary>
public static class TracingExtensions
{
    public static WebApplicationBuilder AddMovieRecTracing(this WebApplicationBuilder builder)
    {
        TracingOptions options = builder.Configuration.GetSection(TracingOptions.Section).Get<TracingOptions>() ?? new TracingOptions();
        bool own = !string.IsNullOrWhiteSpace(options.OtlpEndpoint);
        if (!own && string.IsNullOrWhiteSpace(builder.Configuration[TracingOptions.StandardEndpointVariable]))
        {
            return builder;
        }

        Uri? endpoint = null;
        OtlpExportProtocol protocol = options.Protocol == "grpc" ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;
        if (own)
        {
            if (!Uri.TryCreate(options.OtlpEndpoint, UriKind.Absolute, out Uri? address) || address.Scheme is not ("http" or "https"))
            {
                throw new Microsoft.Extensions.Options.OptionsValidationException(nameof(TracingOptions), typeof(TracingOptions),
                    [$"MovieRec:Tracing:OtlpEndpoint must be an absolute http(s) address such as http://collector:4318; it was '{options.OtlpEndpoint}'."]);
            }

            // A base address, as OTEL_EXPORTER_OTLP_ENDPOINT is: over http/protobuf the traces go to /v1/traces under it.
            endpoint = protocol == OtlpExportProtocol.HttpProtobuf ? new Uri(address.AbsoluteUri.TrimEnd('/') + "/v1/traces") : address;
        }

        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(options.ServiceName))
            .WithTracing(tracing => tracing
                .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(options.SampleRatio)))
                .AddAspNetCoreInstrumentation(a =>
                {
                    // Probes and scrapes every few seconds are noise in a trace store.
                    a.Filter = context => !context.Request.Path.StartsWithSegments("/health") && !context.Request.Path.StartsWithSegments(MetricsExtensions.Path);
                    a.EnrichWithHttpResponse = (activity, response) =>
                    {
                        if (response.HttpContext.Features.Get<MetricsExtensions.AnsweringModel>() is { } model)
                        {
                            activity.SetTag("movierec.model", model.Name);
                        }

                        if (response.HttpContext.RequestServices.GetService<ModelHost>()?.Current is { } bundle)
                        {
                            activity.SetTag("movierec.bundle_id", bundle.Id);
                        }
                    };
                })
                .AddOtlpExporter(exporter =>
                {
                    // Without MovieRec:Tracing:OtlpEndpoint the exporter follows the standard OTEL_EXPORTER_OTLP_* settings itself.
                    if (endpoint is not null)
                    {
                        exporter.Endpoint = endpoint;
                        exporter.Protocol = protocol;
                    }
                }));
        return builder;
    }
}
