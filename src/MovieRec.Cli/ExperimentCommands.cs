using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MovieRec.Core.Data;
using MovieRec.Core.Evaluation;
using MovieRec.Core.Synthetic;
using MovieRec.Reports;
using Spectre.Console;

namespace MovieRec.Cli;

/// <summary><c>movierec experiment synthetic</c>: SynthFlix's six experiments on real and synthetic ratings.</summary>
internal static class ExperimentCommands
{
    public static Command Create(IAnsiConsole console) =>
        new("experiment", "Offline experiments.")
        {
            Synthetic(console),
        };

    private static Command Synthetic(IAnsiConsole console)
    {
        Argument<string?> folder = CliApp.FolderArgument();
        var model = new Option<string>("--model") { Description = "Model trained in every experiment", DefaultValueFactory = _ => "svd" };
        var seed = new Option<int>("--seed") { Description = "Seed of the split, the generator and the model", DefaultValueFactory = _ => 42 };
        var json = new Option<string?>("--json") { Description = "Write the rows (RMSE and MAE per experiment) as JSON to this file" };
        var plot = new Option<string?>("--plot") { Description = "Write a bar chart of RMSE and MAE per experiment (.png or .svg)" };
        var tune = new Option<bool>("--tune") { Description = "Tune the model on each experiment's training set (the tuner of 'movierec tune': random search with successive halving over inner folds of that training set) and train the chosen options" };
        var trials = new Option<int>("--trials") { Description = "With --tune: trials per training set", DefaultValueFactory = _ => 12 };
        var folds = new Option<int>("--folds") { Description = "With --tune: inner folds per measurement", DefaultValueFactory = _ => 3 };
        var variants = new Option<string>("--variants") { Description = "small (8%/2% of the ratings: 8K/2K on ml-100k), full (80%/20%), or both", DefaultValueFactory = _ => "small,full" };
        var command = new Command("synthetic", "Train on real, synthetic or both; test on real or synthetic: the six experiments of SynthFlix.")
        {
            folder, model, seed, json, plot, variants, tune, trials, folds,
        };
        command.SetAction(parse => CliApp.Guard(console, () =>
        {
            string? plotPath = parse.GetValue(plot);
            if (plotPath is { Length: > 0 } && Path.GetExtension(plotPath).ToUpperInvariant() is not (".PNG" or ".SVG"))
            {
                throw new ArgumentException($"--plot {plotPath}: a chart is saved as .png or .svg.");
            }

            string path = CliApp.ResolveFolder(parse.GetValue(folder));
            MovieLensDataset dataset = MovieLensLoader.Load(path);
            bool tuned = parse.GetValue(tune);
            Action<string> log = line => console.MarkupLineInterpolated($"[grey]{line}[/]");
            var options = new ExperimentOptions
            {
                Model = parse.GetValue(model)!,
                Seed = parse.GetValue(seed),
                Variants = [.. parse.GetValue(variants)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
                Trainer = tuned
                    ? SyntheticExperiments.Tuned(parse.GetValue(model)!, new TuningOptions { Trials = parse.GetValue(trials), Folds = parse.GetValue(folds), Seed = parse.GetValue(seed) }, log)
                    : null,
            };
            IReadOnlyList<ExperimentRow> rows = SyntheticExperiments.Run(dataset, options, log);
            var table = new Table().AddColumns("no.", "variant", "train on", "test on", "purpose", "RMSE", "MAE");
            if (tuned)
            {
                table.AddColumn("tuned options");
            }

            foreach (ExperimentRow row in rows)
            {
                string[] cells = [row.Number.ToString(CultureInfo.InvariantCulture), row.Variant, Markup.Escape(row.TrainOn), Markup.Escape(row.TestOn),
                    Markup.Escape(row.Purpose), row.Rmse.ToString("0.0000", CultureInfo.InvariantCulture), row.Mae.ToString("0.0000", CultureInfo.InvariantCulture)];
                table.AddRow(tuned ? [.. cells, Markup.Escape(row.TunedOptions ?? string.Empty)] : cells);
            }

            console.Write(table);
            if (parse.GetValue(json) is { Length: > 0 } jsonPath)
            {
                string? dir = Path.GetDirectoryName(Path.GetFullPath(jsonPath));
                Directory.CreateDirectory(dir!);
                File.WriteAllText(jsonPath, JsonSerializer.Serialize(new { dataset = dataset.Name, model = options.Model, seed = options.Seed, tuned, experiments = rows }, CliJson.Indented));
                console.MarkupLineInterpolated($"[green]ok:[/] wrote {jsonPath}");
            }

            if (plotPath is { Length: > 0 })
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(plotPath))!);
                Plot(rows, dataset.Name, options.Model).Save(plotPath, 1000, 520);
                console.MarkupLineInterpolated($"[green]ok:[/] wrote {plotPath}");
            }

            return 0;
        }));
        return command;
    }

    /// <summary>RMSE and MAE of each experiment, one bar group per experiment and a bar per variant and metric.</summary>
    public static Chart Plot(IReadOnlyList<ExperimentRow> rows, string dataset, string model)
    {
        int[] numbers = [.. rows.Select(r => r.Number).Distinct().Order()];
        string[] purposes = [.. numbers.Select(n => $"{n} {rows.First(r => r.Number == n).Purpose.Split(' ')[0]}")];
        var series = new List<BarSeries>();
        foreach (string variant in rows.Select(r => r.Variant).Distinct())
        {
            ExperimentRow?[] byNumber = [.. numbers.Select(n => rows.FirstOrDefault(r => r.Variant == variant && r.Number == n))];
            series.Add(new BarSeries($"RMSE ({variant})", [.. byNumber.Select(r => r?.Rmse ?? double.NaN)]));
            series.Add(new BarSeries($"MAE ({variant})", [.. byNumber.Select(r => r?.Mae ?? double.NaN)]));
        }

        return Charts.Bars($"Synthetic-data experiments on {dataset} ({model})", "experiment", "error (lower is better)", purposes, series);
    }
}
