using System.CommandLine;
using System.Diagnostics;
using MovieRec.Core.Data;
using MovieRec.Core.Synthetic;
using Spectre.Console;

namespace MovieRec.Cli;

/// <summary><c>movierec data synth</c>: synthetic ratings from a generator fitted to a real dataset.</summary>
internal static class SyntheticCommands
{
    public static Command Synth(IAnsiConsole console)
    {
        Argument<string?> folder = CliApp.FolderArgument();
        var output = new Option<string>("--out") { Description = "Folder to write the synthetic dataset into (ratings.csv, movies.csv, synthetic.json)", Required = true };
        var ratings = new Option<long?>("--ratings") { Description = "Ratings to generate (default: the source's mean per user times the users)" };
        var users = new Option<int?>("--users") { Description = "Users to generate (default: as many as the source, or --ratings over the source's mean per user)" };
        var movies = new Option<int?>("--movies") { Description = "Movies (default: the source's rated movies, which keeps the real catalogue; another number draws new movies)" };
        var seed = new Option<int>("--seed") { Description = "Seed: the same seed and source give the same files", DefaultValueFactory = _ => 42 };
        var threads = new Option<int>("--threads") { Description = "Worker threads (0: one per core); the output does not depend on it", DefaultValueFactory = _ => 0 };
        var force = new Option<bool>("--force") { Description = "Replace a dataset already in --out" };
        var command = new Command("synth", "Fit a generator to a real dataset and write a synthetic MovieLens-format folder.")
        {
            folder, output, ratings, users, movies, seed, threads, force,
        };
        command.SetAction(parse => CliApp.Guard(console, () =>
        {
            string source = CliApp.ResolveFolder(parse.GetValue(folder));
            string target = parse.GetValue(output)!;
            if (MovieLensLoader.TryDetectFormat(target) is not null && !parse.GetValue(force))
            {
                throw new ArgumentException($"'{target}' already holds a dataset; use --force to replace it, or choose another --out.");
            }

            if (Path.GetFullPath(target).TrimEnd('/') == Path.GetFullPath(source).TrimEnd('/'))
            {
                throw new ArgumentException("--out must not be the source folder.");
            }

            var clock = Stopwatch.StartNew();
            MovieLensDataset dataset = MovieLensLoader.Load(source);
            int seedValue = parse.GetValue(seed);
            SyntheticGenerator generator = SyntheticGenerator.Fit(dataset, seedValue);
            double fitSeconds = clock.Elapsed.TotalSeconds;
            SynthesisSize size = generator.Resolve(parse.GetValue(ratings), parse.GetValue(users), parse.GetValue(movies));
            console.MarkupLineInterpolated(
                $"Fitted to {dataset.Name} ({dataset.Ratings.Length:N0} ratings) in {fitSeconds:0.00} s; generating {size.Ratings:N0} ratings, {size.Users:N0} users, {size.Movies:N0} movies ...");
            SynthesisResult result = generator.Write(target, size, seedValue, parse.GetValue(threads), fitSeconds);
            console.MarkupLineInterpolated(
                $"[green]ok:[/] wrote {target} in {result.GenerateSeconds:0.00} s ({(result.RealMovies ? "the source's movies" : "generated movies")}); total {clock.Elapsed.TotalSeconds:0.00} s");
            return 0;
        }));
        return command;
    }
}
