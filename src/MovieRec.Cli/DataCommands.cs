using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MovieRec.Core.Data;
using Spectre.Console;

namespace MovieRec.Cli;

/// <summary><c>movierec data info|fetch|list</c>.</summary>
internal static class DataCommands
{
    public static Command Create(IAnsiConsole console) =>
        new("data", "Inspect, download and synthesise MovieLens datasets.")
        {
            Info(console),
            Fetch(console),
            List(console),
            SyntheticCommands.Synth(console),
            SyntheticCommands.Compare(console),
            SparkCommands.Export(console),
        };

    private static Command Info(IAnsiConsole console)
    {
        Argument<string?> folder = CliApp.FolderArgument();
        var json = new Option<bool>("--json") { Description = "Print the counts as JSON" };
        var skipInvalid = new Option<bool>("--skip-invalid") { Description = "Skip malformed rows (and report them) instead of stopping" };
        var command = new Command("info", "Count ratings, users, movies, tags; rating scale, density, genres.") { folder, json, skipInvalid };
        command.SetAction(parse => CliApp.Guard(console, () =>
        {
            string path = CliApp.ResolveFolder(parse.GetValue(folder));
            var clock = Stopwatch.StartNew();
            MovieLensDataset dataset = MovieLensLoader.Load(path, new LoadOptions { SkipInvalid = parse.GetValue(skipInvalid) });
            double loadSeconds = clock.Elapsed.TotalSeconds;
            DatasetSummary s = DatasetSummary.Of(dataset);
            if (parse.GetValue(json))
            {
                console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(ToJson(s, dataset, loadSeconds), CliJson.Indented));
                return 0;
            }

            PrintReport(console, dataset.Report);
            var table = new Table().AddColumns("", "").HideHeaders();
            table.AddRow("dataset", Markup.Escape($"{s.Name} ({s.Format}) at {dataset.Folder}"));
            table.AddRow("ratings", N(s.Ratings));
            table.AddRow("users", N(s.Users));
            table.AddRow("movies (catalogue)", N(s.Movies));
            table.AddRow("rated movies", N(s.RatedMovies));
            table.AddRow("tags", N(s.Tags));
            table.AddRow("rating scale", FormattableString.Invariant($"{s.MinRating:0.0#} to {s.MaxRating:0.0#}, mean {s.MeanRating:0.000}"));
            table.AddRow("density", FormattableString.Invariant($"{s.Density:P3}"));
            table.AddRow("ratings per user", FormattableString.Invariant($"min {s.MinRatingsPerUser}, median {s.MedianRatingsPerUser:0.#}, max {s.MaxRatingsPerUser}"));
            table.AddRow("genres", Markup.Escape(string.Join(", ", s.Genres.Select(g => $"{g.Genre} ({g.Movies})"))));
            table.AddRow("load time", FormattableString.Invariant($"{loadSeconds:0.000} s"));
            console.Write(table);
            return 0;
        }));
        return command;
    }

    private static Command Fetch(IAnsiConsole console)
    {
        var name = new Argument<string>("name") { Description = $"Dataset: {string.Join(", ", DatasetCatalog.All.Select(d => d.Name))}" };
        var dir = new Option<string>("--dir") { Description = "Folder to unpack into", DefaultValueFactory = _ => "data" };
        var archive = new Option<string?>("--archive") { Description = "Install from a zip already downloaded (checked against the same SHA-256)" };
        var force = new Option<bool>("--force") { Description = "Replace the folder if it exists" };
        var command = new Command("fetch", "Download a MovieLens archive from GroupLens, verify its SHA-256, unpack it.") { name, dir, archive, force };
        command.SetAction(parse => CliApp.Guard(console, () =>
        {
            DatasetInfo dataset = DatasetCatalog.Get(parse.GetValue(name)!);
            console.MarkupLine("[yellow]MovieLens licence:[/] " + Markup.Escape(DatasetCatalog.Licence));
            using var http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(15) }) { Timeout = TimeSpan.FromMinutes(30) };
            var downloader = new DatasetDownloader(http);
            string root = parse.GetValue(dir)!;
            string target = Path.Combine(root, dataset.Name);
            if (Directory.Exists(target) && !parse.GetValue(force))
            {
                console.MarkupLineInterpolated($"{target} already exists (use --force to replace it).");
                return 0;
            }

            console.MarkupLineInterpolated($"Fetching {dataset.Name} from {parse.GetValue(archive) ?? dataset.Url.ToString()} ...");
            string folder = downloader.FetchAsync(dataset, root, parse.GetValue(archive), parse.GetValue(force)).GetAwaiter().GetResult();
            console.MarkupLineInterpolated($"[green]ok:[/] SHA-256 verified; {dataset.Name} is in {folder}");
            return 0;
        }));
        return command;
    }

    private static Command List(IAnsiConsole console)
    {
        var command = new Command("list", "List the datasets 'data fetch' knows.");
        command.SetAction(_ =>
        {
            var table = new Table().AddColumns("Name", "Size", "Contents", "URL");
            foreach (DatasetInfo d in DatasetCatalog.All)
            {
                string size = d.Bytes is long b ? FormattableString.Invariant($"{b / 1e6:0.#} MB") : "?";
                table.AddRow(Markup.Escape(d.Name), size, Markup.Escape(d.Description), Markup.Escape(d.Url.ToString()));
            }

            console.Write(table);
            console.MarkupLine(Markup.Escape(DatasetCatalog.Licence));
            return 0;
        });
        return command;
    }

    public static void PrintReport(IAnsiConsole console, LoadReport report)
    {
        if (report.DuplicateRatings > 0)
        {
            console.MarkupLineInterpolated($"[yellow]note:[/] {report.DuplicateRatings} duplicate (user, movie) ratings; kept the latest of each.");
        }

        foreach (string warning in report.Warnings)
        {
            console.MarkupLineInterpolated($"[yellow]warning:[/] {warning}");
        }

        if (report.WarningCount > report.Warnings.Count)
        {
            console.MarkupLineInterpolated($"[yellow]warning:[/] ... and {report.WarningCount - report.Warnings.Count} more like these.");
        }

        if (report.SkippedRows > 0)
        {
            console.MarkupLineInterpolated($"[yellow]warning:[/] skipped {report.SkippedRows} invalid rows; the first ones:");
            foreach (string problem in report.Problems)
            {
                console.MarkupLineInterpolated($"  {problem}");
            }
        }
    }

    private static string N(int value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static object ToJson(DatasetSummary s, MovieLensDataset dataset, double loadSeconds) => new
    {
        dataset = s.Name,
        folder = dataset.Folder,
        format = s.Format.ToString(),
        ratings = s.Ratings,
        users = s.Users,
        movies = s.Movies,
        ratedMovies = s.RatedMovies,
        tags = s.Tags,
        links = s.Links,
        minRating = s.MinRating,
        maxRating = s.MaxRating,
        meanRating = s.MeanRating,
        density = s.Density,
        ratingsPerUser = new { min = s.MinRatingsPerUser, median = s.MedianRatingsPerUser, max = s.MaxRatingsPerUser },
        genres = s.Genres.Select(g => new { genre = g.Genre, movies = g.Movies }),
        duplicateRatings = s.DuplicateRatings,
        skippedRows = s.SkippedRows,
        problems = dataset.Report.Problems,
        warnings = dataset.Report.Warnings,
        warningCount = dataset.Report.WarningCount,
        loadSeconds,
        ratingsFromCache = dataset.Report.RatingsFromCache,
    };
}
