using System.CommandLine;
using System.Diagnostics;
using MovieRec.Core.Artifacts;
using MovieRec.Core.Data;
using Spectre.Console;

namespace MovieRec.Cli;

/// <summary><c>movierec data export --parquet</c> and <c>movierec import spark-als</c>: the way to and from Spark.</summary>
internal static class SparkCommands
{
    public static Command Export(IAnsiConsole console)
    {
        Argument<string?> folder = CliApp.FolderArgument();
        var parquet = new Option<string>("--parquet") { Description = "Folder to write ratings.parquet into (userId int, movieId int, rating float, timestamp long)", Required = true };
        var command = new Command("export", "Write a dataset's ratings as Parquet, for a Spark job (spark/als.py).") { folder, parquet };
        command.SetAction(parse => CliApp.Guard(console, () =>
        {
            string path = CliApp.ResolveFolder(parse.GetValue(folder));
            var clock = Stopwatch.StartNew();
            MovieLensDataset dataset = MovieLensLoader.Load(path, new LoadOptions { IncludeMetadata = false });
            string file = ParquetRatings.Write(parse.GetValue(parquet)!, dataset.Ratings);
            console.MarkupLineInterpolated($"[green]ok:[/] wrote {dataset.Ratings.Length:N0} ratings to {file} ({new FileInfo(file).Length / 1e6:0.0} MB) in {clock.Elapsed.TotalSeconds:0.00} s");
            return 0;
        }));
        return command;
    }

    public static Command Import(IAnsiConsole console)
    {
        var modelDir = new Argument<string>("model-dir") { Description = "A folder written by Spark's ALSModel.save (metadata/, userFactors/, itemFactors/)" };
        var output = new Option<string>("--out") { Description = "Models folder (default: $MOVIEREC_MODELS, else models)", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("MOVIEREC_MODELS") is { Length: > 0 } env ? env : "models" };
        var data = new Option<string?>("--data") { Description = "The MovieLens folder Spark trained on: the bundle then holds its ratings and catalogue (rated movies are left out of recommendations)" };
        var keep = new Option<int>("--keep") { Description = "Bundles to keep, the new one included", DefaultValueFactory = _ => 3 };
        var sparkAls = new Command("spark-als", "Import a Spark MLlib ALS model (ALSModel.save folder) as a served bundle with checksums and manifest.") { modelDir, output, data, keep };
        sparkAls.SetAction(parse => CliApp.Guard(console, () =>
        {
            MovieLensDataset? dataset = parse.GetValue(data) is { Length: > 0 } folder ? MovieLensLoader.Load(folder) : null;
            string bundle = SparkAls.Import(parse.GetValue(modelDir)!, parse.GetValue(output)!, dataset, parse.GetValue(keep));
            console.MarkupLineInterpolated($"[green]ok:[/] published {bundle} (model '{SparkAls.ModelName}')");
            return 0;
        }));
        return new Command("import", "Import models trained elsewhere.") { sparkAls };
    }
}
