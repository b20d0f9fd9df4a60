using MovieRec.Core.Data;
using MovieRec.Core.Evaluation;
using MovieRec.Core.Models;
using MovieRec.Core.Models.Baselines;
using MovieRec.Core.Models.Ease;
using MovieRec.Core.Models.Factorization;

namespace MovieRec.Core.Tests.Evaluation;

/// <summary>The figures of ../shared/benchmarks/PEERS.md that the foundation must reach, on the shared splits.</summary>
public sealed class ReferenceFiguresTests
{
    [SkippableFact]
    public void Baseline_matches_surprise_on_the_ml_100k_folds()
    {
        string folder = SharedData.Require("datasets", "ml-100k");
        IReadOnlyList<DataSplit> splits = Splitters.FromFiles(
            Enumerable.Range(1, 5).Select(f => (Path.Combine(folder, $"u{f}.base"), Path.Combine(folder, $"u{f}.test"))), RatingScale.WholeStars);

        ModelEvaluation result = CrossValidator.Evaluate([new BaselineOnlyTrainer()], splits, new EvaluationOptions { Ranking = false })[0];

        Assert.True(result.Rmse <= 0.9457 + 0.002, $"RMSE {result.Rmse:0.0000}");
    }

    [SkippableFact]
    public void Baseline_matches_surprise_on_the_ml_latest_small_folds()
    {
        IReadOnlyList<DataSplit> splits = LatestSmallFolds(5);

        ModelEvaluation result = CrossValidator.Evaluate([new BaselineOnlyTrainer()], splits, new EvaluationOptions { Ranking = false })[0];

        Assert.True(result.Rmse <= 0.8727 + 0.002, $"RMSE {result.Rmse:0.0000}");
    }

    [SkippableFact]
    public void Popularity_top10_on_fold1_matches_the_reference_protocol()
    {
        DataSplit fold1 = LatestSmallFolds(1)[0];
        IRecommenderModel model = new PopularityTrainer().Fit(RatingMatrix.Build(fold1.Train));

        RankingResult r = CrossValidator.EvaluateRanking(model, fold1.Test, 10, 4.0f);

        Assert.Equal(597, r.Users);
        Assert.Equal(0.1173, r.Precision, 0.003);
        Assert.Equal(0.1039, r.Recall, 0.003);
        Assert.Equal(0.1627, r.Ndcg, 0.003);
    }

    [SkippableFact]
    public void Implicit_als_top10_on_fold1_beats_popularity_by_a_wide_margin()
    {
        DataSplit fold1 = LatestSmallFolds(1)[0];
        IRecommenderModel model = new ImplicitAlsTrainer().Fit(RatingMatrix.Build(fold1.Train));

        RankingResult r = CrossValidator.EvaluateRanking(model, fold1.Test, 10, 4.0f);

        Assert.True(r.Ndcg >= 0.22, $"NDCG@10 {r.Ndcg:0.0000}");
    }

    [SkippableFact]
    public void Ease_top10_on_fold1_beats_implicit_als_and_matches_the_numpy_reference()
    {
        DataSplit fold1 = LatestSmallFolds(1)[0];
        IRecommenderModel model = new EaseTrainer().Fit(RatingMatrix.Build(fold1.Train), new TrainingOptions { Threads = 2 });

        RankingResult r = CrossValidator.EvaluateRanking(model, fold1.Test, 10, 4.0f);

        // The default (ratings from 3 are interactions, in training and scoring; pairs rated close in time weigh more
        // in the Gram matrix; chosen by inner 5-fold CV on fold1.train) measures 0.3382 here; the bar for ease
        // is 0.305 and for the hybrid, whose top-N is ease's list, 0.33.
        Assert.True(r.Ndcg >= 0.33, $"NDCG@10 {r.Ndcg:0.0000}");

        // Without the time weighting (lambda 300): 0.3204.
        IRecommenderModel untimed = new EaseTrainer(new EaseOptions { TimeWeight = 0, Lambda = 300 }).Fit(RatingMatrix.Build(fold1.Train), new TrainingOptions { Threads = 2 });
        Assert.Equal(0.3204, CrossValidator.EvaluateRanking(untimed, fold1.Test, 10, 4.0f).Ndcg, 0.002);

        // Every rating as an interaction is the numpy reference (lambda 300, movies with 5+ ratings): 0.3082.
        IRecommenderModel reference = new EaseTrainer(new EaseOptions { MinRating = 0, TimeWeight = 0, Lambda = 300 }).Fit(RatingMatrix.Build(fold1.Train), new TrainingOptions { Threads = 2 });
        Assert.Equal(0.3082, CrossValidator.EvaluateRanking(reference, fold1.Test, 10, 4.0f).Ndcg, 0.002);
    }

    private static IReadOnlyList<DataSplit> LatestSmallFolds(int count)
    {
        string splits = SharedData.Require("benchmarks", "splits", "ml-latest-small");
        return Splitters.FromFiles(
            Enumerable.Range(1, count).Select(f => (Path.Combine(splits, $"fold{f}.train.csv"), Path.Combine(splits, $"fold{f}.test.csv"))), RatingScale.HalfStars);
    }
}
