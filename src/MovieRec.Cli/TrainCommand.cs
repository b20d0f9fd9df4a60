using System.CommandLine;
using System.Diagnostics;
using MovieRec.Core.Artifacts;
using MovieRec.Core.Data;
using MovieRec.Core.Evaluation;
using MovieRec.Core.Models;
using Spectre.Console;

namespace MovieRec.Cli;

/// <summary><c>movierec train</c>: fit models on all ratings and publish a bundle the API serves.</summary>
internal static class TrainCommand
{
    public const string DefaultModels = "baseline,popular,svd,implicit-als";

    public static Command Create(IAnsiConsole console)
    {
        Argument<string?> folder = CliApp.FolderArgument();
        var models = new Option<string>("--model", "-m") { Description = $"Comma-separated model names, or 'all' (default: {DefaultModels})", DefaultValueFactory = _ => DefaultModels };
        var output = new Option<string>("--out") { Description = "Models folder (default: $MOVIEREC_MODELS, else models)", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("MOVIEREC_MODELS") is { Length: > 0 } env ? env : "models" };
        var eval = new Option<bool>("--eval") { Description = "Also measure each model on a 10% holdout and record the metrics in the manifest" };
        var keep = new Option<int>("--keep") { Description = "Bundles to keep, the new one included", DefaultValueFactory = _ => 3 };
        var seed = new Option<int>("--seed") { Description = "Seed of the models and the holdout", DefaultValueFactory = _ => 42 };
        var skipInvalid = new Option<bool>("--skip-invalid") { Description = "Skip malformed rows (and report them) instead of stopping" };
        var command = new Command("train", "Train models on all ratings of a dataset and publish a model bundle.") { folder, models, output, eval, keep, seed, skipInvalid };
        command.SetAction(parse => CliApp.Guard(console, () =>
        {
            string path = CliApp.ResolveFolder(parse.GetValue(folder));
            MovieLensDataset dataset = MovieLensLoader.Load(path, new LoadOptions { SkipInvalid = parse.GetValue(skipInvalid) });
            DataCommands.PrintReport(console, dataset.Report);
            string bundle = Train(dataset, ParseModels(parse.GetValue(models)!), parse.GetValue(output)!, parse.GetValue(eval),
                parse.GetValue(keep), parse.GetValue(seed), line => console.MarkupLineInterpolated($"{line}"));
            console.MarkupLineInterpolated($"[green]ok:[/] published {bundle}");
            return 0;
        }));
        return command;
    }

    public static IReadOnlyList<string> ParseModels(string names) =>
        names.Trim().Equals("all", StringComparison.OrdinalIgnoreCase)
            ? ModelCatalog.Names
            : [.. names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    /// <summary>Fits each model on all ratings (and, with <paramref name="evaluate"/>, on a 90% split to measure it) and publishes the bundle.</summary>
    public static string Train(MovieLensDataset dataset, IReadOnlyList<string> names, string output, bool evaluate, int keep, int seed, Action<string> log)
    {
        var context = new ModelContext(seed, dataset.Movies, dataset.Tags);
        IRecommenderTrainer[] trainers = [.. names.Select(n => ModelCatalog.Create(n, context))];
        RatingMatrix all = RatingMatrix.Build(dataset.Ratings);
        DataSplit? holdout = evaluate ? Splitters.Holdout(dataset.Ratings, 0.1, seed) : null;
        RatingMatrix? holdoutTrain = holdout is null ? null : RatingMatrix.Build(holdout.Train);
        var trained = new List<TrainedModel>();
        foreach (IRecommenderTrainer trainer in trainers)
        {
            HoldoutMetrics? metrics = null;
            if (holdout is not null)
            {
                FoldResult r = CrossValidator.EvaluateOne(trainer, holdoutTrain!, holdout, new EvaluationOptions { K = 10 });
                metrics = new HoldoutMetrics(r.Rmse, r.Mae, r.Ranking?.Precision, r.Ranking?.Ndcg, 10);
                log(FormattableString.Invariant($"{trainer.Name}: holdout RMSE {r.Rmse:0.0000}, NDCG@10 {r.Ranking?.Ndcg:0.0000}"));
            }

            var clock = Stopwatch.StartNew();
            IRecommenderModel model = trainer.Fit(all);
            double seconds = clock.Elapsed.TotalSeconds;
            log(FormattableString.Invariant($"{trainer.Name}: trained on {all.Count:N0} ratings in {seconds:0.00} s"));
            trained.Add(new TrainedModel(model, trainer.GetType().GetProperty("Options")?.GetValue(trainer), seconds, metrics));
        }

        return BundleStore.Publish(output, dataset, all, trained, keep);
    }
}
