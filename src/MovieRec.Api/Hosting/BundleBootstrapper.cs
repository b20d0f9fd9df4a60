using Microsoft.Extensions.Options;
using MovieRec.Core.Data;
using MovieRec.Core.Training;

namespace MovieRec.Api.Hosting;

/// <summary>
/// Loads the bundle after the host has started, so <c>/health/live</c> answers at once. On a first start (no bundle
/// in the models folder) it trains the default models from the dataset folder, downloading ml-latest-small (or the
/// dataset the folder is named after) when allowed and absent; <c>/health/ready</c> turns healthy when a bundle serves.
/// </summary>
public sealed partial class BundleBootstrapper(ModelHost host, IOptions<MovieRecOptions> options, IHttpClientFactory http, ILogger<BundleBootstrapper> logger)
    : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Run(() => RunAsync(stoppingToken), stoppingToken);

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        try
        {
            if (!host.HasPublishedBundle())
            {
                MovieRecOptions o = options.Value;
                if (!o.TrainOnFirstStart)
                {
                    LogNoBundle(logger, host.ModelsPath);
                    return;
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

            await host.ReloadAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // A failed first load must not stop the host: /health/ready stays unhealthy and says why in the log.
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogFailed(logger, e, host.ModelsPath);
        }
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "No model bundle in {ModelsPath} and first-start training is off: not ready until one is published and reloaded")]
    private static partial void LogNoBundle(ILogger logger, string modelsPath);

    [LoggerMessage(Level = LogLevel.Information, Message = "First start: no bundle in {ModelsPath}; training {Models} from {DataPath}")]
    private static partial void LogTraining(ILogger logger, string modelsPath, string dataPath, string models);

    [LoggerMessage(Level = LogLevel.Information, Message = "First start: {Progress}")]
    private static partial void LogProgress(ILogger logger, string progress);

    [LoggerMessage(Level = LogLevel.Information, Message = "First start: downloading {Dataset} from {Url} into {Folder}")]
    private static partial void LogDownloading(ILogger logger, string dataset, Uri url, string folder);

    [LoggerMessage(Level = LogLevel.Information, Message = "First start: downloaded {Done} of {Total} bytes")]
    private static partial void LogDownloadProgress(ILogger logger, long done, long? total);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not load or train a model bundle in {ModelsPath}; the service is not ready")]
    private static partial void LogFailed(ILogger logger, Exception exception, string modelsPath);
}
