using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using MovieRec.Api.Hosting;

namespace MovieRec.Api.Extensions;

/// <summary>
/// Rate limiting per client address (ASP.NET Core's limiter: a generous fixed window for the API, a strict one for
/// <c>/admin</c>, none for <c>/health</c>) and CORS for the origins in <c>MovieRec:Cors:AllowedOrigins</c>.
/// </summary>
public static class TrafficExtensions
{
    public const string CorsSection = $"{MovieRecOptions.Section}:Cors:AllowedOrigins";

    public static WebApplicationBuilder AddMovieRecTraffic(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(Partition);
            o.OnRejected = RejectAsync;
        });

        string[] origins = AllowedOrigins(builder.Configuration);
        if (origins.Length > 0)
        {
            builder.Services.AddCors(o => o.AddDefaultPolicy(p => p.WithOrigins(origins).AllowAnyHeader().AllowAnyMethod().WithExposedHeaders("Retry-After")));
        }

        return builder;
    }

    /// <summary>CORS (when origins are configured), then the rate limiter, so a 429 still carries the CORS headers.</summary>
    public static WebApplication UseMovieRecTraffic(this WebApplication app)
    {
        if (AllowedOrigins(app.Configuration).Length > 0)
        {
            app.UseCors();
        }

        app.UseRateLimiter();
        return app;
    }

    private static string[] AllowedOrigins(IConfiguration configuration) =>
        [.. (configuration.GetSection(CorsSection).Get<string[]>() ?? []).Where(o => !string.IsNullOrWhiteSpace(o)).Select(o => o.Trim().TrimEnd('/'))];

    private static RateLimitPartition<string> Partition(HttpContext context)
    {
        RateLimitOptions options = context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
        PathString path = context.Request.Path;
        if (!options.Enabled || path.StartsWithSegments("/health"))
        {
            return RateLimitPartition.GetNoLimiter("unlimited");
        }

        string client = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        return path.StartsWithSegments("/admin")
            ? RateLimitPartition.GetFixedWindowLimiter("admin " + client, _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = options.AdminPermitsPerMinute,
                Window = TimeSpan.FromMinutes(1),
                QueueLimit = 0,
            })
            : RateLimitPartition.GetFixedWindowLimiter("api " + client, _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = options.PermitsPerSecond,
                Window = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
            });
    }

    private static async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        HttpContext context = rejected.HttpContext;
        RateLimitOptions options = context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
        int seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out TimeSpan wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
        bool admin = context.Request.Path.StartsWithSegments("/admin");
        string limit = admin ? $"{options.AdminPermitsPerMinute} requests a minute on /admin" : $"{options.PermitsPerSecond} requests a second";
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails =
            {
                Status = StatusCodes.Status429TooManyRequests,
                Title = "Too many requests",
                Detail = $"This client address is over its limit of {limit}; retry after {seconds} s.",
                Extensions = { ["retryAfterSeconds"] = seconds },
            },
        }).ConfigureAwait(false);
    }
}
