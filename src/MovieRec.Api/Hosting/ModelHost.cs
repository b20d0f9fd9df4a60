using System.Diagnostics;
using Microsoft.Extensions.Options;
using MovieRec.Core.Artifacts;

namespace MovieRec.Api.Hosting;

/// <summary>
/// Holds the bundle being served. A request reads <see cref="Current"/> once and uses that bundle throughout; a reload
/// builds the new bundle completely and then swaps one reference, so requests in flight finish on the old one. A failed
/// load leaves the old bundle serving.
/// </summary>
public sealed partial class ModelHost(IOptions<MovieRecOptions> options, ILogger<ModelHost> logger) : IDisposable
{
    private readonly SemaphoreSlim _reloadGate = new(1, 1);
    private ServedBundle? _current;

    /// <summary>The bundle being served, or null before the first load.</summary>
    public ServedBundle? Current => Volatile.Read(ref _current);

    public string ModelsPath => Path.GetFullPath(options.Value.ModelsPath);

    /// <summary>Whether the models folder has a published bundle.</summary>
    public bool HasPublishedBundle() => BundleStore.CurrentFolder(ModelsPath) is not null;

    /// <summary>Loads the models folder's current bundle and serves it; throws (and keeps the old bundle) when it cannot.</summary>
    public async Task<ReloadOutcome> ReloadAsync(CancellationToken cancellationToken = default)
    {
        await _reloadGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ServedBundle? previous = Current;
            var clock = Stopwatch.StartNew();
            ModelBundle bundle = BundleStore.LoadCurrent(ModelsPath);
            var served = new ServedBundle(bundle, options.Value.RecommendationCacheSize);
            Volatile.Write(ref _current, served);
            double seconds = clock.Elapsed.TotalSeconds;
            LogLoaded(logger, served.Id, bundle.Folder, string.Join(", ", served.ModelNames), seconds);
            return new ReloadOutcome(previous?.Id, served.Id, seconds);
        }
        finally
        {
            _reloadGate.Release();
        }
    }

    public void Dispose() => _reloadGate.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "Serving bundle {BundleId} from {Folder} (models {Models}), loaded in {Seconds:0.000} s")]
    private static partial void LogLoaded(ILogger logger, string bundleId, string folder, string models, double seconds);
}

/// <summary>What a reload did.</summary>
public sealed record ReloadOutcome(string? PreviousBundleId, string BundleId, double LoadSeconds);
