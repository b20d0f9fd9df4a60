using MovieRec.Core.Data;
using MovieRec.Core.Models;
using MovieRec.Core.Models.Ease;
using MovieRec.Core.Models.Factorization;
using MovieRec.Core.Models.Hybrid;
using MovieRec.Core.Models.Neighborhood;
using MovieRec.Core.Numerics;

namespace MovieRec.Core.Tests.Models;

/// <summary>
/// The fast top of a list (<see cref="ITopRanker"/>: packed factors with exact re-scoring, bounded item-kNN) against the
/// unoptimised scoring it replaces: every model's full <c>Score</c> (or <c>ScoreHistory</c>) followed by <see cref="TopK.Select"/>.
/// The lists must be identical, order, ties and scores included.
/// </summary>
public sealed class TopRankerTests
{
    private static readonly RatingMatrix Small = RatingMatrix.Build(Fixtures.SyntheticRatings(80, 120));

    public static TheoryData<string> SmallModels => ["svd", "implicit-als", "item-knn", "item-knn-lists", "item-knn-support", "item-knn-bounds", "item-knn-lists-bounds", "item-knn-rank", "item-knn-rank-bounds", "item-knn-lists-rank", "hybrid", "hybrid-learned", "ease", "ease-few", "hybrid-ease"];

    [SkippableFact]
    public void On_ml_latest_small_the_top_10_of_every_user_is_the_unoptimised_top_10()
    {
        string folder = SharedData.Require("datasets", "ml-latest-small");
        RatingMatrix train = RatingMatrix.Build(MovieLensLoader.Load(folder).Ratings);
        // item-knn ranks by its 10 nearest rated movies; "item-knn-k" by all k (40) of them, as it did before rankK.
        foreach (string name in (string[])["svd", "implicit-als", "item-knn", "item-knn-k", "ease"])
        {
            IRecommenderModel model = name == "item-knn-k" ? new ItemKnnTrainer().Fit(train) : ModelRegistry.Create(name).Fit(train);
            ITopRanker ranker = model.Capabilities.TopRanker ?? throw new Xunit.Sdk.XunitException($"{name} has no fast top-N");
            float[] scores = new float[train.ItemCount];
            for (int u = 0; u < train.UserCount; u++)
            {
                model.Score(u, scores);
                AssertSame(name, u, RankedTop.FromScores(scores, 10, train.ItemsOf(u), null), ranker.Top(u, 10, train.ItemsOf(u), null));
            }

            // Deeper pages, a filter (as a genre is), and live histories (fold-in) on a sample of users.
            for (int u = 0; u < train.UserCount; u += 7)
            {
                model.Score(u, scores);
                Func<int, bool> third = i => i % 3 == 0;
                AssertSame(name, u, RankedTop.FromScores(scores, 60, train.ItemsOf(u), third), ranker.Top(u, 60, train.ItemsOf(u), third));
                AssertSame(name, u, RankedTop.FromScores(scores, 10, default, null), ranker.Top(u, 10, default, null));

                UserHistory history = HistoryWithChanges(train, u);
                ((IFoldIn)model).ScoreHistory(history, scores);
                AssertSame(name, u, RankedTop.FromScores(scores, 10, history.Items, null), ranker.TopOfHistory(history, 10, history.Items, null));
            }
        }
    }

    [Theory]
    [MemberData(nameof(SmallModels))]
    public void On_small_data_every_user_every_depth_and_histories_match_the_unoptimised_ranking(string name)
    {
        IRecommenderModel model = Fit(name);
        ITopRanker ranker = model.Capabilities.TopRanker ?? throw new Xunit.Sdk.XunitException($"{name} has no fast top-N");
        float[] scores = new float[Small.ItemCount];
        for (int u = 0; u < Small.UserCount; u++)
        {
            model.Score(u, scores);
            foreach (int k in (int[])[1, 10, 50, Small.ItemCount + 5])
            {
                AssertSame(name, u, RankedTop.FromScores(scores, k, Small.ItemsOf(u), null), ranker.Top(u, k, Small.ItemsOf(u), null));
            }

            Func<int, bool> odd = i => i % 2 == 1;
            AssertSame(name, u, RankedTop.FromScores(scores, 10, default, odd), ranker.Top(u, 10, default, odd));

            UserHistory history = HistoryWithChanges(Small, u);
            ((IFoldIn)model).ScoreHistory(history, scores);
            AssertSame(name, u, RankedTop.FromScores(scores, 10, history.Items, null), ranker.TopOfHistory(history, 10, history.Items, null));
        }
    }

    [Fact]
    public void Refined_selection_keeps_exact_ties_in_index_order_and_honours_exclusions()
    {
        // Exact scores with ties; approximate ones off by up to the tolerance in both directions.
        float[] exact = [1f, 3f, 2f, 3f, 3f, 0.5f, 2f, 3f];
        float[] approximate = [.. exact.Select((s, i) => s + (i % 2 == 0 ? 0.01f : -0.01f))];
        RankedTop top = TopK.SelectRefined(approximate, 0.01f, 4, [3], null, i => exact[i]);
        Assert.Equal([1, 4, 7, 2], top.Items);
        Assert.Equal([3f, 3f, 3f, 2f], top.Scores);
    }

    [Fact]
    public void Models_whose_ranking_is_not_bounded_by_evidence_have_no_fast_top()
    {
        Assert.Null(new ItemKnnTrainer(new KnnOptions { RankBy = KnnRankingScore.PredictedRating }).Fit(Small).Capabilities.TopRanker);
        Assert.Null(new UserKnnTrainer().Fit(Small).Capabilities.TopRanker);
        Assert.NotNull(new ItemKnnTrainer().Fit(Small).Capabilities.FoldIn); // item-kNN folds in and explains as it always did
        Assert.NotNull(new ItemKnnTrainer().Fit(Small).Capabilities.Explainable);
    }

    private static IRecommenderModel Fit(string name) => name switch
    {
        "svd" => new SvdTrainer(new SvdOptions { Factors = 12, Epochs = 10 }).Fit(Small),
        "implicit-als" => new ImplicitAlsTrainer(new ImplicitAlsOptions { Factors = 8, Iterations = 6 }).Fit(Small),
        "item-knn" => new ItemKnnTrainer(new KnnOptions { K = 10 }).Fit(Small),
        // Above the dense cut-over: neighbour lists cut at MaxNeighbors, walked and scattered.
        "item-knn-lists" => new ItemKnnTrainer(new KnnOptions { K = 5, DenseCutover = 10, MaxNeighbors = 20 }).Fit(Small),
        // Support ranking: the score is the evidence itself, so exact ties are common.
        "item-knn-support" => new ItemKnnTrainer(new KnnOptions { K = 3, RankBy = KnnRankingScore.Support }).Fit(Small),
        // Histories this small would scatter; these rank every user by bounds (the path long histories take).
        "item-knn-bounds" => Bounded(new ItemKnnTrainer(new KnnOptions { K = 10 }).Fit(Small)),
        "item-knn-lists-bounds" => Bounded(new ItemKnnTrainer(new KnnOptions { K = 5, DenseCutover = 10, MaxNeighbors = 20 }).Fit(Small)),
        // Fewer ranking neighbours than prediction ones, by scatter and walks, by bounds, and over cut lists.
        "item-knn-rank" => new ItemKnnTrainer(new KnnOptions { K = 10, RankK = 3 }).Fit(Small),
        "item-knn-rank-bounds" => Bounded(new ItemKnnTrainer(new KnnOptions { K = 10, RankK = 3 }).Fit(Small)),
        "item-knn-lists-rank" => new ItemKnnTrainer(new KnnOptions { K = 5, RankK = 2, DenseCutover = 10, MaxNeighbors = 20 }).Fit(Small),
        // The learned ranker: candidates fill most pages, and k beyond them (or a filter that leaves too few) ranks every movie.
        "hybrid-learned" => ModelRegistry.Hybrid(new HybridOptions { Ranker = HybridRanker.LambdaMart, Candidates = 12, RankerMinLeaf = 5 }, new ModelContext(42))
            .Fit(Small, new TrainingOptions { Threads = 1 }),
        "ease" => new EaseTrainer(new EaseOptions { MinItemRatings = 1, Lambda = 20 }).Fit(Small),
        // Fewer selected movies than the catalogue: a deep page or a narrow filter runs out of them and ranks every movie.
        "ease-few" => new EaseTrainer(new EaseOptions { MaxItems = 30, Lambda = 10 }).Fit(Small),
        "hybrid-ease" => ModelRegistry.Hybrid(new HybridOptions(), new ModelContext(42)).Fit(Small),
        _ => ModelRegistry.Hybrid(new HybridOptions { RankingModel = "implicit-als" }, new ModelContext(42)).Fit(Small),
    };

    private static KnnModel Bounded(IRecommenderModel model)
    {
        var knn = (KnnModel)model;
        knn.TopScatterLimit = 0;
        return knn;
    }

    // The user's ratings without every fourth one, plus two movies they had not rated (a live user's changes).
    private static UserHistory HistoryWithChanges(RatingMatrix train, int u)
    {
        ReadOnlySpan<int> items = train.ItemsOf(u);
        ReadOnlySpan<float> ratings = train.RatingsOf(u);
        var pairs = new List<(int MovieId, float Rating)>();
        for (int p = 0; p < items.Length; p++)
        {
            if (p % 4 != 1)
            {
                pairs.Add((train.Items.RawId(items[p]), ratings[p]));
            }
        }

        int added = 0;
        for (int i = (u * 13) % train.ItemCount; added < 2 && i < train.ItemCount; i++)
        {
            if (items.BinarySearch(i) < 0)
            {
                pairs.Add((train.Items.RawId(i), added == 0 ? 5f : 1f));
                added++;
            }
        }

        return UserHistory.From(train, pairs, train.Users.RawId(u));
    }

    private static void AssertSame(string model, int u, RankedTop expected, RankedTop actual)
    {
        if (!expected.Items.SequenceEqual(actual.Items) || !expected.Scores.SequenceEqual(actual.Scores))
        {
            throw new Xunit.Sdk.XunitException($"{model}, user index {u}: expected [{string.Join(", ", expected.Items.Zip(expected.Scores))}] "
                + $"but the fast top gave [{string.Join(", ", actual.Items.Zip(actual.Scores))}]");
        }
    }
}
