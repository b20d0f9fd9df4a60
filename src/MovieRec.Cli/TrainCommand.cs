using System.CommandLine;
using MovieRec.Core.Artifacts;
using MovieRec.Core.Data;
using Spectre.Console;

namespace MovieRec.Cli;

/// <summary><c>movierec train</c>: fit models on all ratings and publish a bundle the API serves.</summary>
internal static class TrainCommand
{
    public const string DefaultModels = BundleTrainer.DefaultModels;

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
            if (parse.GetValue(keep) < 1)
            {
                throw new ArgumentException($"--keep must be at least 1 (it counts the new bundle), not {parse.GetValue(keep)}.");
            }

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

    public static IReadOnlyList<string> ParseModels(string names) => BundleTrainer.ParseModels(names);

    /// <summary>Fits each model on all ratings (and, with <paramref name="evaluate"/>, on a 90% split to measure it) and publishes the bundle.</summary>
    public static string Train(MovieLensDataset dataset, IReadOnlyList<string> names, string output, bool evaluate, int keep, int seed, Action<string> log) =>
        BundleTrainer.Train(dataset, names, output, evaluate, keep, seed, log);
}
