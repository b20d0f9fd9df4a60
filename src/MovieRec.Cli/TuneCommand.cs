using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MovieRec.Core.Artifacts;
using MovieRec.Core.Data;
using MovieRec.Core.Evaluation;
using MovieRec.Core.Models;
using Spectre.Console;

namespace MovieRec.Cli;

/// <summary><c>movierec tune</c>: search a model's declared option space on training data and write the best options.</summary>
internal static class TuneCommand
{
    public static Command Create(IAnsiConsole console)
    {
        Argument<string?> folder = CliApp.FolderArgument();
        var model = new Option<string>("--model", "-m") { Description = "The model to tune (see 'movierec models <name>' for its options and default tuning ranges)", Required = true };
        var space = new Option<string?>("--space") { Description = "A JSON file of ranges that replace the declared ones: {\"factors\": {\"min\": 10, \"max\": 200, \"log\": true}, \"epochs\": [10, 60], \"initStd\": null}" };
        var trials = new Option<int>("--trials") { Description = "Configurations to try (the first is the model's own options)", DefaultValueFactory = _ => 40 };
        var folds = new Option<int>("--folds") { Description = "Inner folds of the training ratings each configuration is measured on", DefaultValueFactory = _ => 3 };
        var metric = new Option<string>("--metric") { Description = "rmse (lower is better) or ndcg (NDCG@K, higher is better)", DefaultValueFactory = _ => "rmse" };
        var seed = new Option<int>("--seed") { Description = "Seed of the sampler, the inner folds and the models", DefaultValueFactory = _ => 42 };
        var split = new Option<string?>("--split") { Description = "<train>:<test> files relative to the folder: tune on the train file only, then report the chosen options once on the test file" };
        var json = new Option<string?>("--json") { Description = "Write every trial and the result to this JSON file" };
        var outOptions = new Option<string?>("--out-options") { Description = "Write the chosen options to this file, in the form --options reads" };
        var k = new Option<int>("--k") { Description = "K of NDCG@K", DefaultValueFactory = _ => 10 };
        var relevance = new Option<float>("--relevance") { Description = "Test ratings at or above this are relevant (ndcg)", DefaultValueFactory = _ => 4.0f };
        var eta = new Option<int>("--eta") { Description = "Successive halving keeps the best 1/eta of the trials at each rung", DefaultValueFactory = _ => 3 };
        (Option<string[]> set, Option<string?> optionsFile) = ModelOptionsCli.Options();
        var command = new Command("tune", "Tune a model's options: random search with successive halving on epochs, inner k-fold on training data only.")
        {
            folder, model, space, trials, folds, metric, seed, split, json, outOptions, k, relevance, eta, set, optionsFile,
        };
        command.SetAction(parse => CliApp.Guard(console, () =>
        {
            string path = CliApp.ResolveFolder(parse.GetValue(folder));
            string name = parse.GetValue(model)!.Trim();
            TuneMetric tuneMetric = parse.GetValue(metric)!.Trim().ToLowerInvariant() switch
            {
                "rmse" => TuneMetric.Rmse,
                "ndcg" => TuneMetric.Ndcg,
                string other => throw new ArgumentException($"--metric '{other}' is not rmse or ndcg."),
            };
            int seedValue = parse.GetValue(seed);
            var context = new ModelContext(seedValue);

            // Everything a user can get wrong is checked before any data is read.
            ModelOverrides overrides = ModelOptionsCli.Parse(parse, set, optionsFile);
            overrides.Resolve([name], context);
            IReadOnlyDictionary<string, TuneRange?> spaceOverrides = parse.GetValue(space) is string spacePath ? Tuner.ReadSpace(spacePath) : new Dictionary<string, TuneRange?>();
            IReadOnlyDictionary<string, TuneRange> searched = Tuner.SpaceOf(ModelRegistry.Info(name), spaceOverrides);
            var options = new TuningOptions
            {
                Trials = parse.GetValue(trials),
                Folds = parse.GetValue(folds),
                Metric = tuneMetric,
                Seed = seedValue,
                Space = spaceOverrides,
                Eta = parse.GetValue(eta),
                Evaluation = new EvaluationOptions { K = parse.GetValue(k), RelevanceThreshold = parse.GetValue(relevance), Ranking = false }.Validate(),
            }.Validate();
            (string? trainFile, string? testFile) = ParseSplit(path, parse.GetValue(split));

            var load = new LoadOptions { IncludeMetadata = false };
            RatingScale scale = MovieLensLoader.ScaleOf(MovieLensLoader.DetectFormat(path));
            Rating[] train = trainFile is null ? MovieLensLoader.Load(path, load).Ratings : MovieLensLoader.LoadRatings(trainFile, scale, load);
            if (ModelRegistry.Info(name).NeedsCatalogue)
            {
                MovieLensDataset metadata = MovieLensLoader.Load(path, load with { IncludeRatings = false, IncludeMetadata = true });
                context = context with { Movies = metadata.Movies, Tags = metadata.Tags };
            }

            console.MarkupLineInterpolated(CultureInfo.InvariantCulture,
                $"Tuning [bold]{name}[/] on {train.Length:N0} ratings{(trainFile is null ? "" : $" of {Path.GetFileName(trainFile)}")}: {options.Trials} trials, {options.Folds} inner folds, {tuneMetric.ToString().ToLowerInvariant()}, seed {seedValue}");
            console.MarkupLineInterpolated($"Space: {string.Join(", ", searched.Select(s => Describe(s.Key, s.Value)))}");
            TuningResult result = Run(console, name, train, options, context, overrides.For(name));
            PrintTrials(console, result);

            object? test = null;
            if (testFile is not null)
            {
                // The only time the test file is read.
                var testSplit = new DataSplit(Path.GetFileNameWithoutExtension(testFile), train, MovieLensLoader.LoadRatings(testFile, scale, load));
                FoldResult r = CrossValidator.EvaluateOne(result.Best.CreateTrainer(context), RatingMatrix.Build(train), testSplit,
                    options.Evaluation with { Ranking = tuneMetric == TuneMetric.Ndcg });
                test = new { file = Path.GetFileName(testFile), rmse = r.Rmse, mae = r.Mae, ndcgAtK = r.Ranking?.Ndcg, k = options.Evaluation.K };
                console.MarkupLineInterpolated(CultureInfo.InvariantCulture,
                    $"Chosen options on {Path.GetFileName(testFile)}: RMSE {r.Rmse:0.0000}{(r.Ranking is { } rank ? $", NDCG@{options.Evaluation.K} {rank.Ndcg:0.0000}" : "")}");
            }

            if (parse.GetValue(outOptions) is string optionsPath)
            {
                AtomicFile.WriteAllText(optionsPath, ModelOverrides.ToJson(name, result.Best.OptionValues));
                console.MarkupLineInterpolated($"Wrote {optionsPath} (use it with --options {optionsPath})");
            }

            if (parse.GetValue(json) is string jsonPath)
            {
                AtomicFile.WriteAllText(jsonPath, JsonSerializer.Serialize(ToJson(path, trainFile, result, test), CliJson.Indented));
                console.MarkupLineInterpolated($"Wrote {jsonPath}");
            }

            return 0;
        }));
        return command;
    }

    private static (string? Train, string? Test) ParseSplit(string folder, string? split)
    {
        if (split is null)
        {
            return (null, null);
        }

        string[] parts = split.Split(':');
        if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
        {
            throw new ArgumentException($"--split '{split}' is not of the form <train>:<test>.");
        }

        return (SplitPath(folder, parts[0]), SplitPath(folder, parts[1]));
    }

    private static string SplitPath(string folder, string path)
    {
        string inFolder = Path.Combine(folder, path);
        string chosen = File.Exists(inFolder) || !File.Exists(path) ? inFolder : path;
        return File.Exists(chosen) ? chosen : throw new FileNotFoundException($"Split file {chosen} does not exist.");
    }

    private static TuningResult Run(IAnsiConsole console, string name, Rating[] train, TuningOptions options, ModelContext context,
        IReadOnlyDictionary<string, string> fixedValues)
    {
        string metric = options.Metric == TuneMetric.Rmse ? "RMSE" : "NDCG";
        if (!console.Profile.Capabilities.Interactive)
        {
            int lastBudget = -1;
            options = options with
            {
                Progress = new SynchronousProgress<TuningProgress>(p =>
                {
                    if (p.Budget != lastBudget)
                    {
                        lastBudget = p.Budget;
                        Console.Error.WriteLine(FormattableString.Invariant($"[{p.Done}/{p.Total}] budget {p.Budget}: best {metric} so far {p.BestScore:0.0000}"));
                    }
                }),
            };
            return Tuner.Tune(name, train, options, context, fixedValues);
        }

        TuningResult result = null!;
        console.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                ProgressTask task = ctx.AddTask($"tuning {name}", maxValue: 1);
                options = options with
                {
                    Progress = new SynchronousProgress<TuningProgress>(p =>
                    {
                        task.MaxValue = p.Total;
                        task.Value = p.Done;
                        task.Description = Markup.Escape(FormattableString.Invariant($"trial {p.Trial} at {p.Budget}: {metric} {p.Score:0.0000}, best {p.BestScore:0.0000}"));
                    }),
                };
                result = Tuner.Tune(name, train, options, context, fixedValues);
            });
        return result;
    }

    private static void PrintTrials(IAnsiConsole console, TuningResult result)
    {
        string metric = result.LowerIsBetter ? "RMSE" : "NDCG";
        var table = new Table().Title($"{result.Trials.Count} trials, {result.Seconds:0.0} s; * chosen");
        table.AddColumn("#");
        string[] names = [.. result.Space.Keys.Where(n => n != result.BudgetOption)];
        foreach (string n in names)
        {
            table.AddColumn(n);
        }

        foreach (int budget in result.Budgets)
        {
            table.AddColumn(result.BudgetOption is null ? metric : $"{metric} @{budget}");
        }

        table.AddColumn("s");
        foreach (TrialResult trial in result.Trials)
        {
            var row = new List<string> { (trial.Number == result.BestTrial ? "*" : "") + trial.Number.ToString(CultureInfo.InvariantCulture) };
            row.AddRange(names.Select(n => OptionSpec.FormatValue(trial.Sampled.GetValueOrDefault(n))));
            foreach (int budget in result.Budgets)
            {
                RungScore? score = trial.Rungs.FirstOrDefault(r => r.Budget == budget);
                row.Add(score is null ? "-" : score.Score.ToString("0.0000", CultureInfo.InvariantCulture));
            }

            row.Add(trial.Seconds.ToString("0.0", CultureInfo.InvariantCulture));
            table.AddRow([.. row.Select(Markup.Escape)]);
        }

        console.Write(table);
        (int bestTrial, RungScore bestScore) = result.BestMeasured;
        string ownAt = result.BudgetOption is null ? "" : FormattableString.Invariant($" at {result.BudgetOption} {result.Own.Budget}");
        console.MarkupLineInterpolated(CultureInfo.InvariantCulture,
            $"Own options{ownAt}: inner-fold {metric} {result.Own.Score:0.0000} ± {result.Own.StdError:0.0000}; best trial {bestTrial}: {bestScore.Score:0.0000} ± {bestScore.StdError:0.0000} (standard error over the folds)");
        console.MarkupLineInterpolated(
            $"{(result.KeptOwn ? "The best trial does not beat the model's own options by more than its standard error: keeping them (one-standard-error rule)." : "The best trial beats the model's own options by more than its standard error.")}");
        console.MarkupLineInterpolated(CultureInfo.InvariantCulture,
            $"Chosen: {(result.KeptOwn ? "the model's own options" : $"trial {result.BestTrial}")}, inner-fold {metric} {result.BestScore:0.0000}: {string.Join(", ", result.Best.OptionValues.Where(v => result.Space.ContainsKey(v.Key)).Select(v => $"{v.Key}={OptionSpec.FormatValue(v.Value)}"))}");
    }

    private static string Describe(string name, TuneRange range) =>
        string.Create(CultureInfo.InvariantCulture, $"{name} {range.Min:G}..{range.Max:G}{(range.Log ? " log" : "")}");

    private static object ToJson(string folder, string? trainFile, TuningResult result, object? test) => new
    {
        folder,
        train = trainFile,
        model = result.Model,
        metric = result.Metric.ToString().ToLowerInvariant(),
        seconds = result.Seconds,
        space = result.Space.ToDictionary(s => s.Key, s => new { min = s.Value.Min, max = s.Value.Max, log = s.Value.Log }),
        budgetOption = result.BudgetOption,
        budgets = result.Budgets,
        best = new { trial = result.BestTrial, score = result.BestScore, keptOwnOptions = result.KeptOwn, options = result.Best.OptionValues },
        own = new { budget = result.Own.Budget, score = result.Own.Score, stdError = result.Own.StdError },
        bestMeasured = new { trial = result.BestMeasured.Trial, budget = result.BestMeasured.Score.Budget, score = result.BestMeasured.Score.Score, stdError = result.BestMeasured.Score.StdError },
        test,
        trials = result.Trials.Select(t => new
        {
            number = t.Number,
            options = t.Sampled,
            rungs = t.Rungs.Select(r => new { budget = r.Budget, score = r.Score, stdError = r.StdError }),
            pruned = t.Pruned,
            seconds = t.Seconds,
        }),
    };
}
