using MovieRec.Core.Data;
using MovieRec.Core.Models;

namespace MovieRec.Core.Tests.Models;

/// <summary>
/// The behaviour every model owes its callers, run against every model the registry names (and a few option
/// variants): unknown ids, empty history, determinism, a seed that matters, save/load round trip, and recommendations
/// that never repeat what the user rated. A model added to the registry joins this suite without a line here.
/// </summary>
public sealed class RecommenderContractTests
{
    private const int UnknownUser = 100_000;
    private const int UnknownMovie = 200_000;

    private readonly RatingMatrix _train = RatingMatrix.Build(Fixtures.SyntheticRatings());

    /// <summary>
    /// Every registry name, with options that keep the slow ones small, plus variants that take other code paths:
    /// "name" or "name|option=value,option=value".
    /// </summary>
    public static TheoryData<string> Models
    {
        get
        {
            var small = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["svd"] = "factors=20,epochs=30",
                ["svdpp"] = "factors=20,epochs=30",
                ["als"] = "factors=8",
                ["implicit-als"] = "factors=8,regularization=1",
                ["autorec"] = "hidden=16,epochs=15,batchSize=8",
                ["deep-mf"] = "factors=8,width=16,epochs=8,batchSize=64",
                ["residual-mf"] = "factors=8,width=16,epochs=8,batchSize=64",
            };
            var data = new TheoryData<string>();
            foreach (string name in ModelRegistry.Names)
            {
                data.Add(small.TryGetValue(name, out string? options) ? $"{name}|{options}" : name);
            }

            // The large-catalogue kNN path: no dense lookup, each row cut to its 12 best (then made symmetric).
            data.Add("item-knn|denseCutover=0,maxNeighbors=12,k=10");
            data.Add("user-knn|denseCutover=0,maxNeighbors=12,k=10");
            data.Add("item-knn-zscore|similarity=pearson");

            // Fewer selected movies than the catalogue, so ease's unselected path is part of every contract check.
            data.Add("ease|lambda=10,maxItems=40");

            // The hybrid's learned ranker (LambdaMART over pooled candidates) and its pointwise objective.
            data.Add("hybrid|ranker=lambdaMart,candidates=15,rankerMinLeaf=5");
            data.Add("hybrid|ranker=lambdaMart,rankerObjective=pointwise,candidates=15,rankerMinLeaf=5");

            // The hybrid's fused ranker (ease's z-scores plus a weight times item-knn's and implicit-als's).
            data.Add("hybrid|ranker=fusion,fusionWeight=0.5");
            return data;
        }
    }

    /// <summary>The registry's models whose fit is random, i.e. that declare a seed.</summary>
    public static TheoryData<string> SeededModels
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (string model in Models)
            {
                if (ModelRegistry.Info(model.Split('|')[0]).Algorithm.Option("seed") is not null)
                {
                    data.Add(model);
                }
            }

            return data;
        }
    }

    /// <summary>A trainer for a case of <see cref="Models"/>, through the registry as the CLI and API build them.</summary>
    public static IRecommenderTrainer CreateTrainer(string model, int seed)
    {
        string[] parts = model.Split('|');
        var overrides = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string pair in parts.Length > 1 ? parts[1].Split(',') : [])
        {
            string[] kv = pair.Split('=');
            overrides[kv[0]] = kv[1];
        }

        var context = new ModelContext(seed, ContentTests.Catalogue(60), ContentTests.SomeTags());
        return ModelRegistry.Resolve(parts[0], context, overrides).CreateTrainer(context);
    }

    private IRecommenderModel Fit(string model, int seed = 42) => CreateTrainer(model, seed).Fit(_train, new TrainingOptions { Threads = 1 });

    [Theory]
    [MemberData(nameof(Models))]
    public void Trainer_has_a_lower_case_name_that_the_model_keeps(string name)
    {
        IRecommenderTrainer trainer = CreateTrainer(name, 1);
        Assert.Equal(trainer.Name.ToLowerInvariant(), trainer.Name);
        Assert.Equal(name.Split('|')[0], trainer.Name);
        Assert.Equal(trainer.Name, trainer.Fit(_train).Name);
    }

    [Theory]
    [MemberData(nameof(SeededModels))]
    public void A_different_seed_gives_a_different_model(string name)
    {
        IRecommenderModel a = Fit(name, 7), b = Fit(name, 8);

        // Ranking scores too: implicit-als's rating predictions are its (deterministic) baseline.
        Assert.NotEqual([.. AllEstimates(a), .. AllScores(a)], (float[])[.. AllEstimates(b), .. AllScores(b)]);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Unknown_user_falls_back_to_the_movies_baseline(string name)
    {
        IRecommenderModel model = Fit(name);
        int movie = _train.Items.RawId(0);

        Prediction p = model.Predict(UnknownUser, movie);

        Assert.Equal(PredictionFallback.UnknownUser, p.Fallback);
        Assert.True(p.IsFallback);
        Assert.Contains(UnknownUser.ToString(System.Globalization.CultureInfo.InvariantCulture), p.FallbackReason, StringComparison.Ordinal);
        AssertInScale(p.Rating);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Unknown_movie_and_unknown_pair_fall_back_too(string name)
    {
        IRecommenderModel model = Fit(name);
        int user = _train.Users.RawId(0);

        Assert.Equal(PredictionFallback.UnknownMovie, model.Predict(user, UnknownMovie).Fallback);
        Prediction both = model.Predict(UnknownUser, UnknownMovie);
        Assert.Equal(PredictionFallback.UnknownUserAndMovie, both.Fallback);
        Assert.Equal(_train.Scale.Clip((float)_train.GlobalMean), both.Rating, 5);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Known_pairs_are_answered_by_the_model_inside_the_rating_scale(string name)
    {
        IRecommenderModel model = Fit(name);
        for (int u = 0; u < _train.UserCount; u += 3)
        {
            for (int i = 0; i < _train.ItemCount; i++)
            {
                Prediction p = model.Predict(_train.Users.RawId(u), _train.Items.RawId(i));
                Assert.False(p.IsFallback);
                AssertInScale(p.Rating);
                Assert.Equal(model.Estimate(u, i), p.Rating);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Same_seed_and_one_thread_give_the_same_model(string name)
    {
        IRecommenderModel a = Fit(name, 7), b = Fit(name, 7);

        Assert.Equal(AllEstimates(a), AllEstimates(b));
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Save_and_load_give_identical_predictions_and_recommendations(string name)
    {
        IRecommenderModel model = Fit(name);
        using var stream = new MemoryStream();
        ModelSerializer.Save(model, stream);
        stream.Position = 0;

        IRecommenderModel loaded = ModelSerializer.Load(stream);

        Assert.Equal(model.Name, loaded.Name);
        Assert.Equal(AllEstimates(model), AllEstimates(loaded));
        int user = _train.Users.RawId(1);
        Assert.Equal(model.Recommend(user, 10), loaded.Recommend(user, 10));
        Assert.Equal(model.Predict(UnknownUser, _train.Items.RawId(2)), loaded.Predict(UnknownUser, _train.Items.RawId(2)));
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void A_truncated_or_foreign_model_file_is_refused(string name)
    {
        using var stream = new MemoryStream();
        ModelSerializer.Save(Fit(name), stream);
        byte[] bytes = stream.ToArray();

        Assert.Throws<InvalidDataException>(() => ModelSerializer.Load(new MemoryStream(bytes[..(bytes.Length / 2)])));
        Assert.Throws<InvalidDataException>(() => ModelSerializer.Load(new MemoryStream(bytes[..^2])));
        Assert.Throws<InvalidDataException>(() => ModelSerializer.Load(new MemoryStream("not a model at all"u8.ToArray())));
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Recommend_never_returns_rated_movies_and_ranks_best_first(string name)
    {
        IRecommenderModel model = Fit(name);
        for (int u = 0; u < _train.UserCount; u += 5)
        {
            int user = _train.Users.RawId(u);
            HashSet<int> rated = [.. _train.ItemsOf(u).ToArray().Select(_train.Items.RawId)];

            IReadOnlyList<ScoredMovie> top = model.Recommend(user, 10);

            Assert.Equal(Math.Min(10, _train.ItemCount - rated.Count), top.Count);
            Assert.DoesNotContain(top, m => rated.Contains(m.MovieId));
            Assert.Equal(top.Count, top.Select(m => m.MovieId).Distinct().Count());
            for (int r = 1; r < top.Count; r++)
            {
                Assert.True(top[r - 1].Score >= top[r].Score);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Recommend_honours_the_filter_and_serves_users_with_no_history(string name)
    {
        IRecommenderModel model = Fit(name);

        IReadOnlyList<ScoredMovie> filtered = model.Recommend(_train.Users.RawId(0), 5, filter: id => id % 2 == 0);
        IReadOnlyList<ScoredMovie> newcomer = model.Recommend(UnknownUser, 5);

        Assert.All(filtered, m => Assert.Equal(0, m.MovieId % 2));
        Assert.Equal(5, newcomer.Count);
        Assert.All(newcomer, m => Assert.True(_train.Items.Contains(m.MovieId)));
    }

    private float[] AllScores(IRecommenderModel model)
    {
        float[] scores = new float[_train.UserCount * _train.ItemCount];
        for (int u = 0; u < _train.UserCount; u++)
        {
            model.Score(u, scores.AsSpan(u * _train.ItemCount, _train.ItemCount));
        }

        return scores;
    }

    private float[] AllEstimates(IRecommenderModel model)
    {
        var values = new List<float>();
        for (int u = 0; u < _train.UserCount; u++)
        {
            for (int i = 0; i < _train.ItemCount; i++)
            {
                values.Add(model.Estimate(u, i));
            }
        }

        return [.. values];
    }

    private void AssertInScale(float rating) => Assert.InRange(rating, _train.Scale.Min, _train.Scale.Max);
}
