using MovieRec.Core.Data;
using MovieRec.Core.Evaluation;
using MovieRec.Core.Models;
using MovieRec.Core.Models.Neighborhood;

namespace MovieRec.Core.Tests.Evaluation;

/// <summary>
/// The kNN figures of ../shared/benchmarks/PEERS.md (Surprise's KNNBaseline with pearson_baseline) on the shared
/// folds. PEERS.md rounds to four places, so "at or below" allows the rounding.
/// </summary>
public sealed class NeighborhoodReferenceTests
{
    [SkippableFact]
    public void Item_and_user_knn_reach_surprise_on_the_ml_100k_folds()
    {
        string folder = SharedData.Require("datasets", "ml-100k");
        IReadOnlyList<DataSplit> splits = Splitters.FromFiles(
            Enumerable.Range(1, 5).Select(f => (Path.Combine(folder, $"u{f}.base"), Path.Combine(folder, $"u{f}.test"))), RatingScale.WholeStars);

        IReadOnlyList<ModelEvaluation> results = CrossValidator.Evaluate([new ItemKnnTrainer(), new UserKnnTrainer()], splits, new EvaluationOptions { Ranking = false });

        Assert.True(results[0].Rmse < 0.92045, $"item-knn RMSE {results[0].Rmse:0.00000}");
        Assert.True(results[1].Rmse < 0.92455, $"user-knn RMSE {results[1].Rmse:0.00000}");
    }

    [SkippableFact]
    public void Item_knn_reaches_surprise_on_the_ml_latest_small_folds_and_beats_popularity_at_top_10()
    {
        string dir = SharedData.Require("benchmarks", "splits", "ml-latest-small");
        IReadOnlyList<DataSplit> splits = Splitters.FromFiles(
            Enumerable.Range(1, 5).Select(f => (Path.Combine(dir, $"fold{f}.train.csv"), Path.Combine(dir, $"fold{f}.test.csv"))), RatingScale.HalfStars);

        ModelEvaluation result = CrossValidator.Evaluate([new ItemKnnTrainer()], splits, new EvaluationOptions { Ranking = false })[0];
        IRecommenderModel fold1 = new ItemKnnTrainer().Fit(RatingMatrix.Build(splits[0].Train));
        RankingResult top10 = CrossValidator.EvaluateRanking(fold1, splits[0].Test, 10, 4.0f);

        Assert.True(result.Rmse < 0.85295, $"item-knn RMSE {result.Rmse:0.00000}");
        Assert.True(top10.Ndcg > 0.1627, $"item-knn NDCG@10 {top10.Ndcg:0.0000} (popularity: 0.1627)");
    }
}
