using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using MovieRec.Core.Data;
using MovieRec.Core.Evaluation;
using MovieRec.Core.Models;
using MovieRec.Core.Models.Factorization;
using MovieRec.Reports;
using Spectre.Console;

namespace MovieRec.Cli;

/// <summary>
/// <c>movierec report</c>: cross-validates models and writes a self-contained HTML report with its charts: the
/// dataset, RMSE and NDCG@10 per model with the spread over folds, precision and recall at K = 1..20, and
/// per-epoch training and validation RMSE of the iterative models.
/// </summary>
internal static class ReportCommand
{
    public const string DefaultModels = "baseline,svd,item-knn,implicit-als";
    private const int MaxK = 20;
    private const int NdcgK = 10;

    public static Command Create(IAnsiConsole console)
    {
        Argument<string?> folder = CliApp.FolderArgument();
        var models = new Option<string>("--model", "-m") { Description = $"Comma-separated model names (default: {DefaultModels})", DefaultValueFactory = _ => DefaultModels };
        var splits = new Option<string[]>("--split") { Description = "An explicit <train>:<test> file pair, relative to the folder; repeat for several" };
        var folds = new Option<int>("--folds") { Description = "Folds of the k-fold split (without --split)", DefaultValueFactory = _ => 5 };
        var seed = new Option<int>("--seed") { Description = "Seed of the split and the models", DefaultValueFactory = _ => 42 };
        var relevance = new Option<float>("--relevance") { Description = "Test ratings at or above this are relevant", DefaultValueFactory = _ => 4.0f };
        var output = new Option<string>("--out") { Description = "Folder for index.html and the charts", DefaultValueFactory = _ => "report" };
        var threads = new Option<int>("--threads") { Description = "Training threads (0: one per core, 1: deterministic)", DefaultValueFactory = _ => 0 };
        var command = new Command("report", "Cross-validate models and write an HTML report with charts (PNG and SVG).")
        {
            folder, models, splits, folds, seed, relevance, output, threads,
        };
        command.SetAction(parse => CliApp.Guard(console, () =>
        {
            string path = CliApp.ResolveFolder(parse.GetValue(folder));
            int seedValue = parse.GetValue(seed);
            string[] names = [.. parse.GetValue(models)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
            if (names.Length == 0)
            {
                throw new ArgumentException("--model names no model.");
            }

            MovieLensDataset dataset = MovieLensLoader.Load(path);
            DataCommands.PrintReport(console, dataset.Report);
            var context = new ModelContext(seedValue, dataset.Movies, dataset.Tags);
            IRecommenderTrainer[] trainers = [.. names.Select(n => ModelRegistry.Create(n, context))];
            string[] pairs = parse.GetValue(splits) ?? [];
            IReadOnlyList<DataSplit> dataSplits = pairs.Length > 0
                ? EvaluateCommand.MakeSplits(path, pairs, "kfold", 0, seedValue, 0.2, 1, new LoadOptions(), console)
                : Splitters.KFold(dataset.Ratings, CheckFolds(parse.GetValue(folds)), seedValue);
            var training = new TrainingOptions { Threads = parse.GetValue(threads) };
            float threshold = parse.GetValue(relevance);

            ReportData data = Evaluate(trainers, dataSplits, training, threshold);
            List<LearningCurve> curves = LearningCurves(trainers, dataSplits[0], training);
            string outFolder = parse.GetValue(output)!;
            HtmlReport report = Build(dataset, dataSplits, data, curves, threshold);
            string index = report.Write(outFolder);
            console.MarkupLineInterpolated($"[green]ok:[/] wrote {index} with {report.Charts.Count()} charts (PNG and SVG)");
            return 0;
        }));
        return command;
    }

    private static int CheckFolds(int folds) =>
        folds is >= 2 and <= 20 ? folds : throw new ArgumentException($"--folds must be between 2 and 20; it was {folds}.");

    private static ReportData Evaluate(IRecommenderTrainer[] trainers, IReadOnlyList<DataSplit> splits, TrainingOptions training, float threshold)
    {
        var data = new ReportData(trainers.Length);
        int step = 0;
        foreach (DataSplit split in splits)
        {
            RatingMatrix train = RatingMatrix.Build(split.Train);
            for (int m = 0; m < trainers.Length; m++)
            {
                Console.Error.WriteLine($"[{++step}/{splits.Count * trainers.Length}] {trainers[m].Name} on {split.Name}");
                var clock = Stopwatch.StartNew();
                IRecommenderModel model = trainers[m].Fit(train, training);
                double fit = clock.Elapsed.TotalSeconds;
                float[] predicted = new float[split.Test.Length];
                float[] actual = new float[split.Test.Length];
                for (int r = 0; r < split.Test.Length; r++)
                {
                    predicted[r] = model.Predict(split.Test[r].UserId, split.Test[r].MovieId).Rating;
                    actual[r] = split.Test[r].Value;
                }

                RankingCurveResult curve = RankingCurve.Evaluate(model, split.Test, MaxK, threshold);
                data.Add(m, trainers[m].Name, RatingMetrics.Rmse(predicted, actual), RatingMetrics.Mae(predicted, actual), curve, fit);
            }
        }

        return data;
    }

    /// <summary>
    /// Per-epoch RMSE of each iterative model on the first split. SGD factorizations refit with 10% of the training
    /// ratings held out so there is a validation curve; models that report no per-epoch RMSE (ALS) are left out.
    /// </summary>
    private static List<LearningCurve> LearningCurves(IRecommenderTrainer[] trainers, DataSplit split, TrainingOptions training)
    {
        var curves = new List<LearningCurve>();
        RatingMatrix train = RatingMatrix.Build(split.Train);
        foreach (IRecommenderTrainer trainer in trainers)
        {
            IRecommenderTrainer? withValidation = trainer switch
            {
                SvdTrainer svd => new SvdTrainer(svd.Options with { ValidationFraction = 0.1, EarlyStoppingPatience = 0 }, svd.Name),
                SvdPlusPlusTrainer svdpp => new SvdPlusPlusTrainer(svdpp.Options with { ValidationFraction = 0.1, EarlyStoppingPatience = 0 }),
                _ => null,
            };
            if (withValidation is null)
            {
                continue;
            }

            Console.Error.WriteLine($"learning curve: {trainer.Name} on {split.Name} (10% of its training ratings held out)");
            var points = new List<TrainingProgress>();
            withValidation.Fit(train, training with { Progress = new SynchronousProgress<TrainingProgress>(points.Add) });
            if (points.Any(p => p.TrainLoss is not null || p.ValidationRmse is not null))
            {
                curves.Add(new LearningCurve(trainer.Name, split.Name, [.. points.Select(p => p.TrainLoss)], [.. points.Select(p => p.ValidationRmse)]));
            }
        }

        return curves;
    }

    private static HtmlReport Build(MovieLensDataset dataset, IReadOnlyList<DataSplit> splits, ReportData data, List<LearningCurve> curves, float threshold)
    {
        var report = new HtmlReport($"MovieRec report: {dataset.Name}");
        DatasetSummary summary = DatasetSummary.Of(dataset);
        DatasetStatistics stats = DatasetStatistics.From(dataset.Name, dataset.Ratings);
        report.AddSection("Dataset", $"{dataset.Folder}: {summary.Ratings:N0} ratings by {summary.Users:N0} users of {summary.RatedMovies:N0} movies " +
                $"({summary.Movies:N0} in the catalogue), density {summary.Density:P2}, ratings {summary.MinRating}..{summary.MaxRating}, mean {summary.MeanRating:0.000}.")
            .Add(DatasetCharts.RatingDistribution(stats))
            .Add(DatasetCharts.LongTail(stats))
            .Add(DatasetCharts.TopRated(stats, dataset.Movies))
            .Add(DatasetCharts.GenreCounts(dataset.Movies, dataset.Name));

        string splitText = string.Join(", ", splits.Select(s => $"{s.Name} ({s.Train.Length:N0}/{s.Test.Length:N0})"));
        ReportSection comparison = report.AddSection("Model comparison",
            $"Each model fitted on the training part of each split and measured on its test part: {splitText}. Bars are the mean over splits; " +
            $"error bars the standard deviation. Relevant = test rating at or above {threshold:0.0#}; rankings exclude movies the user rated in training.");
        comparison.AddTable(
            ["model", "RMSE", "MAE", $"P@{NdcgK}", $"R@{NdcgK}", $"NDCG@{NdcgK}", "fit s"],
            [.. Enumerable.Range(0, data.Models.Count).Select(m => (IReadOnlyList<string>)[
                data.Models[m],
                Pm(data.Rmse[m]), Pm(data.Mae[m]), Pm(data.At(m, d => d.Precision[NdcgK - 1])), Pm(data.At(m, d => d.Recall[NdcgK - 1])),
                Pm(data.At(m, d => d.Ndcg[NdcgK - 1])), data.Fit[m].Mean.ToString("0.00", CultureInfo.InvariantCulture)])]);
        comparison
            .Add(ModelCharts.Comparison("RMSE", data.Rmse, "lower is better"))
            .Add(ModelCharts.Comparison($"NDCG@{NdcgK}", [.. Enumerable.Range(0, data.Models.Count).Select(m => data.At(m, d => d.Ndcg[NdcgK - 1]))], "higher is better"))
            .Add(ModelCharts.Comparison("Fit seconds", data.Fit));

        report.AddSection("Precision and recall at K", $"K = 1..{MaxK}; each point is the mean over splits with the standard deviation as error bar.")
            .Add(ModelCharts.AtCutoffs("Precision", data.Curves(d => d.Precision)))
            .Add(ModelCharts.AtCutoffs("Recall", data.Curves(d => d.Recall)));

        ReportSection learning = report.AddSection("Training curves",
            curves.Count == 0
                ? "None of these models reports a per-epoch RMSE (the SGD factorizations svd, svd-surprise and svdpp do)."
                : $"Per-epoch RMSE on split {curves[0].Split}: training RMSE over the ratings fitted, validation RMSE over 10% of the training ratings held out of that fit. " +
                  "ALS models report no per-epoch RMSE and are not shown.");
        foreach (LearningCurve curve in curves)
        {
            learning.Add(ModelCharts.LearningCurve(curve.Model, curve.Train, curve.Validation, $"{curve.Split}, 10% held out"));
        }

        return report;
    }

    private static string Pm(FoldValues v) => v.Values.Count > 1
        ? $"{v.Mean.ToString("0.0000", CultureInfo.InvariantCulture)} ± {v.Std.ToString("0.0000", CultureInfo.InvariantCulture)}"
        : v.Mean.ToString("0.0000", CultureInfo.InvariantCulture);

    private sealed record LearningCurve(string Model, string Split, IReadOnlyList<double?> Train, IReadOnlyList<double?> Validation);

    /// <summary>Per model: each fold's RMSE, MAE, fit time and ranking curve.</summary>
    private sealed class ReportData(int models)
    {
        private readonly List<List<RankingCurveResult>> _ranking = [.. Enumerable.Range(0, models).Select(_ => new List<RankingCurveResult>())];
        private readonly List<List<double>> _rmse = [.. Enumerable.Range(0, models).Select(_ => new List<double>())];
        private readonly List<List<double>> _mae = [.. Enumerable.Range(0, models).Select(_ => new List<double>())];
        private readonly List<List<double>> _fit = [.. Enumerable.Range(0, models).Select(_ => new List<double>())];
        private readonly string[] _names = new string[models];

        public IReadOnlyList<string> Models => _names;

        public IReadOnlyList<FoldValues> Rmse => [.. _rmse.Select((v, m) => new FoldValues(_names[m], v))];

        public IReadOnlyList<FoldValues> Mae => [.. _mae.Select((v, m) => new FoldValues(_names[m], v))];

        public IReadOnlyList<FoldValues> Fit => [.. _fit.Select((v, m) => new FoldValues(_names[m], v))];

        public void Add(int m, string name, double rmse, double mae, RankingCurveResult ranking, double fitSeconds)
        {
            _names[m] = name;
            _rmse[m].Add(rmse);
            _mae[m].Add(mae);
            _ranking[m].Add(ranking);
            _fit[m].Add(fitSeconds);
        }

        public FoldValues At(int m, Func<RankingCurveResult, double> metric) => new(_names[m], [.. _ranking[m].Select(metric)]);

        public IReadOnlyList<CutoffCurve> Curves(Func<RankingCurveResult, double[]> metric) =>
            [.. _ranking.Select((folds, m) =>
            {
                int maxK = folds.Min(f => f.MaxK);
                FoldValues[] atK = [.. Enumerable.Range(0, maxK).Select(k => new FoldValues(_names[m], [.. folds.Select(f => metric(f)[k])]))];
                return new CutoffCurve(_names[m], [.. atK.Select(v => v.Mean)], [.. atK.Select(v => v.Std)]);
            })];
    }
}
