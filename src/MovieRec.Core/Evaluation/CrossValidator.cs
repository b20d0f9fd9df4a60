using System.Collections.Concurrent;
using System.Diagnostics;
using MovieRec.Core.Data;
using MovieRec.Core.Models;

namespace MovieRec.Core.Evaluation;

/// <summary>What an evaluation measures.</summary>
public sealed record EvaluationOptions
{
    /// <summary>Length of the ranked lists for the top-N metrics.</summary>
    public int K { get; init; } = 10;

    /// <summary>A test rating at or above this makes the movie relevant to the user.</summary>
    public float RelevanceThreshold { get; init; } = 4.0f;

    /// <summary>Compute the top-N metrics (they rank every candidate for every test user).</summary>
    public bool Ranking { get; init; } = true;

    public TrainingOptions Training { get; init; } = TrainingOptions.Default;

    public EvaluationOptions Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(K, nameof(K));
        return this;
    }
}

/// <summary>Top-N metrics averaged over the users with at least one relevant test item.</summary>
public sealed record RankingResult(double Precision, double Recall, double Ndcg, double Map, double HitRate, double Coverage, int Users, double Seconds);

/// <summary>One model on one split.</summary>
public sealed record FoldResult(string Fold, int TrainRatings, int TestRatings, double Rmse, double Mae, RankingResult? Ranking, double FitSeconds, double TestSeconds);

/// <summary>One model over all splits, with means.</summary>
public sealed record ModelEvaluation(string Model, IReadOnlyList<FoldResult> Folds)
{
    public double Rmse => Folds.Average(f => f.Rmse);

    public double Mae => Folds.Average(f => f.Mae);

    public double? PrecisionAtK => MeanRanking(r => r.Precision);

    public double? RecallAtK => MeanRanking(r => r.Recall);

    public double? NdcgAtK => MeanRanking(r => r.Ndcg);

    public double? MapAtK => MeanRanking(r => r.Map);

    public double? HitRateAtK => MeanRanking(r => r.HitRate);

    public double? Coverage => MeanRanking(r => r.Coverage);

    public double FitSeconds => Folds.Average(f => f.FitSeconds);

    public double TestSeconds => Folds.Average(f => f.TestSeconds);

    public double MedianFitSeconds => Median(Folds.Select(f => f.FitSeconds));

    public double MedianTestSeconds => Median(Folds.Select(f => f.TestSeconds));

    private double? MeanRanking(Func<RankingResult, double> metric) =>
        Folds.All(f => f.Ranking is not null) ? Folds.Average(f => metric(f.Ranking!)) : null;

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length == 0 ? double.NaN
            : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2]
            : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}

/// <summary>Progress of an evaluation: which model on which split.</summary>
public sealed record EvaluationProgress(string Model, string Fold, int Step, int Steps);

/// <summary>Fits each trainer on each split's training ratings and measures it on the split's test ratings.</summary>
public static class CrossValidator
{
    public static IReadOnlyList<ModelEvaluation> Evaluate(
        IReadOnlyList<IRecommenderTrainer> trainers,
        IReadOnlyList<DataSplit> splits,
        EvaluationOptions? options = null,
        IProgress<EvaluationProgress>? progress = null)
    {
        options = (options ?? new EvaluationOptions()).Validate();
        var folds = new List<FoldResult>[trainers.Count];
        for (int m = 0; m < trainers.Count; m++)
        {
            folds[m] = [];
        }

        int step = 0;
        foreach (DataSplit split in splits)
        {
            RatingMatrix train = RatingMatrix.Build(split.Train);
            for (int m = 0; m < trainers.Count; m++)
            {
                progress?.Report(new EvaluationProgress(trainers[m].Name, split.Name, step++, splits.Count * trainers.Count));
                folds[m].Add(EvaluateOne(trainers[m], train, split, options));
            }
        }

        progress?.Report(new EvaluationProgress(string.Empty, string.Empty, step, splits.Count * trainers.Count));
        var results = new ModelEvaluation[trainers.Count];
        for (int m = 0; m < trainers.Count; m++)
        {
            results[m] = new ModelEvaluation(trainers[m].Name, folds[m]);
        }

        return results;
    }

    /// <summary>Fits one model on a prepared training matrix and measures it on the split's test ratings.</summary>
    public static FoldResult EvaluateOne(IRecommenderTrainer trainer, RatingMatrix train, DataSplit split, EvaluationOptions options)
    {
        if (split.Test.Length == 0)
        {
            throw new ArgumentException($"Split '{split.Name}' has no test ratings.", nameof(split));
        }

        var clock = Stopwatch.StartNew();
        IRecommenderModel model = trainer.Fit(train, options.Training);
        double fitSeconds = clock.Elapsed.TotalSeconds;

        clock.Restart();
        float[] predicted = new float[split.Test.Length];
        float[] actual = new float[split.Test.Length];
        for (int r = 0; r < split.Test.Length; r++)
        {
            Rating rating = split.Test[r];
            predicted[r] = model.Predict(rating.UserId, rating.MovieId).Rating;
            actual[r] = rating.Value;
        }

        double testSeconds = clock.Elapsed.TotalSeconds;
        RankingResult? ranking = options.Ranking ? EvaluateRanking(model, split.Test, options.K, options.RelevanceThreshold) : null;
        return new FoldResult(split.Name, split.Train.Length, split.Test.Length,
            RatingMetrics.Rmse(predicted, actual), RatingMetrics.Mae(predicted, actual), ranking, fitSeconds, testSeconds);
    }

    /// <summary>
    /// The ranking protocol of PEERS.md: each test user with at least one relevant test rating gets the model's top
    /// <paramref name="k"/> among every training movie they did not rate in training; relevant = test rating at or
    /// above <paramref name="threshold"/>, movies absent from training included (they count against recall).
    /// </summary>
    public static RankingResult EvaluateRanking(IRecommenderModel model, IReadOnlyList<Rating> test, int k, float threshold)
    {
        var clock = Stopwatch.StartNew();
        var relevantByUser = new Dictionary<int, HashSet<int>>();
        foreach (Rating r in test)
        {
            if (r.Value >= threshold)
            {
                if (!relevantByUser.TryGetValue(r.UserId, out HashSet<int>? set))
                {
                    relevantByUser[r.UserId] = set = [];
                }

                set.Add(r.MovieId);
            }
        }

        KeyValuePair<int, HashSet<int>>[] users = [.. relevantByUser];
        var perUser = new UserRankingMetrics[users.Length];
        var recommended = new ConcurrentDictionary<int, byte>();
        Parallel.For(0, users.Length, index =>
        {
            IReadOnlyList<ScoredMovie> top = model.Recommend(users[index].Key, k, excludeRated: true);
            int[] ranked = new int[top.Count];
            for (int r = 0; r < ranked.Length; r++)
            {
                ranked[r] = top[r].MovieId;
                recommended.TryAdd(ranked[r], 0);
            }

            perUser[index] = RankingMetrics.ForUser(ranked, users[index].Value, k);
        });

        double p = 0, rec = 0, ndcg = 0, map = 0, hits = 0;
        foreach (UserRankingMetrics m in perUser)
        {
            p += m.Precision;
            rec += m.Recall;
            ndcg += m.Ndcg;
            map += m.AveragePrecision;
            hits += m.Hit ? 1 : 0;
        }

        int n = Math.Max(perUser.Length, 1);
        double coverage = model.Train.ItemCount == 0 ? 0 : (double)recommended.Count / model.Train.ItemCount;
        return new RankingResult(p / n, rec / n, ndcg / n, map / n, hits / n, coverage, perUser.Length, clock.Elapsed.TotalSeconds);
    }
}
