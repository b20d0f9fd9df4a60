using MovieRec.Core.Data;
using MovieRec.Core.Evaluation;
using MovieRec.Core.Models;
using MovieRec.Core.Models.Baselines;
using MovieRec.Core.Models.Ease;
using MovieRec.Core.Numerics;

namespace MovieRec.Core.Tests.Models;

public sealed class EaseTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(50, 1)]
    [InlineData(97, 2)]
    [InlineData(230, 2)]
    public void The_blocked_inverse_times_the_matrix_is_the_identity(int n, int threads)
    {
        var random = new Random(n);
        double[] x = new double[n * (n + 3)];
        for (int e = 0; e < x.Length; e++)
        {
            x[e] = random.NextDouble() - 0.5;
        }

        // A = X X^T + I is symmetric positive definite.
        double[] a = new double[n * n];
        for (int r = 0; r < n; r++)
        {
            for (int c = 0; c < n; c++)
            {
                double s = r == c ? 1 : 0;
                for (int k = 0; k < n + 3; k++)
                {
                    s += x[(r * (n + 3)) + k] * x[(c * (n + 3)) + k];
                }

                a[(r * n) + c] = s;
            }
        }

        double[] inverse = (double[])a.Clone();
        Assert.True(SymmetricInverse.Invert(inverse, n, threads));

        double worst = 0;
        for (int r = 0; r < n; r++)
        {
            for (int c = 0; c < n; c++)
            {
                double s = 0;
                for (int k = 0; k < n; k++)
                {
                    s += a[(r * n) + k] * inverse[(k * n) + c];
                }

                worst = Math.Max(worst, Math.Abs(s - (r == c ? 1 : 0)));
                Assert.Equal(inverse[(r * n) + c], inverse[(c * n) + r]);
            }
        }

        Assert.True(worst < 1e-9, $"max |A A^-1 - I| = {worst}");
    }

    [Fact]
    public void A_matrix_that_is_not_positive_definite_is_refused()
    {
        double[] a = [1, 2, 2, 1];

        Assert.False(SymmetricInverse.Invert(a, 2));
    }

    [Fact]
    public void The_inverse_does_not_depend_on_the_thread_count()
    {
        int n = 150;
        var random = new Random(3);
        double[] a = new double[n * n];
        for (int r = 0; r < n; r++)
        {
            for (int c = 0; c <= r; c++)
            {
                a[(r * n) + c] = a[(c * n) + r] = r == c ? n : random.NextDouble();
            }
        }

        double[] one = (double[])a.Clone(), two = (double[])a.Clone();
        SymmetricInverse.Invert(one, n, 1);
        SymmetricInverse.Invert(two, n, 2);

        Assert.Equal(one, two);
    }

    [Fact]
    public void Ease_ranks_better_than_popularity_when_what_users_watch_has_structure()
    {
        // Three audiences, each mostly watching its own third of the catalogue; popularity cannot tell them apart.
        var random = new Random(5);
        var ratings = new List<Rating>();
        for (int u = 0; u < 150; u++)
        {
            for (int m = 0; m < 60; m++)
            {
                double p = (m % 3) == (u % 3) ? 0.5 : 0.08 + (0.1 * m / 60);
                if (random.NextDouble() < p)
                {
                    ratings.Add(new Rating(u + 1, Fixtures.MovieId(m), 4f + (float)random.Next(2), u * 100 + m));
                }
            }
        }

        IReadOnlyList<DataSplit> folds = Splitters.KFold([.. ratings], 3, seed: 2);

        IReadOnlyList<ModelEvaluation> r = CrossValidator.Evaluate([new PopularityTrainer(), new EaseTrainer(new EaseOptions { Lambda = 20 })], folds,
            new EvaluationOptions { K = 5, RelevanceThreshold = 4f });

        Assert.True(r[1].NdcgAtK > r[0].NdcgAtK + 0.1, $"ease {r[1].NdcgAtK:0.0000} vs popular {r[0].NdcgAtK:0.0000}");
    }

    [Fact]
    public void Movies_outside_the_selection_rank_below_every_selected_movie_and_have_no_neighbours()
    {
        RatingMatrix m = RatingMatrix.Build(Fixtures.SyntheticRatings(60, 50, seed: 9));
        var model = (EaseModel)new EaseTrainer(new EaseOptions { Lambda = 10, MaxItems = 20 }).Fit(m, new TrainingOptions { Threads = 1 });
        int[] byCount = [.. Enumerable.Range(0, m.ItemCount).OrderByDescending(m.ItemRatingCount).ThenBy(i => i)];
        HashSet<int> selected = [.. byCount[..20]];

        Assert.Equal(20, model.SelectedCount);
        float[] scores = new float[m.ItemCount];
        model.Score(0, scores);
        float lowestSelected = selected.Min(i => scores[i]);
        Assert.All(Enumerable.Range(0, m.ItemCount).Where(i => !selected.Contains(i)), i => Assert.True(scores[i] < lowestSelected));
        Assert.Empty(model.Similar(m.Items.RawId(byCount[^1]), 5));
        IReadOnlyList<ScoredMovie> similar = model.Similar(m.Items.RawId(byCount[0]), 5);
        Assert.Equal(5, similar.Count);
        Assert.All(similar, s => Assert.Contains(m.Items.IndexOf(s.MovieId), selected));
    }

    private static readonly RatingMatrix Small = RatingMatrix.Build(Fixtures.SyntheticRatings(60, 50, seed: 9));

    private static EaseModel FitSmall(float minRating = 2.5f) =>
        (EaseModel)new EaseTrainer(new EaseOptions { Lambda = 10, MaxItems = 30, MinRating = minRating }).Fit(Small, new TrainingOptions { Threads = 1 });

    private static UserHistory HistoryOf(int u, Func<float, float>? rating = null) =>
        UserHistory.From(Small, Enumerable.Range(0, Small.UserRatingCount(u)).Select(k => (Small.Items.RawId(Small.ItemsOf(u)[k]), (rating ?? (r => r))(Small.RatingsOf(u)[k]))),
            Small.Users.RawId(u));

    private static float[] RowOf(EaseModel model, int u)
    {
        float[] scores = new float[Small.ItemCount];
        model.Score(u, scores);
        return scores;
    }

    private static float[] HistoryScores(IFoldIn model, UserHistory history)
    {
        float[] scores = new float[Small.ItemCount];
        model.ScoreHistory(history, scores);
        return scores;
    }

    [Fact]
    public void A_trained_users_history_scores_exactly_as_its_row_and_fold_in_is_a_capability()
    {
        EaseModel model = FitSmall();

        IFoldIn foldIn = model.Capabilities.FoldIn ?? throw new Xunit.Sdk.XunitException("EASE should offer fold-in");
        Assert.Contains(Small.RatingsOf(0).ToArray(), r => r < model.MinRating);
        for (int u = 0; u < Small.UserCount; u++)
        {
            Assert.Equal(RowOf(model, u), HistoryScores(foldIn, HistoryOf(u)));
        }
    }

    [Fact]
    public void Ratings_below_the_interaction_threshold_are_not_interactions_when_scoring()
    {
        EaseModel model = FitSmall(minRating: 3f);
        UserHistory history = HistoryOf(2);
        int[] low = [.. history.Items.Where((_, k) => history.Ratings[k] < 3f)];
        int[] high = [.. history.Items.Where((_, k) => history.Ratings[k] >= 3f)];
        Assert.NotEmpty(low);
        Assert.NotEmpty(high);

        // The same history without its low ratings scores the same; without one of its interactions it does not.
        UserHistory onlyHigh = low.Aggregate(history, (h, i) => h.Without(Small.Items.RawId(i)));
        Assert.Equal(HistoryScores(model, history), HistoryScores(model, onlyHigh));
        Assert.NotEqual(HistoryScores(model, history), HistoryScores(model, history.Without(Small.Items.RawId(high[0]))));

        // Every rating as an interaction (threshold 0) is the same as raising every rating above the threshold.
        EaseModel all = FitSmall(minRating: 0f);
        Assert.Equal(RowOf(all, 2), HistoryScores(all, HistoryOf(2, r => r)));
    }

    [Fact]
    public void Explanations_add_up_to_the_score_and_removing_the_top_one_lowers_it()
    {
        EaseModel model = FitSmall();
        UserHistory history = HistoryOf(5);
        float[] scores = HistoryScores(model, history);
        int best = Numerics.TopK.Select(scores, 1, history.Items)[0];

        IReadOnlyList<Contribution> all = model.Explain(history, Small.Items.RawId(best), int.MaxValue);
        Assert.Same(model, model.Capabilities.Explainable);
        Assert.All(all, c => Assert.True(history.Ratings[Array.IndexOf(history.Items, Small.Items.IndexOf(c.MovieId))] >= model.MinRating));
        Assert.Equal(scores[best], all.Sum(c => c.Weight), 4);
        Assert.True(all[0].Weight >= all[^1].Weight);
        Assert.True(HistoryScores(model, history.Without(all[0].MovieId))[best] < scores[best]);
    }

    [Fact]
    public void A_history_without_interactions_ranks_by_popularity()
    {
        EaseModel model = FitSmall();
        float[] scores = HistoryScores(model, UserHistory.From(Small, []));

        Assert.Equal([.. Enumerable.Range(0, Small.ItemCount).Select(i => (float)Small.ItemRatingCount(i))], scores);
    }

    [Fact]
    public void The_interaction_threshold_survives_a_save_and_a_payload_of_before_it_scores_every_rated_movie()
    {
        EaseModel model = FitSmall(minRating: 3f);
        using var saved = new MemoryStream();
        ModelSerializer.Save(model, saved);

        var loaded = (EaseModel)ModelSerializer.Load(new MemoryStream(saved.ToArray()));
        Assert.Equal(3f, loaded.MinRating);
        Assert.Equal(RowOf(model, 4), RowOf(loaded, 4));

        // The payload as written before the threshold was stored: no version marker, no threshold.
        byte[] bytes = saved.ToArray();
        byte[] marker = [.. BitConverter.GetBytes(-2), .. BitConverter.GetBytes(3f)];
        int at = bytes.AsSpan().IndexOf(marker);
        Assert.True(at > 0);
        byte[] legacy = [.. bytes[..at], .. bytes[(at + marker.Length)..]];

        var old = (EaseModel)ModelSerializer.Load(new MemoryStream(legacy));
        Assert.Equal(0f, old.MinRating);
        Assert.Equal(HistoryScores(model, HistoryOf(4, _ => 5f)), RowOf(old, 4));
    }

    // Three users rate movies 1 and 2 (and one of them movie 3), the two ratings 0 s, 300 s and 10^6 s apart.
    private static readonly Rating[] Sittings =
    [
        new(1, 1, 4f, 1000), new(1, 2, 4f, 1000),
        new(2, 1, 4f, 5000), new(2, 2, 4f, 5300),
        new(3, 1, 4f, 10_000), new(3, 2, 4f, 1_010_000), new(3, 3, 4f, 10_000),
    ];

    private static float ScoreOfMovie2GivenMovie1(RatingMatrix train, EaseOptions options)
    {
        var model = (EaseModel)new EaseTrainer(options with { MinItemRatings = 1, MinRating = 0 }).Fit(train, new TrainingOptions { Threads = 1 });
        float[] scores = new float[train.ItemCount];
        model.ScoreHistory(UserHistory.From(train, [(1, 4f)]), scores);
        return scores[train.Items.IndexOf(2)];
    }

    [Fact]
    public void Pairs_rated_close_in_time_weigh_more_in_the_gram_matrix()
    {
        // The 3x3 solve done here by hand: with G the Gram matrix plus lambda on the diagonal, B = I - P diag(1/diag P),
        // P = G^-1. Pair weights with w = 0.8, scale 300 s: same second 1, 300 s apart 0.2 + 0.8/e, 10^6 s apart 0.2.
        const double w = 0.8, lambda = 2;
        double g12 = 1 + (1 - w + (w * Math.Exp(-1))) + (1 - w);
        double g13 = 1; // user 3 rated movies 1 and 3 in the same second
        double g23 = 1 - w; // and movies 2 and 3 10^6 s apart
        double[,] g = { { 3 + lambda, g12, g13 }, { g12, 3 + lambda, g23 }, { g13, g23, 1 + lambda } };
        double expected = HandB(g, 0, 1);

        RatingMatrix timed = RatingMatrix.Build(Sittings);
        var options = new EaseOptions { Lambda = lambda, TimeWeight = w, TimeScale = 300 };
        Assert.Equal(expected, ScoreOfMovie2GivenMovie1(timed, options), 5);

        // Without timestamps (or with no weight on time) every pair weighs 1: plain EASE, a different and larger B.
        double[,] plain = { { 3 + lambda, 3, 1 }, { 3, 3 + lambda, 1 }, { 1, 1, 1 + lambda } };
        RatingMatrix untimed = RatingMatrix.Build([.. Sittings.Select(r => r with { Timestamp = 0 })]);
        Assert.Equal(HandB(plain, 0, 1), ScoreOfMovie2GivenMovie1(untimed, options), 5);
        Assert.Equal(HandB(plain, 0, 1), ScoreOfMovie2GivenMovie1(timed, options with { TimeWeight = 0 }), 5);
        Assert.True(HandB(plain, 0, 1) > expected + 0.01);
    }

    // B[r, c] = -P[r, c] / P[c, c] of a 3x3 symmetric G, P = G^-1 by cofactors.
    private static double HandB(double[,] g, int r, int c)
    {
        double Cof(int i, int j)
        {
            int[] rows = [.. Enumerable.Range(0, 3).Where(x => x != i)], cols = [.. Enumerable.Range(0, 3).Where(x => x != j)];
            double minor = (g[rows[0], cols[0]] * g[rows[1], cols[1]]) - (g[rows[0], cols[1]] * g[rows[1], cols[0]]);
            return ((i + j) % 2 == 0 ? 1 : -1) * minor;
        }

        // P = adj(G) / det G; the determinant cancels in the ratio, and adj(G)[r, c] = Cof(c, r).
        return -Cof(c, r) / Cof(c, c);
    }

    [Fact]
    public void Options_are_validated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new EaseTrainer(new EaseOptions { TimeWeight = 1.5 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EaseTrainer(new EaseOptions { TimeWeight = -0.1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EaseTrainer(new EaseOptions { TimeScale = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EaseTrainer(new EaseOptions { Lambda = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EaseTrainer(new EaseOptions { MaxItems = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EaseTrainer(new EaseOptions { MinItemRatings = -1 }));
    }
}
