using System.CommandLine;
using System.Globalization;
using MovieRec.Core.Models;
using MovieRec.Core.Data;
using MovieRec.Core.Feedback;
using MovieRec.Core.Training;
using MovieRec.Storage;
using Spectre.Console;

namespace MovieRec.Cli;

/// <summary><c>movierec train</c>: fit models on all ratings and publish a bundle the API serves.</summary>
internal static class TrainCommand
{
    public const string DefaultModels = BundleTrainingOptions.DefaultModelList;

    public static Command Create(IAnsiConsole console)
    {
        Argument<string?> folder = CliApp.FolderArgument();
        var models = new Option<string>("--model", "-m") { Description = $"Comma-separated model names, or 'all' (default: {DefaultModels})", DefaultValueFactory = _ => DefaultModels };
        var output = new Option<string>("--out") { Description = "Models folder (default: $MOVIEREC_MODELS, else models)", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("MOVIEREC_MODELS") is { Length: > 0 } env ? env : "models" };
        var eval = new Option<bool>("--eval") { Description = "Also measure each model on a 10% holdout and record the metrics in the manifest" };
        var keep = new Option<int>("--keep") { Description = "Bundles to keep, the new one included", DefaultValueFactory = _ => 3 };
        var seed = new Option<int>("--seed") { Description = "Seed of the models and the holdout", DefaultValueFactory = _ => 42 };
        var skipInvalid = new Option<bool>("--skip-invalid") { Description = "Skip malformed rows (and report them) instead of stopping" };
        var progress = new Option<bool>("--progress") { Description = "Print a line per epoch or iteration of each model (train loss where the model reports one, seconds since the last line)" };
        var feedback = new Option<string?>("--feedback")
        {
            Description = "Also train on the service's live ratings: a SQLite file (e.g. state/feedback.db) or a PostgreSQL connection (Host=...;Database=... or postgres://...)",
        };
        (Option<string[]> set, Option<string?> optionsFile) = ModelOptionsCli.Options();
        var command = new Command("train", "Train models on all ratings of a dataset and publish a model bundle.") { folder, models, set, optionsFile, output, eval, keep, seed, skipInvalid, feedback, progress };
        command.SetAction(parse => CliApp.Guard(console, () =>
        {
            if (parse.GetValue(keep) < 1)
            {
                throw new ArgumentException($"--keep must be at least 1 (it counts the new bundle), not {parse.GetValue(keep)}.");
            }

            string path = CliApp.ResolveFolder(parse.GetValue(folder));
            var options = new BundleTrainingOptions
            {
                Models = BundleTrainer.ParseModels(parse.GetValue(models)!),
                Output = parse.GetValue(output)!,
                Evaluate = parse.GetValue(eval),
                Keep = parse.GetValue(keep),
                Seed = parse.GetValue(seed),
                Overrides = ModelOptionsCli.Parse(parse, set, optionsFile),
                Log = line => console.MarkupLineInterpolated($"{line}"),
                Training = parse.GetValue(progress) ? new TrainingOptions { Progress = EpochLines(console) } : null,
            };

            // Unknown models and options, and out-of-range values, fail here, before any data is read.
            BundleTrainer.Resolve(options);
            MovieLensDataset dataset = MovieLensLoader.Load(path, new LoadOptions { SkipInvalid = parse.GetValue(skipInvalid) });
            DataCommands.PrintReport(console, dataset.Report);
            FeedbackWatermarkManifest? watermark = null;
            if (parse.GetValue(feedback) is { Length: > 0 } connection)
            {
                (dataset, watermark) = WithFeedback(dataset, connection);
                console.MarkupLineInterpolated(
                    $"feedback: {watermark.LiveRatings:N0} live ratings and {watermark.DeletedRatings:N0} deletions up to change {watermark.LastSequence} ({watermark.Provider}); training on {dataset.Ratings.Length:N0} ratings");
            }

            string bundle = BundleTrainer.Train(ref dataset, options with { Feedback = watermark });
            console.MarkupLineInterpolated($"[green]ok:[/] published {bundle}");
            return 0;
        }));
        return command;
    }

    /// <summary>One line per reported epoch: model, epoch of epochs, train loss, validation RMSE, seconds since the previous line.</summary>
    private static SynchronousProgress<TrainingProgress> EpochLines(IAnsiConsole console)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        return new SynchronousProgress<TrainingProgress>(p =>
        {
            double seconds = clock.Elapsed.TotalSeconds;
            clock.Restart();
            string loss = p.TrainLoss is double l ? FormattableString.Invariant($", train loss {l:0.0000}") : string.Empty;
            string validation = p.ValidationRmse is double v ? FormattableString.Invariant($", validation RMSE {v:0.0000}") : string.Empty;
            console.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"{p.Model}: epoch {p.Epoch}/{p.Epochs}{loss}{validation} ({seconds:0.000} s)");
        });
    }

    /// <summary>The dataset with the feedback store's live ratings applied, as the service's retrainer trains.</summary>
    public static (MovieLensDataset Dataset, FeedbackWatermarkManifest Watermark) WithFeedback(MovieLensDataset dataset, string connection)
    {
        (string provider, string connectionString) = FeedbackStoreFactory.Detect(connection);
        if (provider == FeedbackStoreFactory.Sqlite && !connectionString.Contains('=', StringComparison.Ordinal) && !File.Exists(connectionString))
        {
            throw new FileNotFoundException($"--feedback: the SQLite feedback file {Path.GetFullPath(connectionString)} does not exist.", connectionString);
        }

        try
        {
            return Task.Run(async () =>
            {
                await using IFeedbackStore store = await FeedbackStoreFactory.OpenAsync(provider, connectionString).ConfigureAwait(false);
                IReadOnlyList<LiveRating> live = await store.GetChangesSinceAsync(0).ConfigureAwait(false);
                return FeedbackTraining.WithLiveRatings(dataset, live, provider);
            }).GetAwaiter().GetResult();
        }
        catch (System.Data.Common.DbException e)
        {
            throw new IOException($"--feedback: could not read the {provider} feedback store: {e.Message}", e);
        }
    }
}
