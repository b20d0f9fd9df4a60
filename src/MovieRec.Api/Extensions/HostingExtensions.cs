using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http.Features;
using MovieRec.Api.Hosting;
using MovieRec.Core.Data;
using Serilog;

namespace MovieRec.Api.Extensions;

/// <summary>Registrations and middleware of the MovieRec service.</summary>
public static class HostingExtensions
{
    /// <summary>Environment variables that name the two folders, as the CLI reads them.</summary>
    private static readonly (string Variable, string Key)[] FolderVariables =
    [
        ("MOVIEREC_MODELS", $"{MovieRecOptions.Section}:{nameof(MovieRecOptions.ModelsPath)}"),
        (MovieLensLoader.DataEnvironmentVariable, $"{MovieRecOptions.Section}:{nameof(MovieRecOptions.DataPath)}"),
        ("MOVIEREC_STATE", $"{MovieRecOptions.Section}:{nameof(MovieRecOptions.StatePath)}"),
    ];

    public static WebApplicationBuilder AddMovieRec(this WebApplicationBuilder builder)
    {
        // MOVIEREC_MODELS / MOVIEREC_DATA sit below every other source, so MovieRec__ModelsPath, the command line and tests override them.
        var folders = new Dictionary<string, string?>();
        foreach ((string variable, string key) in FolderVariables)
        {
            if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value)
            {
                folders[key] = value;
            }
        }

        builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource { InitialData = folders });

        // Defaults in code so they hold whatever the working directory; the Serilog section of configuration overrides them.
        builder.Services.AddSerilog((services, logger) => logger
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft.AspNetCore", Serilog.Events.LogEventLevel.Warning)
            .MinimumLevel.Override("System.Net.Http", Serilog.Events.LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.Extensions.Http", Serilog.Events.LogEventLevel.Warning)
            // An unready service during first-start training is expected, not an error per probe.
            .MinimumLevel.Override("Microsoft.Extensions.Diagnostics.HealthChecks", Serilog.Events.LogEventLevel.Fatal)
            .ReadFrom.Configuration(builder.Configuration)
            .ReadFrom.Services(services)
            .Enrich.FromLogContext()
            // Console writes happen on a background thread, so a request never waits on stdout.
            .WriteTo.Async(sink => sink.Console(formatProvider: System.Globalization.CultureInfo.InvariantCulture)));

        builder.Services.AddOptions<MovieRecOptions>().BindConfiguration(MovieRecOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<ModelHost>();
        builder.Services.AddSingleton<LiveFeedback>();
        builder.Services.AddSingleton<ScoringGate>();
        builder.Services.AddSingleton<ApiKeyRing>();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ExperimentService>();
        builder.Services.AddSingleton<VariantModels>();
        // Before the bootstrapper, so the store is open (and migrated) before the first request or bundle.
        builder.Services.AddHostedService<LiveFeedbackService>();
        builder.Services.AddSingleton<DashboardCharts>();
        builder.Services.AddSingleton<StartupState>();
        builder.Services.AddHttpClient();
        builder.Services.AddHostedService<BundleBootstrapper>();
        builder.Services.AddSingleton<Retrainer>();
        builder.Services.AddHostedService(services => services.GetRequiredService<Retrainer>());
        builder.Services.AddHealthChecks().AddCheck<BundleReadyCheck>("bundle", tags: ["ready"]);

        builder.Services.AddProblemDetails();
        builder.Services.AddSingleton<IProblemDetailsWriter, ProblemDetailsFallbackWriter>();
        builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();
        // A client's malformed request is handled (400) and logged once by the request log at Information, not as an error.
        builder.Services.Configure<ExceptionHandlerOptions>(o => o.SuppressDiagnosticsCallback = c => c.Exception is BadHttpRequestException);
        // Binding failures (malformed JSON, a query value that is not a number) throw, so the handler can name the field.
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter());
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, Contracts.MovieRecJsonContext.Default);
        });

        long maxBody = builder.Configuration.GetValue<long?>($"{MovieRecOptions.Section}:{nameof(MovieRecOptions.MaxRequestBodyBytes)}")
            ?? new MovieRecOptions().MaxRequestBodyBytes;
        long maxBatch = builder.Configuration.GetValue<long?>($"{MovieRecOptions.Section}:{nameof(MovieRecOptions.MaxBatchBodyBytes)}")
            ?? new MovieRecOptions().MaxBatchBodyBytes;
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = Math.Max(maxBody, maxBatch));

        builder.AddMovieRecTraffic();
        builder.AddMovieRecMetrics();
        builder.AddMovieRecTracing();
        builder.Services.AddEndpointsApiExplorer();
        builder.Services.AddMovieRecSwagger();
        return builder;
    }

    /// <summary>Request logging, error handling, the body limit and Swagger, in that order.</summary>
    public static WebApplication UseMovieRec(this WebApplication app)
    {
        // Outermost, so the one request line sees the final status (a handled binding error is 400, not an exception
        // and "responded 500"). Client errors are Information; only 5xx is Error, and the exception handler logs the
        // stack trace of a real fault once.
        // The host's own logger, not the static Log.Logger, which the last host built in this process owns.
        Serilog.ILogger requestLogger = app.Services.GetRequiredService<Serilog.ILogger>();
        app.UseSerilogRequestLogging(o =>
        {
            o.GetLevel = RequestLogLevel;
            o.Logger = requestLogger;
        });
        app.UseMovieRecMetrics();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseMovieRecTraffic();
        app.UseMiddleware<RequestBodyLimit>();
        app.UseMiddleware<ApiKeyMiddleware>();
        ApiKeyRing ring = app.Services.GetRequiredService<ApiKeyRing>();
        if (ring.IsOpen)
        {
            app.Logger.LogWarning("No API key is configured (MovieRec:ApiKeys:<name>:Key or MovieRec:AdminApiKey): writes (ratings, events) are open to anyone who can reach this service");
        }
        app.UseMovieRecSwagger();
        return app;
    }

    /// <summary>
    /// Level of the request line: an exception, and 5xx other than 503, Error. 503 is this service's "not ready yet" (no
    /// bundle serves, or the feedback store is not open, while the service starts or first-start training runs; the
    /// start-up logs its own progress and failures): Warning for a request, Debug for a health probe, whose polls expect
    /// it. Health probes, metrics scrapes and successful reads (GET or HEAD below 400: recommendations, predictions, the
    /// catalogue, thousands a second, which <c>/metrics</c> counts and times) Debug; everything else, writes and client
    /// errors included, Information.
    /// </summary>
    internal static Serilog.Events.LogEventLevel RequestLogLevel(HttpContext context, double elapsedMs, Exception? error) =>
        error is not null ? Serilog.Events.LogEventLevel.Error
        : context.Request.Path.StartsWithSegments("/health") ? Serilog.Events.LogEventLevel.Debug
        : context.Response.StatusCode == StatusCodes.Status503ServiceUnavailable ? Serilog.Events.LogEventLevel.Warning
        : context.Response.StatusCode >= 500 ? Serilog.Events.LogEventLevel.Error
        : context.Request.Path.StartsWithSegments(MetricsExtensions.Path) ? Serilog.Events.LogEventLevel.Debug
        : (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)) && context.Response.StatusCode < 400
            ? Serilog.Events.LogEventLevel.Debug
        : Serilog.Events.LogEventLevel.Information;

    /// <summary>
    /// <c>/health/live</c> (the process answers) and <c>/health/ready</c> (a bundle is serving): plain text, "Healthy",
    /// or "Unhealthy: " and the reason (loading, or a failed start-up with its next retry). <c>/health</c>: the same state
    /// with its detail as JSON (<see cref="Apis.HealthApi"/>).
    /// </summary>
    public static IEndpointRouteBuilder MapMovieRecHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", Apis.HealthApi.GetHealth).WithTags("Health").WithName("GetHealth")
            .WithSummary("The service's state as JSON: ready, starting or not-ready (and why), the served bundle's id, models and age, the feedback store and the last retrain; 503 with the same body until a bundle serves")
            .Produces<Contracts.HealthResponse>(StatusCodes.Status503ServiceUnavailable);
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).WithTags("Health");
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = WriteHealthAsync })
            .WithTags("Health");
        return app;
    }

    private static Task WriteHealthAsync(HttpContext context, Microsoft.Extensions.Diagnostics.HealthChecks.HealthReport report)
    {
        context.Response.ContentType = "text/plain; charset=utf-8";
        string[] reasons = [.. report.Entries.Values
            .Where(e => e.Status != Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy && !string.IsNullOrEmpty(e.Description))
            .Select(e => e.Description!)];
        return context.Response.WriteAsync(reasons.Length == 0 ? report.Status.ToString() : $"{report.Status}: {string.Join(" ", reasons)}");
    }
}

/// <summary>Refuses bodies over <see cref="MovieRecOptions.MaxRequestBodyBytes"/> up front (Kestrel enforces the same limit on bodies without a length).</summary>
internal sealed class RequestBodyLimit(RequestDelegate next, Microsoft.Extensions.Options.IOptions<MovieRecOptions> options, IProblemDetailsService problems)
{
    public async Task InvokeAsync(HttpContext context)
    {
        long limit = context.GetEndpoint()?.Metadata.GetMetadata<Apis.BatchBodyLimit>() is null
            ? options.Value.MaxRequestBodyBytes
            : options.Value.MaxBatchBodyBytes;
        if (context.Request.ContentLength > limit)
        {
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            await problems.WriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails =
                {
                    Status = StatusCodes.Status413PayloadTooLarge,
                    Title = "Request body too large",
                    Detail = $"The request body is {context.Request.ContentLength} bytes; the limit is {limit} bytes.",
                },
            }).ConfigureAwait(false);
            return;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit;
        }

        await next(context).ConfigureAwait(false);
    }
}
