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
