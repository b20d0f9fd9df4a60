using MovieRec.Core.Evaluation;

namespace MovieRec.Core.Tests.Evaluation;

public sealed class MetricsTests
{
    [Fact]
    public void Rmse_and_mae_match_hand_computation()
    {
        float[] predicted = [3, 4, 5];
        float[] actual = [4, 4, 3];

        Assert.Equal(Math.Sqrt(5.0 / 3), RatingMetrics.Rmse(predicted, actual), 12);
        Assert.Equal(1.0, RatingMetrics.Mae(predicted, actual), 12);
    }

    [Fact]
    public void Ranking_metrics_match_hand_computation()
    {
        // Hits at ranks 1 and 3 of 4; three relevant items, one of which was never ranked.
        int[] ranked = [10, 20, 30, 40];
        var relevant = new HashSet<int> { 10, 30, 99 };

        UserRankingMetrics m = RankingMetrics.ForUser(ranked, relevant, k: 4);

        Assert.Equal(0.5, m.Precision, 12);
        Assert.Equal(2.0 / 3, m.Recall, 12);
        double dcg = 1 + (1 / Math.Log2(4));
        double idcg = 1 + (1 / Math.Log2(3)) + (1 / Math.Log2(4));
        Assert.Equal(dcg / idcg, m.Ndcg, 12);
        Assert.Equal((1 + (2.0 / 3)) / 3, m.AveragePrecision, 12);
        Assert.True(m.Hit);
    }

    [Fact]
    public void Precision_divides_by_k_even_when_the_list_is_shorter()
    {
        UserRankingMetrics m = RankingMetrics.ForUser([1], new HashSet<int> { 1 }, k: 10);

        Assert.Equal(0.1, m.Precision, 12);
        Assert.Equal(1.0, m.Recall, 12);
        Assert.Equal(1.0, m.Ndcg, 12);
    }

    [Fact]
    public void A_list_without_hits_scores_zero()
    {
        UserRankingMetrics m = RankingMetrics.ForUser([1, 2, 3], new HashSet<int> { 9 }, k: 3);

        Assert.Equal((0.0, 0.0, 0.0, 0.0, false), (m.Precision, m.Recall, m.Ndcg, m.AveragePrecision, m.Hit));
    }
}
