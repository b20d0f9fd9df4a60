using MovieRec.Core.Data;
using MovieRec.Core.Evaluation;
using MovieRec.Core.Models;
using MovieRec.Core.Models.Baselines;

namespace MovieRec.Core.Tests.Models;

public sealed class BaselineTests
{
    [Fact]
    public void Als_biases_satisfy_their_normal_equations()
    {
        RatingMatrix m = RatingMatrix.Build(Fixtures.SyntheticRatings());

        // After ALS converges each b_i is the regularised mean residual given the b_u (and vice versa).
        BiasBaseline b = BiasBaseline.FitAls(m, 15, 10, 200);

        for (int i = 0; i < m.ItemCount; i++)
        {
            double dev = 0;
            ReadOnlySpan<int> users = m.UsersOf(i);
            for (int p = 0; p < users.Length; p++)
            {
                dev += m.RatingsOfItem(i)[p] - m.GlobalMean - b.UserBias[users[p]];
            }

            Assert.Equal(dev / (10 + users.Length), b.ItemBias[i], 3);
        }
    }

    [Fact]
    public void Baselines_beat_the_global_mean_and_popularity_ranks_by_count()
    {
        Rating[] ratings = Fixtures.SyntheticRatings(80, 60, seed: 3);
        IReadOnlyList<DataSplit> folds = Splitters.KFold(ratings, 4, seed: 5);

        IReadOnlyList<ModelEvaluation> results = CrossValidator.Evaluate(
            [new GlobalMeanTrainer(), new BaselineOnlyTrainer(), new PopularityTrainer()], folds, new EvaluationOptions { K = 5, RelevanceThreshold = 3.5f });

        Assert.True(results[1].Rmse < results[0].Rmse - 0.05, $"baseline {results[1].Rmse} vs mean {results[0].Rmse}");
        Assert.All(results, r => Assert.Equal(4, r.Folds.Count));
        Assert.True(results[2].NdcgAtK > 0);

        RatingMatrix m = RatingMatrix.Build(ratings);
        IRecommenderModel popular = new PopularityTrainer().Fit(m);
        int[] countOrder = [.. Enumerable.Range(0, m.ItemCount).OrderByDescending(m.ItemRatingCount).ThenBy(i => i).Take(5).Select(m.Items.RawId)];
        Assert.Equal(countOrder, popular.Recommend(999_999, 5).Select(s => s.MovieId));
    }

    [Fact]
    public void Options_are_validated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new BaselineOnlyTrainer(new BaselineOptions { RegUser = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BaselineOnlyTrainer(new BaselineOptions { Epochs = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BaselineOnlyTrainer(new BaselineOptions { Method = BaselineMethod.Sgd, LearningRate = 0 }));
    }

    [Fact]
    public void The_catalog_names_every_model_and_refuses_unknown_names()
    {
        Assert.Equal(
            ["mean", "baseline", "baseline-sgd", "popular", "svd", "svd-surprise", "svdpp", "als", "implicit-als", "ease", "autorec", "deep-mf", "residual-mf",
                "user-knn", "user-knn-basic", "user-knn-cosine", "user-knn-means", "user-knn-zscore", "item-knn", "item-knn-basic", "item-knn-means", "item-knn-zscore",
                "content", "hybrid", "hybrid-fasttree", "hybrid-deep"],
            ModelRegistry.Names);
        Assert.Equal("baseline-sgd", ModelRegistry.Create("Baseline-SGD").Name);
        var e = Assert.Throws<ArgumentException>(() => ModelRegistry.Create("svd9"));
        Assert.Contains("popular", e.Message, StringComparison.Ordinal);
    }
}
