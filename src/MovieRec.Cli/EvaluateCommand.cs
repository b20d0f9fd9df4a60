using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MovieRec.Core.Artifacts;
using MovieRec.Core.Data;
using MovieRec.Core.Evaluation;
using MovieRec.Core.Models;
using Spectre.Console;

namespace MovieRec.Cli;

/// <summary><c>movierec evaluate</c>: cross-validate models and print rating and top-N metrics.</summary>
internal static class EvaluateCommand
{
    public static Command Create(IAnsiConsole console)
    {
        Argument<string?> folder = CliApp.FolderArgument();
        var models = new Option<string>("--model", "-m") { Description = $"Comma-separated model names: {string.Join(", ", ModelRegistry.Names)}", Required = true };
        (Option<string[]> set, Option<string?> optionsFile) = ModelOptionsCli.Options();
        var folds = new Option<int>("--folds") { Description = "Folds of the k-fold split", DefaultValueFactory = _ => 5 };
        var seed = new Option<int>("--seed") { Description = "Seed of random splits and models", DefaultValueFactory = _ => 42 };
        var splits = new Option<string[]>("--split") { Description = "An explicit <train>:<test> file pair, relative to the folder; repeat for several" };
        var splitter = new Option<string>("--splitter") { Description = "kfold | holdout | temporal | leave-last (ignored with --split)", DefaultValueFactory = _ => "kfold" };
        var testFraction = new Option<double>("--test-fraction") { Description = "Test share for holdout and temporal", DefaultValueFactory = _ => 0.2 };
        var lastN = new Option<int>("--last-n") { Description = "Ratings per user tested by leave-last", DefaultValueFactory = _ => 1 };
        var k = new Option<int>("--k") { Description = "Length of the ranked lists for the top-N metrics", DefaultValueFactory = _ => 10 };
        var relevance = new Option<float>("--relevance") { Description = "Test ratings at or above this are relevant", DefaultValueFactory = _ => 4.0f };
        var noRanking = new Option<bool>("--no-ranking") { Description = "Skip the top-N metrics" };
        var json = new Option<string?>("--json") { Description = "Write the results to this JSON file" };
        var perFold = new Option<bool>("--per-fold") { Description = "Also print each fold" };
        var curve = new Option<string?>("--curve") { Description = "Write each iterative model's per-epoch training curve (train and validation RMSE) to this .csv or .json file" };
        var threads = new Option<int>("--threads") { Description = "Training threads (0: one per core, 1: deterministic)", DefaultValueFactory = _ => 0 };
        var skipInvalid = new Option<bool>("--skip-invalid") { Description = "Skip malformed rows (and report them) instead of stopping" };

        var command = new Command("evaluate", "Cross-validate models: RMSE, MAE, precision/recall/NDCG/MAP@K, coverage, timings.")
        {
            folder, models, set, optionsFile, folds, seed, splits, splitter, testFraction, lastN, k, relevance, noRanking, json, perFold, curve, threads, skipInvalid,
        };
        command.SetAction(parse => CliApp.Guard(console, () =>
        {
            string path = CliApp.ResolveFolder(parse.GetValue(folder));
            var load = new LoadOptions { SkipInvalid = parse.GetValue(skipInvalid), IncludeMetadata = false };
            int seedValue = parse.GetValue(seed);
            string[] names = parse.GetValue(models)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var context = new ModelContext(seedValue);

            // Unknown models and options, and out-of-range values, fail here, before any data is read.
            IReadOnlyList<ResolvedModel> resolved = ModelOptionsCli.Parse(parse, set, optionsFile).Resolve(names, context);
            if (resolved.Any(m => m.Info.NeedsCatalogue))
            {
                MovieLensDataset metadata = MovieLensLoader.Load(path, load with { IncludeRatings = false, IncludeMetadata = true });
                context = context with { Movies = metadata.Movies, Tags = metadata.Tags };
            }

            IRecommenderTrainer[] trainers = [.. resolved.Select(m => m.CreateTrainer(context))];
            if (trainers.Length == 0)
            {
                throw new ArgumentException("--model names no model.");
            }

            IReadOnlyList<DataSplit> dataSplits = MakeSplits(path, parse.GetValue(splits) ?? [], parse.GetValue(splitter)!, parse.GetValue(folds),
                seedValue, parse.GetValue(testFraction), parse.GetValue(lastN), load, console);
            var options = new EvaluationOptions
            {
                K = parse.GetValue(k),
                RelevanceThreshold = parse.GetValue(relevance),
                Ranking = !parse.GetValue(noRanking),
                Training = new TrainingOptions { Threads = parse.GetValue(threads) },
            }.Validate();

            var curvePoints = new List<CurvePoint>();
            IReadOnlyList<ModelEvaluation> results = Run(console, trainers, dataSplits, options, curvePoints);
            PrintResults(console, results, options, parse.GetValue(perFold));
            if (parse.GetValue(curve) is string curvePath)
            {
                WriteCurve(curvePath, curvePoints);
                console.MarkupLineInterpolated($"Wrote {curvePath} ({curvePoints.Count} epochs)");
            }
            if (parse.GetValue(json) is string jsonPath)
            {
                AtomicFile.WriteAllText(jsonPath, JsonSerializer.Serialize(ToJson(path, dataSplits, options, resolved, results), CliJson.Indented));
                console.MarkupLineInterpolated($"Wrote {jsonPath}");
            }

            return 0;
        }));
        return command;
    }

    internal static IReadOnlyList<DataSplit> MakeSplits(string folder, string[] pairs, string splitter, int folds, int seed,
        double testFraction, int lastN, LoadOptions load, IAnsiConsole console)
    {
        RatingScale scale = MovieLensLoader.ScaleOf(MovieLensLoader.DetectFormat(folder));
        if (pairs.Length > 0)
        {
            var files = new List<(string, string)>();
            foreach (string pair in pairs)
            {
                string[] parts = pair.Split(':');
                if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
                {
                    throw new ArgumentException($"--split '{pair}' is not of the form <train>:<test>.");
                }

                files.Add((SplitPath(folder, parts[0]), SplitPath(folder, parts[1])));
            }

            return Splitters.FromFiles(files, scale, load);
        }

        MovieLensDataset dataset = MovieLensLoader.Load(folder, load);
        DataCommands.PrintReport(console, dataset.Report);
        return splitter.ToLowerInvariant() switch
        {
            "kfold" => Splitters.KFold(dataset.Ratings, folds, seed),
            "holdout" => [Splitters.Holdout(dataset.Ratings, testFraction, seed)],
            "temporal" => [Splitters.TemporalPerUser(dataset.Ratings, testFraction)],
            "leave-last" => [Splitters.LeaveLastN(dataset.Ratings, lastN)],
            _ => throw new ArgumentException($"Unknown --splitter '{splitter}'. Use kfold, holdout, temporal or leave-last."),
        };
    }

    /// <summary>Relative to the dataset folder; a path that exists only relative to the working folder is taken from there.</summary>
    private static string SplitPath(string folder, string path)
    {
        string inFolder = Path.Combine(folder, path);
        return File.Exists(inFolder) || !File.Exists(path) ? inFolder : path;
    }

    private static IReadOnlyList<ModelEvaluation> Run(IAnsiConsole console, IRecommenderTrainer[] trainers, IReadOnlyList<DataSplit> splits,
        EvaluationOptions options, List<CurvePoint> curve)
    {
        // Fits run one after the other and report on the calling thread, so the latest step names the epochs that follow.
        EvaluationProgress current = new(string.Empty, string.Empty, 0, 0);
        Action<string> show = line => Console.Error.WriteLine(line);
        var steps = new SynchronousProgress<EvaluationProgress>(p =>
        {
            current = p;
            if (p.Model.Length > 0)
            {
                show($"[{p.Step + 1}/{p.Steps}] {p.Model} on {p.Fold}");
            }
        });
        var epochs = new SynchronousProgress<TrainingProgress>(p =>
        {
            curve.Add(new CurvePoint(current.Model, current.Fold, p.Epoch, p.TrainLoss, p.ValidationRmse));
            show($"[{current.Step + 1}/{current.Steps}] {current.Model} on {current.Fold}: epoch {p.Epoch}/{p.Epochs}");
        });
        options = options with { Training = options.Training with { Progress = epochs } };
        if (!console.Profile.Capabilities.Interactive)
        {
            show = line =>
            {
                if (!line.Contains(": epoch ", StringComparison.Ordinal))
                {
                    Console.Error.WriteLine(line);
                }
            };
            return CrossValidator.Evaluate(trainers, splits, options, steps);
        }

        IReadOnlyList<ModelEvaluation> results = [];
        console.Progress().Start(ctx =>
        {
            ProgressTask task = ctx.AddTask("evaluating", maxValue: splits.Count * trainers.Length);
            show = line =>
            {
                task.Value = current.Step;
                task.Description = Markup.Escape(line);
            };
            results = CrossValidator.Evaluate(trainers, splits, options, steps);
            task.Value = task.MaxValue;
        });
        return results;
    }

    private static void WriteCurve(string path, List<CurvePoint> points)
    {
        if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            AtomicFile.WriteAllText(path, JsonSerializer.Serialize(points, CliJson.Indented));
            return;
        }

        var csv = new System.Text.StringBuilder("model,fold,epoch,trainRmse,validationRmse\n");
        foreach (CurvePoint p in points)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{p.Model},{p.Fold},{p.Epoch},{p.TrainRmse},{p.ValidationRmse}\n");
        }

        AtomicFile.WriteAllText(path, csv.ToString());
    }

    private static void PrintResults(IAnsiConsole console, IReadOnlyList<ModelEvaluation> results, EvaluationOptions options, bool perFold)
    {
        int k = options.K;
        int splits = results[0].Folds.Count;
        // With several splits each cell is the mean ± the standard deviation over them (as Surprise prints both).
        var table = new Table().Title(splits > 1 ? $"mean ± standard deviation over {splits} splits" : "one split");
        table.AddColumns("model", "RMSE", "MAE");
        if (options.Ranking)
        {
            table.AddColumns($"P@{k}", $"R@{k}", $"NDCG@{k}", $"MAP@{k}", $"Hit@{k}", "coverage");
        }

        table.AddColumns("fit s", "test s");
        foreach (ModelEvaluation r in results)
        {
            var row = new List<string> { Markup.Escape(r.Model), MeanStd(r, f => f.Rmse), MeanStd(r, f => f.Mae) };
            if (options.Ranking)
            {
                row.AddRange([
                    MeanStd(r, f => f.Ranking?.Precision), MeanStd(r, f => f.Ranking?.Recall), MeanStd(r, f => f.Ranking?.Ndcg),
                    MeanStd(r, f => f.Ranking?.Map), MeanStd(r, f => f.Ranking?.HitRate), MeanStd(r, f => f.Ranking?.Coverage)]);
            }

            row.AddRange([S(r.FitSeconds), S(r.TestSeconds)]);
            table.AddRow([.. row]);
        }

        console.Write(table);
        if (!perFold)
        {
            return;
        }

        // Seven narrow columns (five without ranking) so the table reads at 80 columns.
        var folds = new Table().Title("per split").AddColumns("model", "split", "RMSE", "MAE");
        if (options.Ranking)
        {
            folds.AddColumns($"P@{k}", $"NDCG@{k}");
        }

        folds.AddColumn("fit s");
        foreach (ModelEvaluation r in results)
        {
            foreach (FoldResult f in r.Folds)
            {
                var row = new List<string> { Markup.Escape(r.Model), Markup.Escape(f.Fold), F(f.Rmse), F(f.Mae) };
                if (options.Ranking)
                {
                    row.AddRange([F(f.Ranking?.Precision), F(f.Ranking?.Ndcg)]);
                }

                row.Add(S(f.FitSeconds));
                folds.AddRow([.. row]);
            }
        }

        console.Write(folds);
    }

    /// <summary>"0.9123 ± 0.0051" over the folds (population standard deviation, as numpy and Surprise); the mean alone for one fold.</summary>
    internal static string MeanStd(ModelEvaluation result, Func<FoldResult, double?> metric)
    {
        double[] values = [.. result.Folds.Select(metric).Where(v => v.HasValue).Select(v => v!.Value)];
        if (values.Length == 0)
        {
            return "-";
        }

        double mean = values.Average();
        if (values.Length == 1)
        {
            return F(mean);
        }

        double std = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Length);
        return $"{F(mean)} ± {F(std)}";
    }

    private static string F(double? value) => value is double v ? v.ToString("0.0000", CultureInfo.InvariantCulture) : "-";

    private static string S(double seconds) => seconds.ToString("0.000", CultureInfo.InvariantCulture);

    private static object ToJson(string folder, IReadOnlyList<DataSplit> splits, EvaluationOptions options, IReadOnlyList<ResolvedModel> models,
        IReadOnlyList<ModelEvaluation> results) => new
    {
        folder,
        k = options.K,
        relevanceThreshold = options.RelevanceThreshold,
        splits = splits.Select(s => new { name = s.Name, train = s.Train.Length, test = s.Test.Length }),
        createdAt = DateTimeOffset.UtcNow,
        results = results.Select((r, m) => new
        {
            model = r.Model,
            options = models[m].OptionValues,
            rmse = r.Rmse,
            mae = r.Mae,
            precisionAtK = r.PrecisionAtK,
            recallAtK = r.RecallAtK,
            ndcgAtK = r.NdcgAtK,
            mapAtK = r.MapAtK,
            hitRateAtK = r.HitRateAtK,
            coverage = r.Coverage,
            fitSeconds = r.FitSeconds,
            testSeconds = r.TestSeconds,
            medianFitSeconds = r.MedianFitSeconds,
            medianTestSeconds = r.MedianTestSeconds,
            folds = r.Folds.Select(f => new
            {
                fold = f.Fold,
                trainRatings = f.TrainRatings,
                testRatings = f.TestRatings,
                rmse = f.Rmse,
                mae = f.Mae,
                precisionAtK = f.Ranking?.Precision,
                recallAtK = f.Ranking?.Recall,
                ndcgAtK = f.Ranking?.Ndcg,
                mapAtK = f.Ranking?.Map,
                hitRateAtK = f.Ranking?.HitRate,
                coverage = f.Ranking?.Coverage,
                rankedUsers = f.Ranking?.Users,
                fitSeconds = f.FitSeconds,
                testSeconds = f.TestSeconds,
                rankSeconds = f.Ranking?.Seconds,
            }),
        }),
    };
}

/// <summary>One epoch of one model's fit on one split.</summary>
internal sealed record CurvePoint(string Model, string Fold, int Epoch, double? TrainRmse, double? ValidationRmse);

/// <summary>An IProgress that reports on the calling thread (Progress&lt;T&gt; posts to the thread pool).</summary>
internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
