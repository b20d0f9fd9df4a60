using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MovieRec.Core.Data;
using MovieRec.Core.Models;
using MovieRec.Core.Synthetic;
using Spectre.Console;

namespace MovieRec.Cli;

/// <summary><c>movierec data synth</c> and <c>data compare</c>: synthetic ratings from a generator fitted to a real dataset, and how they compare.</summary>
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

    public static Command Compare(IAnsiConsole console)
    {
        var real = new Argument<string>("real") { Description = "The real MovieLens folder" };
        var synthetic = new Argument<string>("synthetic") { Description = "The synthetic folder (e.g. written by 'data synth')" };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON" };
        var model = new Option<string>("--model") { Description = "Model trained for the utility measure", DefaultValueFactory = _ => "svd" };
        var seed = new Option<int>("--seed") { Description = "Seed of the holdout, samples and the membership-inference refit", DefaultValueFactory = _ => 42 };
        var command = new Command("compare", "Fidelity, utility and privacy of a synthetic dataset against the real one.") { real, synthetic, json, model, seed };
        command.SetAction(parse => CliApp.Guard(console, () =>
        {
            MovieLensDataset r = MovieLensLoader.Load(parse.GetValue(real)!);
            MovieLensDataset s = MovieLensLoader.Load(parse.GetValue(synthetic)!);
            ModelRegistry.Info(parse.GetValue(model)!);
            ComparisonReport report = SyntheticComparison.Compare(r, s, new ComparisonOptions { Seed = parse.GetValue(seed), Model = parse.GetValue(model)! });
            if (parse.GetValue(json))
            {
                console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(report, CliJson.Indented));
                return 0;
            }

            console.MarkupLineInterpolated(
                $"real {report.Real}: {report.RealRatings:N0} ratings, {report.RealUsers:N0} users, {report.RealMovies:N0} movies; synthetic {report.Synthetic}: {report.SyntheticRatings:N0}, {report.SyntheticUsers:N0}, {report.SyntheticMovies:N0} ({report.SharedMovieShare:P0} of its movies are real ones)");
            var fidelity = new Table().Title("Fidelity").AddColumns("measure", "statistic", "value", "meaning");
            foreach (FidelityMeasure f in report.Fidelity)
            {
                fidelity.AddRow(Markup.Escape(f.Name), Markup.Escape(f.Statistic), F(f.Value), Markup.Escape(f.Meaning));
            }

            console.Write(fidelity);
            if (report.Utility is UtilityReport u)
            {
                var utility = new Table().Title($"Utility ({Markup.Escape(u.Model)}, {u.TestRatings:N0} held-out real ratings)").AddColumns("trained on", "RMSE", "MAE");
                utility.AddRow("real (80%)", F(u.RealRmse), F(u.RealMae));
                utility.AddRow("synthetic", F(u.SyntheticRmse), F(u.SyntheticMae));
                utility.AddRow("global mean (reference)", F(u.MeanRmse), "");
                console.Write(utility);
                console.MarkupLineInterpolated($"  {u.Method}");
            }

            if (report.Privacy is PrivacyReport p)
            {
                var privacy = new Table().Title("Privacy (distance = 1 - cosine of rating profiles)").AddColumns("measure", "synthetic to real", "real to real");
                privacy.AddRow("median distance to closest record", F(p.MedianDcrSynthetic), F(p.MedianDcrRealToReal));
                privacy.AddRow("5th percentile", F(p.FifthPercentileDcrSynthetic), F(p.FifthPercentileDcrRealToReal));
                privacy.AddRow("synthetic users closer than the real 5th percentile", F(p.ShareCloserThanRealFifthPercentile), "0.05 by definition");
                privacy.AddRow("exact copies of a real profile", p.ExactProfileCopies.ToString(CultureInfo.InvariantCulture), "");
                privacy.AddRow("membership-inference AUC (0.5: no better than a coin)", F(p.MembershipInferenceAuc), "");
                console.Write(privacy);
                console.MarkupLineInterpolated($"  membership inference: {p.MembershipMethod}");
            }

            foreach (string note in report.Notes)
            {
                console.MarkupLineInterpolated($"[yellow]note:[/] {note}");
            }

            return 0;
        }));
        return command;
    }

    private static string F(double value) => double.IsNaN(value) ? "n/a" : value.ToString("0.0000", CultureInfo.InvariantCulture);
}
