using MovieRec.Core.Data;
using MovieRec.Core.Models;
using MovieRec.Core.Models.Factorization;
using MovieRec.Core.Models.Hybrid;
using MovieRec.Core.Numerics;

namespace MovieRec.Core.Tests.Models;

/// <summary>
/// The batch kernel gives, for every user, exactly the single-user top-k: the same items in the same order with bit-equal
/// scores (TopK over the model's Score), with and without exclusion and a filter, including exact ties and near-ties.
/// </summary>
public sealed class FactorBatchRankerTests
{
    [Theory]
    [InlineData("svd")]
    [InlineData("svd-surprise")]
    [InlineData("als")]
    [InlineData("implicit-als")]
    public void Every_users_list_is_the_single_users_list(string name)
    {
        RatingMatrix m = RatingMatrix.Build(Fixtures.SyntheticRatings(70, 90, seed: 11));
        IRecommenderModel model = ModelRegistry.Create(name).Fit(m, new TrainingOptions { Threads = 1 });
        AssertSameAsSingle(model, [.. Enumerable.Range(0, m.UserCount)]);
    }

    [Fact]
    public void The_hybrid_ranks_through_its_ranking_model_and_others_have_no_kernel()
    {
        RatingMatrix m = RatingMatrix.Build(Fixtures.SyntheticRatings(50, 60, seed: 5));
        var hybrid = (HybridModel)ModelRegistry.Hybrid(new HybridOptions { BaseModels = ["baseline", "svd-surprise"], RankingModel = "implicit-als" }, new ModelContext())
            .Fit(m, new TrainingOptions { Threads = 1 });
        AssertSameAsSingle(hybrid, [.. Enumerable.Range(0, m.UserCount)]);

        var popularRanked = (HybridModel)ModelRegistry.Hybrid(new HybridOptions { BaseModels = ["baseline"], RankingModel = "popular" }, new ModelContext())
            .Fit(m, new TrainingOptions { Threads = 1 });
        Assert.Null(FactorBatchRanker.For(popularRanked));
        Assert.Null(FactorBatchRanker.For(ModelRegistry.Create("item-knn").Fit(m)));
    }

    [Fact]
    public void Exact_ties_and_near_ties_rank_as_the_single_user_path_ranks_them()
    {
        // Items 2i and 2i+1 have the same factors (exact ties); items 40.. are item 0's factors with one factor nudged by 0-3 ulps
        // (near-ties whose order a different summation order could flip); every user ranks them the same way.
        var random = new Random(9);
        const int users = 37, items = 80, k = 24;
        var ratings = new List<Rating>();
        for (int u = 0; u < users; u++)
        {
            for (int i = 0; i < items; i++)
            {
                if ((u + i) % 7 == 0)
                {
                    ratings.Add(new Rating(u + 1, i + 1, 1 + (i % 5), 0));
                }
            }
        }

        RatingMatrix m = RatingMatrix.Build([.. ratings]);
        float[] userFactors = [.. Enumerable.Range(0, m.UserCount * k).Select(_ => (float)(random.NextDouble() - 0.5))];
        float[] itemFactors = new float[m.ItemCount * k];
        for (int i = 0; i < m.ItemCount; i++)
        {
            for (int f = 0; f < k; f++)
            {
                itemFactors[(i * k) + f] = i < 40 ? (float)Math.Sin((i / 2) + f) : itemFactors[f];
            }

            for (int nudge = 0; i >= 40 && nudge < (i - 40) % 4; nudge++)
            {
                ref float x = ref itemFactors[(i * k) + (i % k)];
                x = MathF.BitIncrement(x);
            }
        }

        float[] itemBias = [.. Enumerable.Range(0, m.ItemCount).Select(i => i < 40 ? 0.1f * (i / 2) : 0f)];
        var model = new MatrixFactorizationModel("svd", m, BiasBaseline.Default(m), k, 3.5f, new float[m.UserCount], itemBias, userFactors, itemFactors, 0.1f);
        AssertSameAsSingle(model, [.. Enumerable.Range(0, m.UserCount)]);
    }

    [SkippableFact]
    public void Every_user_of_ml_latest_small_gets_the_single_users_top_10()
    {
        string data = SharedData.Require("datasets", "ml-latest-small");
        RatingMatrix m = RatingMatrix.Build([.. MovieLensLoader.Load(data).Ratings]);
        foreach (string name in (string[])["svd", "implicit-als"])
        {
            IRecommenderModel model = ModelRegistry.Create(name).Fit(m);
            AssertSameAsSingle(model, [.. Enumerable.Range(0, m.UserCount)], ks: [10]);
        }
    }

    private static void AssertSameAsSingle(IRecommenderModel model, int[] users, int[]? ks = null)
    {
        FactorBatchRanker ranker = FactorBatchRanker.For(model) ?? throw new InvalidOperationException($"{model.Name} has no batch kernel");
        RatingMatrix train = model.Train;
        Func<int, bool> even = i => train.Items.RawId(i) % 2 == 0;
        int[] reversed = [.. users.Reverse()];
        foreach (int k in ks ?? [0, 1, 10, train.ItemCount + 5])
        {
            foreach ((bool exclude, Func<int, bool>? include) in ((bool, Func<int, bool>?)[])[(true, null), (false, null), (true, even)])
            {
                (int[] Items, float[] Scores)[] batch = ranker.Rank(reversed, k, exclude, include);
                for (int j = 0; j < reversed.Length; j++)
                {
                    int u = reversed[j];
                    float[] scores = new float[train.ItemCount];
                    model.Score(u, scores);
                    int[] top = TopK.Select(scores, k, exclude ? train.ItemsOf(u) : default, include);
                    Assert.True(top.SequenceEqual(batch[j].Items),
                        $"{model.Name}, user {u}, k {k}, exclude {exclude}, filter {include is not null}: [{string.Join(",", top)}] vs [{string.Join(",", batch[j].Items)}]");
                    Assert.Equal(top.Select(i => BitConverter.SingleToInt32Bits(scores[i])), batch[j].Scores.Select(BitConverter.SingleToInt32Bits));
                }
            }
        }
    }
}
