using Microsoft.Extensions.Options;
using MovieRec.Core.Feedback;
using MovieRec.Core.Training;

namespace MovieRec.Api.Hosting;

/// <summary>
/// Trains a new bundle from the dataset plus every live rating, with the same Core trainer as <c>movierec train
/// --feedback</c>, publishes it atomically and swaps it in; serving continues on the old bundle meanwhile (training runs
/// in a child process at the lowest priority, <see cref="RetrainWorker"/>, or with <c>MovieRec:Retrain:Isolation</c> =
/// <c>thread</c> on one low-priority thread, <see cref="BackgroundScheduler"/>, so requests keep the cores first). Triggered by <c>MovieRec:Retrain:AfterRatings</c> changes since the
/// served bundle's watermark, by <c>MovieRec:Retrain:Interval</c>, or by <c>POST /admin/retrain</c>. One retrain at a time;
/// a failed one keeps the served bundle and records why.
/// </summary>
public sealed partial class Retrainer(ModelHost host, LiveFeedback feedback, IOptions<MovieRecOptions> options, ServiceMetrics metrics, ILogger<Retrainer> logger)
    : BackgroundService
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile RetrainStatus _status = new(false, null, null, null, null, null, null, null);
    private long _failedAtSequence = -1;
    private CancellationToken _stopping;

    public RetrainStatus Status => _status;

    /// <summary>Held while a retrain runs (one at a time).</summary>
    internal SemaphoreSlim Gate => _gate;

    /// <summary>Starts a retrain unless one is running; the task completes when it has finished (or null when one was running).</summary>
    public Task<RetrainStatus>? TryStart(string reason)
    {
        if (!_gate.Wait(0))
        {
            return null;
        }

        _status = _status with { Running = true, Reason = reason, StartedAt = DateTimeOffset.UtcNow };
        metrics.RetrainStarted();
        return Task.Run(() => RunAsync(reason), CancellationToken.None);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        RetrainOptions o = options.Value.Retrain;
        if (o.AfterRatings <= 0 && o.Interval <= TimeSpan.Zero)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                if (host.Current is not ServedBundle bundle || !feedback.IsOpen || _status.Running)
                {
                    continue;
                }

                long watermark = bundle.Bundle.Manifest.Feedback?.LastSequence ?? 0;
                long pending = feedback.LastSequence - watermark;
                if (pending <= 0 || feedback.LastSequence == Interlocked.Read(ref _failedAtSequence))
                {
                    continue;
                }

                if (o.AfterRatings > 0 && pending >= o.AfterRatings)
                {
                    _ = TryStart($"{pending} new live changes (MovieRec:Retrain:AfterRatings = {o.AfterRatings})");
                }
                else if (o.Interval > TimeSpan.Zero && DateTimeOffset.UtcNow - bundle.Bundle.Manifest.CreatedAt >= o.Interval)
                {
                    _ = TryStart($"{o.Interval} since the bundle was trained and {pending} new live changes (MovieRec:Retrain:Interval)");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task<RetrainStatus> RunAsync(string reason)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        string? previous = host.Current?.Id;
        // Training allocates large arrays; background (non-blocking) gen2 collections keep request pauses short meanwhile.
        System.Runtime.GCLatencyMode latency = System.Runtime.GCSettings.LatencyMode;
        System.Runtime.GCSettings.LatencyMode = System.Runtime.GCLatencyMode.SustainedLowLatency;
        try
        {
            LogStarted(logger, reason);
            MovieRecOptions o = options.Value;
            IReadOnlyList<LiveRating> live = await feedback.Store.GetChangesSinceAsync(0, _stopping).ConfigureAwait(false);
            string data = host.Current?.Bundle.Manifest.Dataset.Folder is { } folder && Directory.Exists(folder) ? folder : Path.GetFullPath(o.DataPath);
            IReadOnlyList<string> models = string.IsNullOrWhiteSpace(o.Retrain.Models)
                ? host.Current?.ModelNames ?? BundleTrainer.ParseModels(o.FirstStartModels)
                : BundleTrainer.ParseModels(o.Retrain.Models);
            long watermark = live.Count == 0 ? 0 : live.Max(r => r.Sequence);
            // One training thread (Threads = 1), so the fit takes at most one core and only what requests leave of it.
            var request = new RetrainWorker.Request(data, models, host.ModelsPath, feedback.Provider, "", 1);
            string published = o.Retrain.Isolation == RetrainIsolation.Process
                ? await RetrainWorker.TrainAsync(request, live, o.Retrain.Priority, line => LogProgress(logger, line), _stopping).ConfigureAwait(false)
                : await Task.Factory.StartNew(
                    () => RetrainWorker.Train(request, live, line => LogProgress(logger, line), _stopping),
                    _stopping, TaskCreationOptions.DenyChildAttach, BackgroundScheduler.Training).ConfigureAwait(false);
            ReloadOutcome outcome = await host.ReloadAsync(_stopping).ConfigureAwait(false);
            LogFinished(logger, outcome.BundleId, watermark, clock.Elapsed.TotalSeconds, Path.GetFileName(published));
            _status = new RetrainStatus(false, reason, _status.StartedAt, DateTimeOffset.UtcNow, true, outcome.BundleId, watermark, null)
            {
                Seconds = clock.Elapsed.TotalSeconds,
                PreviousBundleId = previous,
            };
            metrics.RetrainFinished(true, clock.Elapsed.TotalSeconds);
        }
#pragma warning disable CA1031 // A failed retrain must not stop the service: the served bundle stays and the status says why.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Interlocked.Exchange(ref _failedAtSequence, feedback.LastSequence);
            LogFailed(logger, e, host.Current?.Id);
            _status = new RetrainStatus(false, reason, _status.StartedAt, DateTimeOffset.UtcNow, false, host.Current?.Id, null,
                e is RetrainWorkerException ? e.Message : $"{e.GetType().Name}: {e.Message}")
            {
                Seconds = clock.Elapsed.TotalSeconds,
                PreviousBundleId = previous,
            };
            metrics.RetrainFinished(false, clock.Elapsed.TotalSeconds);
        }
        finally
        {
            System.Runtime.GCSettings.LatencyMode = latency;
            _gate.Release();
        }

        return _status;
    }

    public override void Dispose()
    {
        _gate.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retrain started: {Reason}")]
    private static partial void LogStarted(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Retrain: {Progress}")]
    private static partial void LogProgress(ILogger logger, string progress);

    [LoggerMessage(Level = LogLevel.Information, Message = "Retrain finished: serving bundle {BundleId} (feedback watermark {Watermark}) after {Seconds:0.0} s, published as {Folder}")]
    private static partial void LogFinished(ILogger logger, string bundleId, long watermark, double seconds, string folder);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retrain failed; bundle {BundleId} keeps serving")]
    private static partial void LogFailed(ILogger logger, Exception exception, string? bundleId);
}

/// <summary>The last (or running) retrain.</summary>
public sealed record RetrainStatus(
    bool Running, string? Reason, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, bool? Succeeded, string? BundleId, long? FeedbackWatermark, string? Error)
{
    public double? Seconds { get; init; }

    public string? PreviousBundleId { get; init; }
}
