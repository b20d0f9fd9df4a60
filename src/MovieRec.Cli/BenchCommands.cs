using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MovieRec.Core.Data;
using MovieRec.Core.Synthetic;
using Spectre.Console;

namespace MovieRec.Cli;

/// <summary><c>movierec bench bigdata</c>: the seed's big-data rows on synthetic ratings.</summary>
internal static class BenchCommands
{
    public static Command Create(IAnsiConsole console) =>
        new("bench", "Benchmarks that need no extra tooling.")
        {
            BigData(console),
        };

    private static Command BigData(IAnsiConsole console)
    {
        Argument<string?> folder = CliApp.FolderArgument();
        var ratings = new Option<long>("--ratings") { Description = "Synthetic ratings to generate", DefaultValueFactory = _ => 500_000 };
        var users = new Option<int?>("--users") { Description = "Users (default: ratings / 154, ml-25m's ratings per user)" };
        var movies = new Option<int?>("--movies") { Description = "Movies (default: ratings / 423, ml-25m's ratings per movie, at most 59,047)" };
        var seed = new Option<int>("--seed") { Description = "Seed of the generator", DefaultValueFactory = _ => 42 };
        var json = new Option<string?>("--json") { Description = "Write the stages as JSON to this file" };
        var command = new Command("bigdata", "Generation, aggregation, join and filter, user-item matrix, item similarity and batch prediction on synthetic ratings, beside the seed's timings.")
        {
            folder, ratings, users, movies, seed, json,
        };
        command.SetAction(parse => CliApp.Guard(console, () =>
        {
            string source = CliApp.ResolveFolder(parse.GetValue(folder));
            MovieLensDataset dataset = MovieLensLoader.Load(source);
            int seedValue = parse.GetValue(seed);
            long n = parse.GetValue(ratings);
            if (n <= 0)
            {
                throw new ArgumentException("--ratings must be positive.");
            }

            SyntheticGenerator generator = SyntheticGenerator.Fit(dataset, seedValue);
            int u = parse.GetValue(users) ?? (int)Math.Max(1, Math.Round(n / 154.0));
            int m = parse.GetValue(movies) ?? (int)Math.Clamp(Math.Round(n / 423.0), 2, 59_047);
            SynthesisSize size = generator.Resolve(n, u, m);
            IReadOnlyList<Movie> catalogue = generator.Catalogue(size, seedValue);
            console.MarkupLineInterpolated($"Generator fitted to {dataset.Name}; {size.Ratings:N0} ratings, {size.Users:N0} users, {size.Movies:N0} movies, {Environment.ProcessorCount} cores");
            IReadOnlyList<BenchStage> stages = BigDataBenchmark.Run(generator, catalogue, size, seedValue,
                s => console.MarkupLineInterpolated($"[grey]{s.Name}: {s.Seconds:0.000} s[/]"));
            var table = new Table().AddColumns("stage", "MovieRec s", "seed s (500K, Polars)", "allocated MB", "peak RSS MB", "result");
            foreach (BenchStage s in stages)
            {
                table.AddRow(s.Name, F(s.Seconds), s.SeedSeconds is double seedS ? F(seedS) : "-", s.AllocatedMegabytes.ToString("0", CultureInfo.InvariantCulture),
                    s.PeakWorkingSetMegabytes.ToString("0", CultureInfo.InvariantCulture), Markup.Escape(s.Result));
            }

            console.Write(table);
            if (parse.GetValue(json) is { Length: > 0 } path)
            {
                File.WriteAllText(path, JsonSerializer.Serialize(new { size.Ratings, size.Users, size.Movies, seed = seedValue, cores = Environment.ProcessorCount, stages }, CliJson.Indented));
                console.MarkupLineInterpolated($"[green]ok:[/] wrote {path}");
            }

            return 0;
        }));
        return command;
    }

    private static string F(double seconds) => seconds.ToString("0.000", CultureInfo.InvariantCulture);
}
