using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using MovieRec.Api.Hosting;

namespace MovieRec.Api.Extensions;

/// <summary>Ready when a bundle is serving; otherwise Unhealthy saying why (loading, or the failed start-up and its next attempt).</summary>
internal sealed class BundleReadyCheck(ModelHost host, StartupState state) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(host.Current is ServedBundle bundle
            ? HealthCheckResult.Healthy($"serving bundle {bundle.Id}")
            : state.LastFailure is StartupFailure failure
                ? HealthCheckResult.Unhealthy(string.Create(CultureInfo.InvariantCulture,
                    $"start-up attempt {failure.Attempt} failed: {failure.Reason} Next retry at {failure.NextAttemptAt:HH:mm:ss} UTC."))
                : HealthCheckResult.Unhealthy("no model bundle loaded yet: loading or training"));
}
