using System.ComponentModel.DataAnnotations;

namespace MovieRec.Api.Hosting;

/// <summary><c>MovieRec:Metrics</c>: the Prometheus endpoint <c>/metrics</c>.</summary>
public sealed class MetricsOptions
{
    /// <summary>Serve <c>/metrics</c> and count requests; false removes both (no per-request work at all).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Require an admin key (<c>X-Api-Key</c>) on <c>/metrics</c>. Off by default: a scraper on the same port needs no key,
    /// whatever read keys are configured.
    /// </summary>
    public bool RequireAdminKey { get; set; }
}

/// <summary><c>MovieRec:Tracing</c>: OpenTelemetry traces exported over OTLP; off unless an endpoint is configured.</summary>
public sealed class TracingOptions
{
    public const string Section = $"{MovieRecOptions.Section}:Tracing";

    /// <summary>The standard OpenTelemetry variable, honoured when <see cref="OtlpEndpoint"/> is not set.</summary>
    public const string StandardEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>
    /// OTLP collector address, e.g. <c>http://collector:4318</c> (http/protobuf; traces go to <c>/v1/traces</c> under it) or
    /// <c>http://collector:4317</c> with <see cref="Protocol"/> <c>grpc</c>. Empty (and no <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>): tracing is off.
    /// </summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary><c>http/protobuf</c> (default) or <c>grpc</c>.</summary>
    [RegularExpression("^(http/protobuf|grpc)$", ErrorMessage = "MovieRec:Tracing:Protocol must be 'http/protobuf' or 'grpc'.")]
    public string Protocol { get; set; } = "http/protobuf";

    /// <summary>Share of requests traced (parent-based: a traced caller's decision is kept).</summary>
    [Range(0.0, 1.0)]
    public double SampleRatio { get; set; } = 1.0;

    /// <summary>The <c>service.name</c> resource attribute of the spans.</summary>
    [Required]
    public string ServiceName { get; set; } = "movierec";
}
