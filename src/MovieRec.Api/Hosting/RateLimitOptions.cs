using System.ComponentModel.DataAnnotations;

namespace MovieRec.Api.Hosting;

/// <summary>
/// The <c>MovieRec:RateLimit</c> section: fixed windows per client address. The API default is far above what one
/// loopback client reaches (the wrk benchmarks run at about 30,000 requests/s), so it only stops floods; /admin is strict.
/// </summary>
public sealed class RateLimitOptions
{
    public const string Section = $"{MovieRecOptions.Section}:RateLimit";

    /// <summary>Turns the limiter off entirely.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Requests a second per client address on every endpoint but /admin and /health.</summary>
    [Range(1, int.MaxValue)]
    public int PermitsPerSecond { get; set; } = 200_000;

    /// <summary>Requests a minute per client address on /admin (wrong keys included).</summary>
    [Range(1, int.MaxValue)]
    public int AdminPermitsPerMinute { get; set; } = 30;
}
