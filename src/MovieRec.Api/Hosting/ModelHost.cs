using System.Diagnostics;
using Microsoft.Extensions.Options;
using MovieRec.Core.Artifacts;

namespace MovieRec.Api.Hosting;

/// <summary>
/// Holds the bundle being served. A request reads <see cref="Current"/> once and uses that bundle throughout; a reload
/// builds the new bundle completely and then swaps one reference, so requests in flight finish on the old one. A failed
/// load leaves the old bundle serving. The first load (nothing served yet) takes the newest intact bundle when
/// <c>current</c> is missing, invalid or broken, with a warning (<see cref="BundleStore.LoadServable"/>); later reloads
/// load exactly what <c>current</c> names.
/// </summary>
public sealed partial class ModelHost(IOptions<MovieRecOptions> options, ILogger<ModelHost> logger) : IDisposable
{
    private readonly SemaphoreSlim _reloadGate = new(1, 1);
    private ServedBundle? _current;

    /// <summary>The bundle being served, or null before the first load.</summary>
    public ServedBundle? Current => Volatile.Read(ref _current);

    /// <summary>Recommendation cache hits and misses over every bundle served (read by <c>/metrics</c>).</summary>
    public RecommendationCacheCounters CacheCounters { get; } = new();

    public string ModelsPath => Path.GetFullPath(options.Value.ModelsPath);

    /// <summary>Whether the models folder has a published bundle (a <c>current</c> pointer, or a bundle folder to fall back to).</summary>
    public bool HasPublishedBundle() => BundleStore.HasBundle(ModelsPath);

    /// <summary>Loads the models folder's current bundle and serves it; throws (and keeps the old bundle) when it cannot.</summary>
    public Task<ReloadOutcome> ReloadAsync(CancellationToken cancellationToken = default) =>
        LoadAsync(BundleStore.LoadCurrent, cancellationToken);

    /// <summary>
    /// The start-up load: the current bundle, or, when <c>current</c> is missing or broken, the newest intact bundle
    /// with a warning in the log (the pointer is left as it is).
    /// </summary>
    public Task<ReloadOutcome> LoadAtStartAsync(CancellationToken cancellationToken = default) =>
        LoadAsync(root => BundleStore.LoadServable(root, warning => LogFallback(logger, warning)), cancellationToken);

    private async Task<ReloadOutcome> LoadAsync(Func<string, ModelBundle> load, CancellationToken cancellationToken)
    {
        await _reloadGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ServedBundle? previous = Current;
            var clock = Stopwatch.StartNew();
            ServedBundle served;
            try
            {
                served = new ServedBundle(load(ModelsPath), options.Value.RecommendationCacheSize, CacheCounters);
            }
            catch (Exception e) when (e is not OperationCanceledException and not InvalidDataException and not IOException and not UnauthorizedAccessException)
            {
                // Whatever the exception says (a null list, duplicate ids), the bundle is unusable: say which, and keep serving.
                string folder = CurrentFolderOrRoot();
                LogLoadFailed(logger, e, folder, previous?.Id);
                throw new InvalidDataException($"Bundle {folder} cannot be served: {e.GetType().Name}: {e.Message}", e);
            }

            Volatile.Write(ref _current, served);
            double seconds = clock.Elapsed.TotalSeconds;
            LogLoaded(logger, served.Id, served.Bundle.Folder, string.Join(", ", served.ModelNames), seconds);
            return new ReloadOutcome(previous?.Id, served.Id, seconds);
        }
        finally
        {
            _reloadGate.Release();
        }
    }

    private string CurrentFolderOrRoot()
    {
        try
        {
            return BundleStore.CurrentFolder(ModelsPath) ?? ModelsPath;
        }
        catch (InvalidDataException)
        {
            return ModelsPath;
        }
    }

    public void Dispose() => _reloadGate.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Start-up load: {Warning}")]
    private static partial void LogFallback(ILogger logger, string warning);

    [LoggerMessage(Level = LogLevel.Information, Message = "Serving bundle {BundleId} from {Folder} (models {Models}), loaded in {Seconds:0.000} s")]
    private static partial void LogLoaded(ILogger logger, string bundleId, string folder, string models, double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Bundle {Folder} cannot be served; still serving {BundleId}")]
    private static partial void LogLoadFailed(ILogger logger, Exception exception, string folder, string? bundleId);
}

/// <summary>What a reload did.</summary>
public sealed record ReloadOutcome(string? PreviousBundleId, string BundleId, double LoadSeconds);
