using Microsoft.Extensions.Diagnostics.HealthChecks;
using MovieRec.Api.Hosting;

namespace MovieRec.Api.Extensions;

/// <summary>Ready when a bundle is serving.</summary>
internal sealed class BundleReadyCheck(ModelHost host) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(host.Current is ServedBundle bundle
            ? HealthCheckResult.Healthy($"serving bundle {bundle.Id}")
            : HealthCheckResult.Unhealthy("no model bundle loaded yet"));
}
