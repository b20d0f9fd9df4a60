using MovieRec.Core.Data;
using MovieRec.Core.Feedback;
using MovieRec.Core.Models;
using MovieRec.Core.Models.Content;
using MovieRec.Core.Models.Factorization;
using MovieRec.Core.Models.Hybrid;
using MovieRec.Core.Models.Neighborhood;

namespace MovieRec.Core.Tests.Models;

/// <summary>Scoring from a history (fold-in) and explanations: each model's capability against what it must equal.</summary>
public sealed class LiveScoringTests
{
    private static readonly RatingMatrix Train = RatingMatrix.Build(Fixtures.SyntheticRatings(60, 60));

    private static UserHistory HistoryOf(int u) =>
        UserHistory.From(Train, Enumerable.Range(0, Train.UserRatingCount(u)).Select(k => (Train.Items.RawId(Train.ItemsOf(u)[k]), Train.RatingsOf(u)[k])),
            Train.Users.RawId(u));

    private static float[] ScoresOf(IFoldIn model, UserHistory history)
    {
        float[] scores = new float[Train.ItemCount];
        model.ScoreHistory(history, scores);
        return scores;
    }

    private static int Best(float[] scores, UserHistory history) => Numerics.TopK.Select(scores, 1, history.Items)[0];

    [Fact]
    public void Item_knn_scores_a_trained_users_history_exactly_as_the_users_row()
    {
        var model = (KnnModel)new ItemKnnTrainer(new KnnOptions { K = 10 }).Fit(Train);
        for (int u = 0; u < 5; u++)
        {
            float[] row = new float[Train.ItemCount];
            model.Score(u, row);
            Assert.Equal(row, ScoresOf(model, HistoryOf(u)));
        }
    }

    [Fact]
    public void Implicit_als_explanations_add_up_to_the_fold_in_score_and_the_top_one_carries_weight()
    {
        var model = (ImplicitFactorizationModel)new ImplicitAlsTrainer(new ImplicitAlsOptions { Factors = 8, Iterations = 8, Regularization = 1 }).Fit(Train);
        UserHistory history = HistoryOf(3);
        float[] scores = ScoresOf(model, history);
        int best = Best(scores, history);
        int movie = Train.Items.RawId(best);

        IReadOnlyList<Contribution> all = model.Explain(history, movie, int.MaxValue);
        Assert.Equal(history.Count, all.Count);
        Assert.Equal(scores[best], all.Sum(c => c.Weight), 3);
        Assert.True(all[0].Weight >= all[^1].Weight);

        float without = ScoresOf(model, history.Without(all[0].MovieId))[best];
        Assert.True(without < scores[best], $"removing the top explaining movie {all[0].MovieId} should lower the score {scores[best]}; it is {without}");
    }

    [Fact]
    public void Implicit_als_fold_in_of_a_trained_user_ranks_like_the_trained_row()
    {
        var model = (ImplicitFactorizationModel)new ImplicitAlsTrainer(new ImplicitAlsOptions { Factors = 8, Iterations = 15, Regularization = 1, ConjugateGradientSteps = 8 }).Fit(Train);
        int agree = 0;
        for (int u = 0; u < 20; u++)
        {
            UserHistory history = HistoryOf(u);
            float[] row = new float[Train.ItemCount];
            model.Score(u, row);
            agree += Best(row, history) == Best(ScoresOf(model, history), history) ? 1 : 0;
        }

        Assert.True(agree >= 16, $"the closed-form solve should pick the trained row's best movie for most users; it did for {agree} of 20");
    }

    [Fact]
    public void Implicit_als_keeps_its_fold_in_parameters_through_a_bundle_round_trip()
    {
        var model = (ImplicitFactorizationModel)new ImplicitAlsTrainer(new ImplicitAlsOptions { Factors = 8, Iterations = 3, Alpha = 7, Regularization = 2 }).Fit(Train);
        using var stream = new MemoryStream();
        ModelSerializer.Save(model, stream);
        stream.Position = 0;
        var loaded = (ImplicitFactorizationModel)ModelSerializer.Load(stream);
        Assert.Equal((7f, 2f), (loaded.Alpha, loaded.Regularization));
        Assert.Equal(ScoresOf(model, HistoryOf(1)), ScoresOf(loaded, UserHistory.From(loaded.Train, Enumerable.Range(0, Train.UserRatingCount(1))
            .Select(k => (Train.Items.RawId(Train.ItemsOf(1)[k]), Train.RatingsOf(1)[k])))));
    }

    [Fact]
    public void Content_explanations_are_the_exact_terms_of_the_score()
    {
        var model = (ContentModel)new ContentTrainer(ContentTests.Catalogue(60), ContentTests.SomeTags()).Fit(Train);
        UserHistory history = HistoryOf(4);
        float[] scores = ScoresOf(model, history);
        int best = Best(scores, history);
        IReadOnlyList<Contribution> top = model.Explain(history, Train.Items.RawId(best), 3);
        Assert.InRange(top.Count, 1, 3);
        Assert.True(ScoresOf(model, history.Without(top[0].MovieId))[best] < scores[best]);

        float[] row = new float[Train.ItemCount];
        model.Score(4, row);
        Assert.Equal(row, scores);
    }

    [Fact]
    public void The_hybrid_scores_and_explains_through_its_ranker()
    {
        var context = new ModelContext(1, ContentTests.Catalogue(60), ContentTests.SomeTags());
        var hybrid = (HybridModel)ModelRegistry.Hybrid(new HybridOptions { Seed = 1, BaseModels = ["baseline", "item-knn"], RankingModel = "implicit-als", Ranker = HybridRanker.Single }, context).Fit(Train);
        UserHistory history = UserHistory.From(Train, [(Fixtures.MovieId(1), 5f), (Fixtures.MovieId(2), 4f), (Fixtures.MovieId(7), 5f)]);
        float[] scores = ScoresOf(hybrid, history);
        int best = Best(scores, history);
        Assert.DoesNotContain(best, history.Items);

        IReadOnlyList<Contribution> because = hybrid.Explain(history, Train.Items.RawId(best), 3);
        Assert.Equal(3, because.Count);
        Assert.True(ScoresOf(hybrid, history.Without(because[0].MovieId))[best] < scores[best]);
    }

    [Fact]
    public void Svd_fold_in_of_a_history_scores_like_its_visitor_fold_in()
    {
        var model = (MatrixFactorizationModel)new SvdTrainer(new SvdOptions { Factors = 5, Epochs = 10 }).Fit(Train);
        (int, float)[] given = [(Fixtures.MovieId(1), 5f), (Fixtures.MovieId(9), 1f)];
        float[] scores = ScoresOf(model, UserHistory.From(Train, given));
        IReadOnlyList<ScoredMovie> visitor = model.FoldIn(given).Recommend(5);
        Assert.Equal(visitor[0].Score, scores[Train.Items.IndexOf(visitor[0].MovieId)], 4);
    }

    [Fact]
    public void The_overlay_replaces_adds_and_removes_dataset_ratings()
    {
        Rating[] data = [new(1, 10, 4, 1), new(1, 11, 3, 1), new(2, 10, 5, 1)];
        LiveRating[] live = [new(1, 10, 1.5f, 5, 1), new(1, 11, null, 6, 2), new(3, 12, 4, 7, 3), new(1, 10, 2.5f, 8, 4)];
        Rating[] merged = LiveOverlay.Apply(data, live);
        Assert.Equal([(1, 10, 2.5f), (2, 10, 5f), (3, 12, 4f)], merged.Select(r => (r.UserId, r.MovieId, r.Value)).Order());

        RatingMatrix m = RatingMatrix.Build(data);
        Assert.Equal([(10, 2.5f, true)], LiveOverlay.Merge(m, 1, [live[1], live[3]]));
    }
}
