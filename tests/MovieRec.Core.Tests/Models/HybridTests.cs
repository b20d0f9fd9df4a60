using MovieRec.Core.Data;
using MovieRec.Core.Evaluation;
using MovieRec.Core.Models;
using MovieRec.Core.Models.Factorization;
using MovieRec.Core.Models.Hybrid;
using MovieRec.Core.Numerics;

namespace MovieRec.Core.Tests.Models;

public sealed class HybridTests
{
    [Fact]
    public void The_ridge_blender_recovers_a_known_linear_rule()
    {
        var random = new Random(3);
        double[][] x = [.. Enumerable.Range(0, 500).Select(_ => new[] { random.NextDouble() * 5, random.NextDouble() * 5 })];
        double[] y = [.. x.Select(r => 0.5 + (0.3 * r[0]) + (0.6 * r[1]))];

        double[] w = HybridTrainer.FitRidge(x, y, ridge: 1e-9);

        Assert.Equal(0.5, w[0], 6);
        Assert.Equal(0.3, w[1], 6);
        Assert.Equal(0.6, w[2], 6);
    }

    [Fact]
    public void The_tree_blender_learns_a_step_and_survives_a_round_trip()
    {
        var random = new Random(4);
        double[][] x = [.. Enumerable.Range(0, 2000).Select(_ => new[] { random.NextDouble() * 5, random.NextDouble() })];
        double[] y = [.. x.Select(r => r[0] > 2.5 ? 4.0 : 2.0)];

        TreeEnsemble trees = TreeEnsemble.Fit(x, y, seed: 1);
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            trees.Write(writer);
        }

        buffer.Position = 0;
        TreeEnsemble copy = TreeEnsemble.Read(new BinaryReader(buffer));

        Assert.Equal(2.0, trees.Evaluate([1.0, 0.5]), 1);
        Assert.Equal(4.0, trees.Evaluate([4.0, 0.5]), 1);
        Assert.Equal(trees.Evaluate([3.1, 0.2]), copy.Evaluate([3.1, 0.2]));
    }

    [Fact]
    public void The_hybrid_blends_autorec_and_hybrid_deep_adds_the_two_deep_mfs()
    {
        // autorec joined the default bases on inner holdouts of the training folds (README, "hybrid" row).
        Assert.Equal(["baseline", "item-knn", "user-knn", "svd", "svdpp", "als", "content", "autorec"], new HybridOptions().BaseModels);
        var deep = (HybridOptions)ModelRegistry.Info("hybrid-deep").Options;
        Assert.Equal([.. new HybridOptions().BaseModels, "deep-mf", "residual-mf"], deep.BaseModels);
        Assert.Equal(new HybridOptions().RankingModel, deep.RankingModel);
    }

    [Fact]
    public void The_hybrid_keeps_its_base_models_and_ranks_with_the_ranking_model()
    {
        RatingMatrix m = RatingMatrix.Build(Fixtures.SyntheticRatings(60, 60, seed: 5));
        var hybrid = (HybridModel)ModelRegistry.Hybrid(new HybridOptions { BaseModels = ["baseline", "svd-surprise", "content"], RankingModel = "popular", Ranker = HybridRanker.Single }, new ModelContext())
            .Fit(m, new TrainingOptions { Threads = 1 });
        IRecommenderModel popular = ModelRegistry.Create("popular").Fit(m);

        Assert.Equal(["baseline", "svd-surprise"], hybrid.BaseModels); // content needs a catalogue, and none was given
        Assert.Equal(1 + 2 + 4 + (2 * 2), hybrid.Weights.Count); // intercept, bases, meta-features, bases x (user and movie log counts)
        Assert.Equal(popular.Recommend(1, 10), hybrid.Recommend(1, 10));
    }

    [Theory]
    [InlineData(RankerObjective.LambdaMart)]
    [InlineData(RankerObjective.Pointwise)]
    public void The_learned_ranker_ranks_candidates_of_both_models_first_and_never_rated_movies(RankerObjective objective)
    {
        RatingMatrix m = RatingMatrix.Build(Fixtures.SyntheticRatings(80, 120, seed: 6));
        var options = new HybridOptions { BaseModels = ["baseline", "svd-surprise"], Ranker = HybridRanker.LambdaMart, Candidates = 15, RankerObjective = objective, RankerMinLeaf = 5 };
        var hybrid = (HybridModel)ModelRegistry.Hybrid(options, new ModelContext()).Fit(m, new TrainingOptions { Threads = 1 });
        IRecommenderModel als = ModelRegistry.Create("implicit-als").Fit(m, new TrainingOptions { Threads = 1 });
        IRecommenderModel ease = ModelRegistry.Create("ease").Fit(m, new TrainingOptions { Threads = 1 });

        Assert.Equal(HybridRanker.LambdaMart, hybrid.Ranker);
        Assert.Equal(["ease", "implicit-als"], hybrid.RankingModels); // content is a feature only where a catalogue is given
        Assert.Null(hybrid.Capabilities.Explainable);
        float[] scores = new float[m.ItemCount], alsScores = new float[m.ItemCount], easeScores = new float[m.ItemCount];
        for (int u = 0; u < m.UserCount; u += 9)
        {
            hybrid.Score(u, scores);
            als.Score(u, alsScores);
            ease.Score(u, easeScores);
            HashSet<int> candidates = [.. TopK.Select(alsScores, 15, m.ItemsOf(u)), .. TopK.Select(easeScores, 15, m.ItemsOf(u))];

            // The candidates score above every other movie; rated movies are never candidates.
            float lowestCandidate = candidates.Min(i => scores[i]);
            for (int i = 0; i < m.ItemCount; i++)
            {
                Assert.Equal(candidates.Contains(i), scores[i] > LearnedRanker.OutsideScore + 1);
                Assert.True(candidates.Contains(i) || scores[i] < lowestCandidate);
            }

            Assert.All(m.ItemsOf(u).ToArray(), i => Assert.DoesNotContain(i, candidates));
        }
    }

    [Fact]
    public void The_fused_ranker_adds_the_weighted_z_scores_of_item_knn_and_implicit_als_to_eases()
    {
        RatingMatrix m = RatingMatrix.Build(Fixtures.SyntheticRatings(80, 120, seed: 6));
        var options = new HybridOptions { BaseModels = ["baseline", "item-knn"], Ranker = HybridRanker.Fusion, FusionWeight = 0.5 };
        var hybrid = (HybridModel)ModelRegistry.Hybrid(options, new ModelContext()).Fit(m, new TrainingOptions { Threads = 1 });
        IRecommenderModel[] models = [.. new[] { "ease", "item-knn", "implicit-als" }.Select(n => ModelRegistry.Create(n).Fit(m, new TrainingOptions { Threads = 1 }))];

        Assert.Equal(HybridRanker.Fusion, hybrid.Ranker);
        Assert.Equal(["ease", "item-knn", "implicit-als"], hybrid.RankingModels);
        Assert.Null(hybrid.Capabilities.Explainable);
        float[] scores = new float[m.ItemCount];
        for (int u = 0; u < m.UserCount; u += 7)
        {
            hybrid.Score(u, scores);
            HashSet<int> rated = [.. m.ItemsOf(u).ToArray()];
            double[] expected = new double[m.ItemCount];
            float[] easeScores = new float[m.ItemCount];
            models[0].Score(u, easeScores);
            for (int k = 0; k < models.Length; k++)
            {
                float[] s = new float[m.ItemCount];
                models[k].Score(u, s);
                double[] unrated = [.. Enumerable.Range(0, m.ItemCount).Where(i => !rated.Contains(i) && s[i] > -1e3f).Select(i => (double)s[i])];
                double mean = unrated.Average(), sd = Math.Sqrt(unrated.Average(v => (v - mean) * (v - mean)));
                for (int i = 0; i < m.ItemCount; i++)
                {
                    expected[i] += (k == 0 ? 1 : 0.5) * (s[i] - mean) / sd;
                }
            }

            // Movies outside ease's selection (none here, where every movie is rated enough) would keep ease's low score.
            Assert.All(easeScores, v => Assert.True(v > -1e3f));
            for (int i = 0; i < m.ItemCount; i++)
            {
                Assert.Equal(expected[i], scores[i], 3);
            }
        }

        // Saved and loaded, it ranks the same.
        using var buffer = new MemoryStream();
        ModelSerializer.Save(hybrid, buffer);
        buffer.Position = 0;
        IRecommenderModel loaded = ModelSerializer.Load(buffer);
        Assert.Equal(HybridRanker.Fusion, ((HybridModel)loaded).Ranker);
        Assert.Equal(hybrid.Recommend(m.Users.RawId(3), 10), loaded.Recommend(m.Users.RawId(3), 10));
    }

    [SkippableFact]
    public void On_ml_latest_small_fold1_the_hybrid_beats_svd()
    {
        string splits = SharedData.Require("benchmarks", "splits", "ml-latest-small");
        string folder = SharedData.Require("datasets", "ml-latest-small");
        MovieLensDataset metadata = MovieLensLoader.Load(folder, new LoadOptions { IncludeRatings = false });
        DataSplit fold1 = Splitters.FromFiles([(Path.Combine(splits, "fold1.train.csv"), Path.Combine(splits, "fold1.test.csv"))], RatingScale.HalfStars)[0];
        var context = new ModelContext(42, metadata.Movies, metadata.Tags);

        IReadOnlyList<ModelEvaluation> r = CrossValidator.Evaluate(
            [new SvdTrainer(), ModelRegistry.Hybrid(new HybridOptions { RankingModel = "popular", Ranker = HybridRanker.Single }, context)], [fold1], new EvaluationOptions { Ranking = false });

        Assert.True(r[1].Rmse < r[0].Rmse - 0.005, $"hybrid {r[1].Rmse:0.0000} vs svd {r[0].Rmse:0.0000}");
    }
}
