using MovieRec.Core.Data;
using MovieRec.Core.Evaluation;
using MovieRec.Core.Models;
using MovieRec.Core.Models.Factorization;

namespace MovieRec.Core.Tests.Models;

public sealed class FactorizationTests
{
    private readonly Rating[] _ratings = Fixtures.SyntheticRatings(80, 60, seed: 11);

    public static TheoryData<string> Trainers => ["svd", "svdpp", "als"];

    [Theory]
    [MemberData(nameof(Trainers))]
    public void Factorization_beats_the_baseline_on_data_with_taste_structure(string name)
    {
        IReadOnlyList<DataSplit> folds = Splitters.KFold(_ratings, 3, seed: 2);

        IReadOnlyList<ModelEvaluation> r = CrossValidator.Evaluate([ModelRegistry.Create("baseline"), ModelRegistry.Create(name)], folds, new EvaluationOptions { Ranking = false });

        Assert.True(r[1].Rmse < r[0].Rmse, $"{name} {r[1].Rmse:0.0000} vs baseline {r[0].Rmse:0.0000}");
    }

    [Fact]
    public void Multi_threaded_sgd_still_learns()
    {
        RatingMatrix m = RatingMatrix.Build(_ratings);
        var trainer = new SvdTrainer(new SvdOptions { Factors = 10, Epochs = 20 });

        var one = (MatrixFactorizationModel)trainer.Fit(m, new TrainingOptions { Threads = 1 });
        var two = (MatrixFactorizationModel)trainer.Fit(m, new TrainingOptions { Threads = 2 });

        Assert.Equal(Rmse(one, m), Rmse(two, m), 1);
    }

    [Theory]
    [MemberData(nameof(Trainers))]
    public void A_user_folded_in_from_their_own_ratings_predicts_close_to_the_trained_user(string name)
    {
        RatingMatrix m = RatingMatrix.Build(_ratings);
        var model = (MatrixFactorizationModel)ModelRegistry.Create(name).Fit(m, new TrainingOptions { Threads = 1 });
        double totalDiff = 0, spread = 0;
        int count = 0;
        for (int u = 0; u < m.UserCount; u += 8)
        {
            int user = m.Users.RawId(u);
            (int, float)[] own = [.. m.ItemsOf(u).ToArray().Zip(m.RatingsOf(u).ToArray(), (i, r) => (m.Items.RawId(i), r))];

            FoldedInUser folded = model.FoldIn(own);

            for (int i = 0; i < m.ItemCount; i++)
            {
                float trained = model.Predict(user, m.Items.RawId(i)).Rating;
                totalDiff += Math.Abs(folded.Predict(m.Items.RawId(i))!.Value - trained);
                spread += Math.Abs(trained - m.GlobalMean);
                count++;
            }

            Assert.DoesNotContain(folded.Recommend(10), s => own.Any(o => o.Item1 == s.MovieId));
        }

        // Folded-in predictions track the trained user's far more closely than the trained predictions vary.
        Assert.True(totalDiff / count < 0.5 * spread / count, $"mean |folded - trained| {totalDiff / count:0.000}, mean spread {spread / count:0.000}");
    }

    [Theory]
    [MemberData(nameof(Trainers))]
    public void Similar_movies_are_ranked_by_factor_cosine_and_exclude_the_movie_itself(string name)
    {
        RatingMatrix m = RatingMatrix.Build(_ratings);
        var model = (MatrixFactorizationModel)ModelRegistry.Create(name).Fit(m, new TrainingOptions { Threads = 1 });
        int movie = m.Items.RawId(0);

        IReadOnlyList<ScoredMovie> similar = model.Similar(movie, 5);

        Assert.Equal(5, similar.Count);
        Assert.DoesNotContain(similar, s => s.MovieId == movie);
        Assert.All(similar, s => Assert.InRange(s.Score, -1.0001f, 1.0001f));
        for (int r = 1; r < similar.Count; r++)
        {
            Assert.True(similar[r - 1].Score >= similar[r].Score);
        }

        Assert.Empty(model.Similar(-5, 5));
    }

    [Fact]
    public void Fold_in_with_no_known_movies_gives_the_item_baseline_ranking()
    {
        RatingMatrix m = RatingMatrix.Build(_ratings);
        var model = (MatrixFactorizationModel)new AlsTrainer(new AlsOptions { Factors = 4 }).Fit(m);

        FoldedInUser folded = model.FoldIn([(999_999, 5f)]);

        Assert.Equal(0f, folded.Bias);
        Assert.Null(folded.Predict(999_999));
        Assert.Equal(10, folded.Recommend(10).Count);
    }

    [Fact]
    public void Progress_reports_every_epoch_and_early_stopping_ends_the_run()
    {
        RatingMatrix m = RatingMatrix.Build(_ratings);
        var reports = new List<TrainingProgress>();
        var progress = new SyncProgress(reports.Add);

        new SvdTrainer(new SvdOptions { Factors = 10, Epochs = 15, ValidationFraction = 0.2 }).Fit(m, new TrainingOptions { Threads = 1, Progress = progress });
        Assert.Equal(15, reports.Count);
        Assert.All(reports, r => Assert.NotNull(r.ValidationRmse));
        Assert.True(reports[^1].TrainLoss < reports[0].TrainLoss);

        reports.Clear();
        // A learning rate this high overfits at once: validation stops improving and the run ends early.
        new SvdTrainer(new SvdOptions { Factors = 30, Epochs = 200, LearningRate = 0.05, RegFactor = 0, ValidationFraction = 0.2, EarlyStoppingPatience = 3 })
            .Fit(m, new TrainingOptions { Threads = 1, Progress = progress });
        Assert.InRange(reports.Count, 2, 199);
    }

    private static double Rmse(MatrixFactorizationModel model, RatingMatrix m)
    {
        double sum = 0;
        for (int u = 0; u < m.UserCount; u++)
        {
            ReadOnlySpan<int> items = m.ItemsOf(u);
            for (int p = 0; p < items.Length; p++)
            {
                double d = model.Estimate(u, items[p]) - m.RatingsOf(u)[p];
                sum += d * d;
            }
        }

        return Math.Sqrt(sum / m.Count);
    }

    private sealed class SyncProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}

