using MovieRec.Core.Data;
using MovieRec.Core.Models;
using MovieRec.Core.Models.Neighborhood;

namespace MovieRec.Core.Tests.Models;

public sealed class NeighborhoodTests
{
    private readonly RatingMatrix _train = RatingMatrix.Build(Fixtures.SyntheticRatings(50, 70, seed: 11));

    public static TheoryData<KnnSimilarity, bool> SimilarityCases()
    {
        var data = new TheoryData<KnnSimilarity, bool>();
        foreach (KnnSimilarity kind in Enum.GetValues<KnnSimilarity>())
        {
            data.Add(kind, true);
            data.Add(kind, false);
        }

        return data;
    }

    public static TheoryData<KnnPrediction, bool> RuleCases()
    {
        var data = new TheoryData<KnnPrediction, bool>();
        foreach (KnnPrediction rule in Enum.GetValues<KnnPrediction>())
        {
            data.Add(rule, true);
            data.Add(rule, false);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(SimilarityCases))]
    public void Sparse_top_lists_hold_exactly_the_positive_pairs_of_the_pairwise_oracle(KnnSimilarity kind, bool itemBased)
    {
        SimilarityInput input = SimilarityInput.Create(_train, itemBased, kind == KnnSimilarity.PearsonBaseline ? BiasBaseline.Default(_train) : null);
        int n = input.Rows;

        float[] dense = Similarities.Dense(input, kind, 100, 2);
        NeighborLists lists = Similarities.TopNeighbors(input, kind, 100, 2, n - 1, new ParallelOptions { MaxDegreeOfParallelism = 2 });

        for (int x = 0; x < n; x++)
        {
            var expected = new Dictionary<int, float>();
            for (int y = 0; y < n; y++)
            {
                if (y != x && dense[(x * n) + y] > 0)
                {
                    expected[y] = dense[(x * n) + y];
                }
            }

            ReadOnlySpan<int> neighbors = lists.NeighborsOf(x);
            ReadOnlySpan<float> sims = lists.SimilaritiesOf(x);
            Assert.Equal(expected.Count, neighbors.Length);
            for (int p = 0; p < neighbors.Length; p++)
            {
                Assert.Equal(expected[neighbors[p]], sims[p], 1e-5);
                Assert.True(p == 0 || sims[p - 1] >= sims[p], "most similar first");
            }
        }
    }

    [Theory]
    [MemberData(nameof(RuleCases))]
    public void Predictions_equal_a_direct_transcription_of_surprises_knn_classes(KnnPrediction rule, bool itemBased)
    {
        var options = new KnnOptions { Prediction = rule, K = 7, MinK = 2 };
        IRecommenderModel model = itemBased ? new ItemKnnTrainer(options).Fit(_train) : new UserKnnTrainer(options).Fit(_train);
        var oracle = new SurpriseKnn(_train, itemBased, options);

        for (int u = 0; u < _train.UserCount; u++)
        {
            for (int i = 0; i < _train.ItemCount; i++)
            {
                Assert.Equal(_train.Scale.Clip(oracle.Estimate(u, i)), model.Estimate(u, i), 1e-4);
            }
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Cut_lists_and_the_dense_lookup_agree_while_every_neighbour_is_kept(bool itemBased)
    {
        var dense = new KnnOptions();
        var lists = new KnnOptions { DenseCutover = 0, MaxNeighbors = 1000 };
        IRecommenderModel a = itemBased ? new ItemKnnTrainer(dense).Fit(_train) : new UserKnnTrainer(dense).Fit(_train);
        IRecommenderModel b = itemBased ? new ItemKnnTrainer(lists).Fit(_train) : new UserKnnTrainer(lists).Fit(_train);

        float[] sa = new float[_train.ItemCount], sb = new float[_train.ItemCount];
        for (int u = 0; u < _train.UserCount; u++)
        {
            for (int i = 0; i < _train.ItemCount; i++)
            {
                Assert.Equal(a.Estimate(u, i), b.Estimate(u, i), 1e-5);
            }

            a.Score(u, sa);
            b.Score(u, sb);
            for (int i = 0; i < sa.Length; i++)
            {
                Assert.Equal(sa[i], sb[i], 1e-4);
            }
        }
    }

    [Theory]
    [InlineData(4096, 2000)]
    [InlineData(0, 12)]
    public void Item_scores_are_the_same_whether_scattered_or_walked(int denseCutover, int maxNeighbors)
    {
        var options = new KnnOptions { DenseCutover = denseCutover, MaxNeighbors = maxNeighbors, K = 10 };
        var scatter = (KnnModel)new ItemKnnTrainer(options).Fit(_train);
        var walk = (KnnModel)new ItemKnnTrainer(options).Fit(_train);
        walk.ScatterLimit = 0;

        float[] a = new float[_train.ItemCount], b = new float[_train.ItemCount];
        for (int u = 0; u < _train.UserCount; u++)
        {
            scatter.Score(u, a);
            walk.Score(u, b);
            for (int i = 0; i < a.Length; i++)
            {
                Assert.Equal(a[i], b[i], 1e-4);
            }
        }
    }

    [Fact]
    public void Cut_lists_stay_bounded_and_symmetric()
    {
        var model = (KnnModel)new ItemKnnTrainer(new KnnOptions { DenseCutover = 0, MaxNeighbors = 10, K = 5 }).Fit(_train);
        NeighborLists lists = model.Neighbors;

        Assert.True(lists.Count <= 2 * 10 * lists.Rows);
        for (int x = 0; x < lists.Rows; x++)
        {
            ReadOnlySpan<int> neighbors = lists.NeighborsOf(x);
            for (int p = 0; p < neighbors.Length; p++)
            {
                Assert.Equal(lists.SimilaritiesOf(x)[p], lists.Similarity(neighbors[p], x));
            }
        }
    }

    [Fact]
    public void Similar_lists_the_most_similar_movies_with_their_similarity()
    {
        var model = (KnnModel)new ItemKnnTrainer().Fit(_train);
        int movie = _train.Items.RawId(3);
        ISimilarItems items = model.Capabilities.SimilarItems!;

        IReadOnlyList<ScoredMovie> similar = items.Similar(movie, 5);

        Assert.Equal(5, similar.Count);
        Assert.DoesNotContain(similar, s => s.MovieId == movie);
        for (int r = 0; r < similar.Count; r++)
        {
            Assert.Equal(model.Neighbors.Similarity(3, _train.Items.IndexOf(similar[r].MovieId)), similar[r].Score);
            Assert.InRange(similar[r].Score, 0f, 1f);
            Assert.True(r == 0 || similar[r - 1].Score >= similar[r].Score);
        }

        Assert.Empty(items.Similar(999_999, 5));
        Assert.Null(new UserKnnTrainer().Fit(_train).Capabilities.SimilarItems); // users' neighbours say nothing about movies
    }

    [Fact]
    public void Ranking_by_support_prefers_well_connected_movies_over_a_single_high_rating()
    {
        var byRating = (KnnModel)new ItemKnnTrainer(new KnnOptions { RankBy = KnnRankingScore.PredictedRating }).Fit(_train);
        var bySupport = (KnnModel)new ItemKnnTrainer().Fit(_train);
        float[] ratingScores = new float[_train.ItemCount], supportScores = new float[_train.ItemCount];

        byRating.Score(0, ratingScores);
        bySupport.Score(0, supportScores);

        for (int i = 0; i < ratingScores.Length; i++)
        {
            Assert.Equal(byRating.Estimate(0, i), ratingScores[i], 1e-5);
            Assert.True(supportScores[i] >= 0);
        }

        Assert.NotEqual(
            Numerics.TopK.Select(ratingScores, 10, _train.ItemsOf(0)),
            Numerics.TopK.Select(supportScores, 10, _train.ItemsOf(0)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Ranking_neighbours_set_the_ranking_score_and_never_a_prediction(bool itemBased)
    {
        KnnModel Fit(KnnOptions o) => (KnnModel)(itemBased ? new ItemKnnTrainer(o).Fit(_train) : new UserKnnTrainer(o).Fit(_train));
        KnnModel wide = Fit(new KnnOptions { K = 10 }), narrow = Fit(new KnnOptions { K = 10, RankK = 2 });
        KnnModel explicitWide = Fit(new KnnOptions { K = 10, RankK = 10 }), twoNearest = Fit(new KnnOptions { K = 2 });

        float[] a = new float[_train.ItemCount], b = new float[_train.ItemCount], c = new float[_train.ItemCount], d = new float[_train.ItemCount];
        bool differs = false;
        for (int u = 0; u < _train.UserCount; u++)
        {
            for (int i = 0; i < _train.ItemCount; i++)
            {
                Assert.Equal(wide.Estimate(u, i), narrow.Estimate(u, i));
            }

            wide.Score(u, a);
            narrow.Score(u, b);
            explicitWide.Score(u, c);
            twoNearest.Score(u, d);
            Assert.Equal(a, c);
            Assert.Equal(d, b); // ranks as a model whose k is 2 ranks
            differs |= !a.AsSpan().SequenceEqual(b);
        }

        Assert.True(differs, "two ranking neighbours rank as ten do for every user");
    }

    [Fact]
    public void Ranking_neighbours_survive_a_save_and_a_payload_of_before_them_ranks_by_k()
    {
        var model = (KnnModel)new ItemKnnTrainer(new KnnOptions { K = 10, RankK = 3 }).Fit(_train);
        using var saved = new MemoryStream();
        ModelSerializer.Save(model, saved);
        var loaded = (KnnModel)ModelSerializer.Load(new MemoryStream(saved.ToArray()));
        Assert.Equal(3, loaded.Options.RankK);
        float[] expected = new float[_train.ItemCount], actual = new float[_train.ItemCount];
        model.Score(4, expected);
        loaded.Score(4, actual);
        Assert.Equal(expected, actual);

        // A payload written before rankK: the ranking score's int holds the score alone (rankK 0, so k ranks).
        var before = (KnnModel)new ItemKnnTrainer(new KnnOptions { K = 10 }).Fit(_train);
        using var old = new MemoryStream();
        ModelSerializer.Save(before, old);
        var reread = (KnnModel)ModelSerializer.Load(new MemoryStream(old.ToArray()));
        Assert.Equal((0, 10), (reread.Options.RankK, reread.Options.RankNeighbors));
        before.Score(4, expected);
        reread.Score(4, actual);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Item_knn_ranks_by_its_ten_nearest_and_its_named_variants_by_k()
    {
        Assert.Equal(10, ((ItemKnnTrainer)ModelRegistry.Create("item-knn")).Options.RankK);
        Assert.Equal(40, ((ItemKnnTrainer)ModelRegistry.Create("item-knn")).Options.K);
        Assert.Equal(0, ((ItemKnnTrainer)ModelRegistry.Create("item-knn-means")).Options.RankK);
        Assert.Equal(0, ((UserKnnTrainer)ModelRegistry.Create("user-knn")).Options.RankK);
    }

    [Fact]
    public void Options_are_validated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ItemKnnTrainer(new KnnOptions { K = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ItemKnnTrainer(new KnnOptions { MinK = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new UserKnnTrainer(new KnnOptions { Shrinkage = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new UserKnnTrainer(new KnnOptions { K = 50, MaxNeighbors = 40 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ItemKnnTrainer(new KnnOptions { RankK = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ItemKnnTrainer(new KnnOptions { K = 10, RankK = 50, MaxNeighbors = 40 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new UserKnnTrainer(new KnnOptions { Similarity = (KnnSimilarity)9 }));
        Assert.Equal(KnnPrediction.Baseline, new ItemKnnTrainer().Options.Prediction);
        Assert.Equal(KnnSimilarity.PearsonBaseline, new ItemKnnTrainer().Options.Similarity);
    }

    [Fact]
    public void Named_variants_use_their_rule()
    {
        var zscore = (ItemKnnTrainer)ModelRegistry.Create("item-knn-zscore");
        var cosine = (UserKnnTrainer)ModelRegistry.Create("user-knn-cosine");

        Assert.Equal(KnnPrediction.ZScore, zscore.Options.Prediction);
        Assert.Equal(KnnSimilarity.Msd, zscore.Options.Similarity);
        Assert.Equal((KnnPrediction.Basic, KnnSimilarity.Cosine), (cosine.Options.Prediction, cosine.Options.Similarity));
        Assert.Equal("user-knn-cosine", cosine.Fit(_train).Name);
    }

    /// <summary>
    /// Surprise's KNNBasic/KNNWithMeans/KNNWithZScore/KNNBaseline estimate, written out plainly over a dense
    /// similarity matrix: the k most similar raters (heapq.nlargest, ties to the lower index), sim &gt; 0 only.
    /// </summary>
    private sealed class SurpriseKnn
    {
        private readonly RatingMatrix _m;
        private readonly bool _itemBased;
        private readonly KnnOptions _o;
        private readonly float[] _sim;
        private readonly BiasBaseline _b;
        private readonly int _n;

        public SurpriseKnn(RatingMatrix m, bool itemBased, KnnOptions o)
        {
            _m = m;
            _itemBased = itemBased;
            _o = o;
            _b = BiasBaseline.Default(m);
            SimilarityInput input = SimilarityInput.Create(m, itemBased, o.Similarity == KnnSimilarity.PearsonBaseline ? _b : null);
            _n = input.Rows;
            _sim = Similarities.Dense(input, o.Similarity, o.Shrinkage, o.MinSupport);
        }

        public float Estimate(int u, int i)
        {
            int x = _itemBased ? i : u, y = _itemBased ? u : i;
            int[] others = _itemBased ? _m.ItemsOf(u).ToArray() : _m.UsersOf(i).ToArray();
            float[] ratings = _itemBased ? _m.RatingsOf(u).ToArray() : _m.RatingsOfItem(i).ToArray();
            // A row is not its own neighbour (Surprise would count it, with similarity 1, for a pair it trained on).
            int[] order = [.. Enumerable.Range(0, others.Length).Where(p => others[p] != x).OrderByDescending(p => _sim[(x * _n) + others[p]]).ThenBy(p => p).Take(_o.K)];
            double num = 0, den = 0;
            int k = 0;
            foreach (int p in order)
            {
                int nb = others[p];
                double s = _sim[(x * _n) + nb];
                if (s <= 0)
                {
                    continue;
                }

                den += s;
                k++;
                num += s * _o.Prediction switch
                {
                    KnnPrediction.Basic => ratings[p],
                    KnnPrediction.Means => ratings[p] - Mean(nb),
                    KnnPrediction.ZScore => (ratings[p] - Mean(nb)) / Sigma(nb),
                    _ => ratings[p] - (_b.GlobalMean + Bias(nb, true) + Bias(y, false)),
                };
            }

            bool enough = k >= _o.MinK && den > 0;
            return (float)(_o.Prediction switch
            {
                KnnPrediction.Basic => enough ? num / den : _m.GlobalMean,
                KnnPrediction.Means => Mean(x) + (enough ? num / den : 0),
                KnnPrediction.ZScore => Mean(x) + (enough ? num / den * Sigma(x) : 0),
                _ => _b.GlobalMean + Bias(x, true) + Bias(y, false) + (enough ? num / den : 0),
            });
        }

        private double Bias(int index, bool row) => (row == _itemBased) ? _b.ItemBias[index] : _b.UserBias[index];

        private float[] Row(int x) => _itemBased ? _m.RatingsOfItem(x).ToArray() : _m.RatingsOf(x).ToArray();

        private double Mean(int x) => Row(x).Average();

        private double Sigma(int x)
        {
            float[] r = Row(x);
            double mean = r.Average();
            double sd = Math.Sqrt(r.Sum(v => (v - mean) * (v - mean)) / r.Length);
            return sd == 0 ? 1 : sd;
        }
    }
}
