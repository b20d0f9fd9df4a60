using MovieRec.Core.Artifacts;
using MovieRec.Core.Data;
using MovieRec.Core.Models;

namespace MovieRec.Core.Tests.Models;

/// <summary>
/// The behaviour every model owes its callers, run against each algorithm: unknown ids, empty history, determinism,
/// save/load round trip, and recommendations that never repeat what the user rated.
/// </summary>
public abstract class RecommenderContractTests<TTrainer>
    where TTrainer : IRecommenderTrainer
{
    private const int UnknownUser = 100_000;
    private const int UnknownMovie = 200_000;

    private readonly RatingMatrix _train = RatingMatrix.Build(Fixtures.SyntheticRatings());

    protected abstract TTrainer CreateTrainer(int seed);

    private IRecommenderModel Fit(int seed = 42) => CreateTrainer(seed).Fit(_train, new TrainingOptions { Threads = 1 });

    [Fact]
    public void Trainer_has_a_lower_case_name_that_the_model_keeps()
    {
        TTrainer trainer = CreateTrainer(1);
        Assert.Equal(trainer.Name.ToLowerInvariant(), trainer.Name);
        Assert.Equal(trainer.Name, trainer.Fit(_train).Name);
    }

    [Fact]
    public void Unknown_user_falls_back_to_the_movies_baseline()
    {
        IRecommenderModel model = Fit();
        int movie = _train.Items.RawId(0);

        Prediction p = model.Predict(UnknownUser, movie);

        Assert.Equal(PredictionFallback.UnknownUser, p.Fallback);
        Assert.True(p.IsFallback);
        Assert.Contains(UnknownUser.ToString(System.Globalization.CultureInfo.InvariantCulture), p.FallbackReason, StringComparison.Ordinal);
        AssertInScale(p.Rating);
    }

    [Fact]
    public void Unknown_movie_and_unknown_pair_fall_back_too()
    {
        IRecommenderModel model = Fit();
        int user = _train.Users.RawId(0);

        Assert.Equal(PredictionFallback.UnknownMovie, model.Predict(user, UnknownMovie).Fallback);
        Prediction both = model.Predict(UnknownUser, UnknownMovie);
        Assert.Equal(PredictionFallback.UnknownUserAndMovie, both.Fallback);
        Assert.Equal(_train.Scale.Clip((float)_train.GlobalMean), both.Rating, 5);
    }

    [Fact]
    public void Known_pairs_are_answered_by_the_model_inside_the_rating_scale()
    {
        IRecommenderModel model = Fit();
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

    [Fact]
    public void Same_seed_and_one_thread_give_the_same_model()
    {
        IRecommenderModel a = Fit(7), b = Fit(7);

        Assert.Equal(AllEstimates(a), AllEstimates(b));
    }

    [Fact]
    public void Save_and_load_give_identical_predictions_and_recommendations()
    {
        IRecommenderModel model = Fit();
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

    [Fact]
    public void A_truncated_or_foreign_model_file_is_refused()
    {
        using var stream = new MemoryStream();
        ModelSerializer.Save(Fit(), stream);
        byte[] bytes = stream.ToArray();

        Assert.Throws<InvalidDataException>(() => ModelSerializer.Load(new MemoryStream(bytes[..(bytes.Length / 2)])));
        Assert.Throws<InvalidDataException>(() => ModelSerializer.Load(new MemoryStream(bytes[..^2])));
        Assert.Throws<InvalidDataException>(() => ModelSerializer.Load(new MemoryStream("not a model at all"u8.ToArray())));
    }

    [Fact]
    public void Recommend_never_returns_rated_movies_and_ranks_best_first()
    {
        IRecommenderModel model = Fit();
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

    [Fact]
    public void Recommend_honours_the_filter_and_serves_users_with_no_history()
    {
        IRecommenderModel model = Fit();

        IReadOnlyList<ScoredMovie> filtered = model.Recommend(_train.Users.RawId(0), 5, filter: id => id % 2 == 0);
        IReadOnlyList<ScoredMovie> newcomer = model.Recommend(UnknownUser, 5);

        Assert.All(filtered, m => Assert.Equal(0, m.MovieId % 2));
        Assert.Equal(5, newcomer.Count);
        Assert.All(newcomer, m => Assert.True(_train.Items.Contains(m.MovieId)));
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
