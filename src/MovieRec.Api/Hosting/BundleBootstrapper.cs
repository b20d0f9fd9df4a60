using Microsoft.Extensions.Options;
using MovieRec.Core.Data;
using MovieRec.Core.Training;

namespace MovieRec.Api.Hosting;

/// <summary>
/// Loads the bundle after the host has started, so <c>/health/live</c> answers at once. On a first start (no bundle
/// in the models folder) it trains the default models from the dataset folder, downloading ml-latest-small (or the
/// dataset the folder is named after) when allowed and absent; <c>/health/ready</c> turns healthy when a bundle serves.
/// A failed attempt (offline, no dataset, a broken bundle) is not the end: <c>/health/ready</c> reports Unhealthy with
/// the reason, and the attempt repeats with a doubling delay (<see cref="MovieRecOptions.FirstStartRetrySeconds"/>,
/// at most <see cref="MaxRetryDelay"/>) until a bundle serves, also one published and reloaded meanwhile.
/// </summary>
public sealed partial class BundleBootstrapper(
    ModelHost host, StartupState state, IOptions<MovieRecOptions> options, IHttpClientFactory http, ILogger<BundleBootstrapper> logger)
    : BackgroundService
{
    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMinutes(10);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Run(() => RunAsync(stoppingToken), stoppingToken);

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        MovieRecOptions o = options.Value;
        TimeSpan delay = TimeSpan.FromSeconds(o.FirstStartRetrySeconds);
        for (int attempt = 1; host.Current is null; attempt++)
        {
            try
            {
                await LoadOrTrainAsync(o, stoppingToken).ConfigureAwait(false);
                state.Succeeded();
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (NoBundleException e)
            {
                state.Failed(attempt, e.Message, delay);
                LogNoBundle(logger, host.ModelsPath, delay.TotalSeconds);
            }
#pragma warning disable CA1031 // A failed start must not stop the host: /health/ready reports why, and the attempt repeats.
            catch (Exception e)
#pragma warning restore CA1031
            {
                state.Failed(attempt, e.Message, delay);
                LogFailed(logger, e, host.ModelsPath, attempt, delay.TotalSeconds);
            }

            try
            {
                await Task.Delay(delay, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
        }

        state.Succeeded();
    }

    private async Task LoadOrTrainAsync(MovieRecOptions o, CancellationToken stoppingToken)
    {
        if (!host.HasPublishedBundle())
        {
            if (!o.TrainOnFirstStart)
            {
                throw new NoBundleException(
                    $"No model bundle in {host.ModelsPath} and first-start training is off (MovieRec:TrainOnFirstStart): publish one with 'movierec train'.");
            }

            string data = await EnsureDatasetAsync(o, stoppingToken).ConfigureAwait(false);
            LogTraining(logger, host.ModelsPath, data, o.FirstStartModels);
            MovieLensDataset dataset = MovieLensLoader.Load(data);
            BundleTrainer.Train(dataset, new BundleTrainingOptions
            {
                Models = BundleTrainer.ParseModels(o.FirstStartModels),
                Output = host.ModelsPath,
                Log = line => LogProgress(logger, line),
                Training = new Core.Models.TrainingOptions { CancellationToken = stoppingToken },
            });
        }

        await host.LoadAtStartAsync(stoppingToken).ConfigureAwait(false);
    }

    private async Task<string> EnsureDatasetAsync(MovieRecOptions o, CancellationToken cancellationToken)
    {
        string folder = Path.GetFullPath(o.DataPath);
        if (Directory.Exists(folder))
        {
            return folder;
        }

        string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(folder));
        DatasetInfo? info = DatasetCatalog.All.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase));
        if (!o.AllowDownload || info is null)
        {
            throw new DirectoryNotFoundException(
                $"Dataset folder {folder} does not exist{(info is null ? " and is not named after a downloadable dataset" : " and downloads are off (MovieRec:AllowDownload)")}.");
        }

        LogDownloading(logger, info.Name, info.Url, folder);
        long lastReported = 0;
        var progress = new Progress<(long Done, long? Total)>(p =>
        {
            if (p.Done - lastReported >= 256 * 1024 || p.Done == p.Total)
            {
                lastReported = p.Done;
                LogDownloadProgress(logger, p.Done, p.Total);
            }
        });
        return await new DatasetDownloader(http.CreateClient(nameof(BundleBootstrapper)))
            .FetchAsync(info, Path.GetDirectoryName(folder)!, progress: progress, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "No model bundle in {ModelsPath} and first-start training is off: not ready; looking again in {RetrySeconds} s")]
    private static partial void LogNoBundle(ILogger logger, string modelsPath, double retrySeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "First start: no bundle in {ModelsPath}; training {Models} from {DataPath}")]
    private static partial void LogTraining(ILogger logger, string modelsPath, string dataPath, string models);

    [LoggerMessage(Level = LogLevel.Information, Message = "First start: {Progress}")]
    private static partial void LogProgress(ILogger logger, string progress);

    [LoggerMessage(Level = LogLevel.Information, Message = "First start: downloading {Dataset} from {Url} into {Folder}")]
    private static partial void LogDownloading(ILogger logger, string dataset, Uri url, string folder);

    [LoggerMessage(Level = LogLevel.Information, Message = "First start: downloaded {Done} of {Total} bytes")]
    private static partial void LogDownloadProgress(ILogger logger, long done, long? total);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not load or train a model bundle in {ModelsPath} (attempt {Attempt}); the service is not ready; retrying in {RetrySeconds} s")]
    private static partial void LogFailed(ILogger logger, Exception exception, string modelsPath, int attempt, double retrySeconds);

    /// <summary>Nothing to serve and nothing to train from, by configuration: a state to report, not a fault.</summary>
    private sealed class NoBundleException(string message) : Exception(message);
}
