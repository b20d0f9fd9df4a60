using System.Buffers;
using System.Collections.Concurrent;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MovieRec.Core.Data;
using MovieRec.Core.Numerics;

namespace MovieRec.Core.Models.Neighborhood;

/// <summary>
/// A user-based or item-based neighbourhood model: each row (user, or movie) keeps its positive-similarity
/// neighbours, most similar first. A prediction for (u, i) takes, among the neighbours of the row that rated the
/// other side (movies u rated, or users who rated i), the <see cref="KnnOptions.K"/> most similar and combines
/// their ratings by the <see cref="KnnOptions.Prediction"/> rule, exactly as Surprise's kNN classes do.
/// </summary>
public sealed class KnnModel : RecommenderModel, IFoldIn, IExplainable, ITopRanker
{
    /// <summary>The stable payload kind written into model files.</summary>
    public const string Kind = "knn";

    private readonly NeighborLists _neighbors;
    private readonly float[] _rowBias;
    private readonly float[] _colBias;
    private readonly float[] _mean;
    private readonly float[] _sigma;
    private readonly float _mu;

    // Every positive similarity as a dense row-major matrix, only while the rows are at most DenseCutover.
    private readonly float[]? _dense;

    // Above the cut-over: each row's kept neighbours again, sorted by index, for lookups by binary search.
    private readonly int[]? _sortedStart;
    private readonly int[]? _sortedIndex;
    private readonly float[]? _sortedSim;

    // Neighbours a ranking score gathers (KnnOptions.RankK, else K); predictions gather K.
    private readonly int _rankK;

    internal KnnModel(string name, RatingMatrix train, BiasBaseline baseline, bool itemBased, KnnOptions options, NeighborLists neighbors)
        : base(name, train, baseline)
    {
        int rows = itemBased ? train.ItemCount : train.UserCount;
        if (neighbors.Rows != rows)
        {
            throw new InvalidDataException("The neighbour lists do not match the training matrix.");
        }

        IsItemBased = itemBased;
        Options = options;
        _rankK = options.RankNeighbors;
        _neighbors = neighbors;
        _mu = (float)baseline.GlobalMean;
        _rowBias = itemBased ? baseline.ItemBias : baseline.UserBias;
        _colBias = itemBased ? baseline.UserBias : baseline.ItemBias;
        (_mean, _sigma) = RowMoments(train, itemBased);
        if (rows <= options.DenseCutover)
        {
            _dense = new float[rows * rows];
            for (int x = 0; x < rows; x++)
            {
                ReadOnlySpan<int> row = neighbors.NeighborsOf(x);
                ReadOnlySpan<float> sims = neighbors.SimilaritiesOf(x);
                for (int p = 0; p < row.Length; p++)
                {
                    _dense[(x * rows) + row[p]] = sims[p];
                }
            }
        }
        else
        {
            int[] sortedStart = new int[rows + 1];
            for (int x = 0; x < rows; x++)
            {
                sortedStart[x + 1] = sortedStart[x] + neighbors.NeighborsOf(x).Length;
            }

            int[] sortedIndex = new int[neighbors.Count];
            float[] sortedSim = new float[neighbors.Count];
            if (!TransposeSymmetric(neighbors, sortedStart, sortedIndex, sortedSim))
            {
                Parallel.ForEach(Partitioner.Create(0, rows), range =>
                {
                    for (int x = range.Item1; x < range.Item2; x++)
                    {
                        Span<int> index = sortedIndex.AsSpan(sortedStart[x], sortedStart[x + 1] - sortedStart[x]);
                        Span<float> sims = sortedSim.AsSpan(sortedStart[x], index.Length);
                        neighbors.NeighborsOf(x).CopyTo(index);
                        neighbors.SimilaritiesOf(x).CopyTo(sims);
                        index.Sort(sims);
                    }
                });
            }

            (_sortedStart, _sortedIndex, _sortedSim) = (sortedStart, sortedIndex, sortedSim);
        }
    }

    /// <summary>
    /// The by-index copy of symmetric lists without sorting: visiting rows y in ascending order and appending y to the
    /// row of each x in y's list fills every row in index order (O(n) instead of a sort per row; model loading
    /// time is mostly this). Returns false, leaving the arrays to the caller, when the lists are not symmetric.
    /// </summary>
    private static bool TransposeSymmetric(NeighborLists neighbors, int[] start, int[] index, float[] sims)
    {
        int rows = start.Length - 1;
        int[] next = start[..^1];
        for (int y = 0; y < rows; y++)
        {
            ReadOnlySpan<int> row = neighbors.NeighborsOf(y);
            ReadOnlySpan<float> rowSims = neighbors.SimilaritiesOf(y);
            for (int p = 0; p < row.Length; p++)
            {
                int x = row[p];
                if (next[x] == start[x + 1])
                {
                    return false;
                }

                index[next[x]] = y;
                sims[next[x]++] = rowSims[p];
            }
        }

        for (int x = 0; x < rows; x++)
        {
            if (next[x] != start[x + 1])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>True when the rows are movies (item-based), false when they are users.</summary>
    public bool IsItemBased { get; }

    public KnnOptions Options { get; }

    /// <summary>Each row's kept neighbours with their similarities.</summary>
    public NeighborLists Neighbors => _neighbors;

    /// <summary>
    /// Item-based models answer similar movies from their neighbour lists (user-based ones have no movie similarity), and
    /// rank the top of a list by bounds when the ranking score is bounded by the evidence (not by the predicted rating alone).
    /// </summary>
    protected override ModelCapabilities ResolveCapabilities() =>
        ModelCapabilities.Of(this) with
        {
            SimilarItems = IsItemBased ? new NeighborSimilarity(this) : null,
            TopRanker = IsItemBased && Options.RankBy != KnnRankingScore.PredictedRating ? this : null,
        };

    /// <summary>The most similar movies to a raw movie id with their similarity; empty for an unknown movie.</summary>
    private IReadOnlyList<ScoredMovie> SimilarByNeighbors(int movieId, int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        int i = Train.Items.IndexOf(movieId);
        if (i < 0)
        {
            return [];
        }

        ReadOnlySpan<int> neighbors = _neighbors.NeighborsOf(i);
        ReadOnlySpan<float> sims = _neighbors.SimilaritiesOf(i);
        var result = new ScoredMovie[Math.Min(n, neighbors.Length)];
        for (int r = 0; r < result.Length; r++)
        {
            result[r] = new ScoredMovie(Train.Items.RawId(neighbors[r]), sims[r]);
        }

        return result;
    }

    /// <summary>
    /// Ranking scores: the <see cref="KnnOptions.RankNeighbors"/> nearest neighbours (k unless rankK is set; item-knn's
    /// default is 10), turned into a score by <see cref="KnnOptions.RankBy"/>.
    /// The default multiplies the evidence (the summed similarity of the neighbours that vouch for the movie) by the
    /// predicted rating's place on the scale, so a movie needs both many close neighbours and a good prediction.
    /// </summary>
    public override void Score(int u, Span<float> scores)
    {
        if (IsItemBased)
        {
            ScoreItemBased(u, scores);
        }
        else
        {
            ScoreUserBased(u, scores);
        }
    }

    protected internal override string FormatKind => Kind;

    protected internal override void WriteParameters(BinaryWriter writer)
    {
        writer.Write(IsItemBased);
        writer.Write((int)Options.Similarity);
        writer.Write(Options.Shrinkage);
        writer.Write(Options.K);
        writer.Write(Options.MinK);
        writer.Write(Options.MinSupport);
        writer.Write((int)Options.Prediction);
        // rankK rides above the ranking score's low byte, so files written before it existed read as rankK 0 (= k).
        writer.Write((int)Options.RankBy | (Options.RankK << 8));
        writer.Write(Options.DenseCutover);
        writer.Write(Options.MaxNeighbors);
        _neighbors.Write(writer);
    }

    internal static KnnModel Read(string name, BinaryReader reader, RatingMatrix train, BiasBaseline fallback)
    {
        bool itemBased = reader.ReadBoolean();
        (KnnSimilarity similarity, double shrinkage, int k, int minK, int minSupport, KnnPrediction prediction, int rankBy) = (
            (KnnSimilarity)reader.ReadInt32(), reader.ReadDouble(), reader.ReadInt32(), reader.ReadInt32(), reader.ReadInt32(),
            (KnnPrediction)reader.ReadInt32(), reader.ReadInt32());
        var options = new KnnOptions
        {
            Similarity = similarity,
            Shrinkage = shrinkage,
            K = k,
            MinK = minK,
            MinSupport = minSupport,
            Prediction = prediction,
            RankBy = (KnnRankingScore)(rankBy & 0xFF),
            RankK = rankBy >>> 8,
            DenseCutover = reader.ReadInt32(),
            MaxNeighbors = reader.ReadInt32(),
        }.Validate();
        return new KnnModel(name, train, fallback, itemBased, options, NeighborLists.Read(reader));
    }

    protected override float EstimateCore(int u, int i)
    {
        int x = IsItemBased ? i : u;
        int y = IsItemBased ? u : i;
        ReadOnlySpan<int> others = IsItemBased ? Train.ItemsOf(u) : Train.UsersOf(i);
        ReadOnlySpan<float> ratings = IsItemBased ? Train.RatingsOf(u) : Train.RatingsOfItem(i);
        int hits = Gather(x, _colBias[y], others, ratings, Options.K, out double num, out double den);
        return Combine(x, _colBias[y], num, den, hits);
    }

    /// <summary>
    /// The weighted sums over the k most similar positive neighbours of row x among <paramref name="others"/> (the
    /// other side's ratings, sorted by index); ties go to the lower index. Three ways to find them, same result: a
    /// dense lookup below the cut-over; above it, a binary search per rating when the other side has few, else a walk
    /// down x's list (most similar first) until k of them are found.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int Gather(int x, float yBias, ReadOnlySpan<int> others, ReadOnlySpan<float> ratings, int k, out double num, out double den)
    {
        num = den = 0;
        ReadOnlySpan<int> neighbors = _neighbors.NeighborsOf(x);
        if (_dense is null && others.Length * 16 >= neighbors.Length)
        {
            ReadOnlySpan<float> sims = _neighbors.SimilaritiesOf(x);
            int hits = 0;
            for (int p = 0; p < neighbors.Length && hits < k; p++)
            {
                int at = others.BinarySearch(neighbors[p]);
                if (at >= 0)
                {
                    num += sims[p] * Term(neighbors[p], yBias, ratings[at]);
                    den += sims[p];
                    hits++;
                }
            }

            return hits;
        }

        long[]? rented = others.Length > 256 ? ArrayPool<long>.Shared.Rent(others.Length) : null;
        Span<long> keys = rented ?? stackalloc long[256];
        int count = 0;
        if (_dense is not null)
        {
            int n = _neighbors.Rows;
            ReadOnlySpan<float> row = _dense.AsSpan(x * n, n);
            for (int p = 0; p < others.Length; p++)
            {
                float s = row[others[p]];
                if (s > 0f)
                {
                    // Positions in the other side's row follow its index order, so ties still go to the lower index.
                    keys[count++] = Similarities.Key(s, p);
                }
            }
        }
        else
        {
            ReadOnlySpan<int> index = _sortedIndex.AsSpan(_sortedStart![x], _sortedStart[x + 1] - _sortedStart[x]);
            ReadOnlySpan<float> sims = _sortedSim.AsSpan(_sortedStart[x], index.Length);
            for (int p = 0; p < others.Length; p++)
            {
                int at = index.BinarySearch(others[p]);
                if (at >= 0)
                {
                    keys[count++] = Similarities.Key(sims[at], p);
                }
            }
        }

        // Summed most similar first (ties by index), the order of a walk down the list, so every path gives the same sums.
        Span<long> chosen = MostSimilarFirst(keys[..count], k);
        foreach (long key in chosen)
        {
            (int p, float s) = Similarities.Unkey(key);
            num += s * Term(others[p], yBias, ratings[p]);
            den += s;
        }

        if (rented is not null)
        {
            ArrayPool<long>.Shared.Return(rented);
        }

        return chosen.Length;
    }

    /// <summary>What one neighbour with rating <paramref name="r"/> adds, before weighting, under the rule.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private float Term(int neighbor, float yBias, float r) => Options.Prediction switch
    {
        KnnPrediction.Basic => r,
        KnnPrediction.Means => r - _mean[neighbor],
        KnnPrediction.ZScore => (r - _mean[neighbor]) / _sigma[neighbor],
        _ => r - (_mu + _rowBias[neighbor] + yBias),
    };

    /// <summary>Surprise's estimate from the weighted sums; too few neighbours leave the rule's own fallback.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private float Combine(int x, float yBias, double num, double den, int hits)
    {
        bool enough = hits >= Options.MinK && den > 0;
        return Options.Prediction switch
        {
            KnnPrediction.Basic => enough ? (float)(num / den) : (float)Train.GlobalMean,
            KnnPrediction.Means => _mean[x] + (enough ? (float)(num / den) : 0f),
            KnnPrediction.ZScore => _mean[x] + (enough ? (float)(num / den * _sigma[x]) : 0f),
            _ => _mu + _rowBias[x] + yBias + (enough ? (float)(num / den) : 0f),
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private float RankingScore(int x, float yBias, double num, double den, int hits)
    {
        float estimate = Train.Scale.Clip(Combine(x, yBias, num, den, hits));
        return Options.RankBy switch
        {
            KnnRankingScore.PredictedRating => estimate,
            KnnRankingScore.Support => (float)den,
            _ => (float)den * (estimate - Train.Scale.Min + 0.5f) / (Train.Scale.Max - Train.Scale.Min + 0.5f),
        };
    }

    // Item-based: each movie gathers its k nearest among the movies u rated, as a prediction does.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ScoreItemBased(int u, Span<float> scores)
    {
        ReadOnlySpan<int> items = Train.ItemsOf(u);
        ReadOnlySpan<float> values = Train.RatingsOf(u);
        long pairs = 0;
        foreach (int j in items)
        {
            pairs += _neighbors.NeighborsOf(j).Length;
        }

        if (pairs <= ScatterLimit)
        {
            ScoreItemBasedByScatter(_colBias[u], items, values, (int)pairs, scores);
            return;
        }

        // u's ratings spread over a dense array, so that walking a movie's list costs one load per neighbour.
        float[] rated = ArrayPool<float>.Shared.Rent(Train.ItemCount);
        Array.Fill(rated, float.NaN, 0, Train.ItemCount);
        for (int p = 0; p < items.Length; p++)
        {
            rated[items[p]] = values[p];
        }

        // A binary search per rated movie costs about log2(list) loads; a walk at most the list's length.
        int lookupCost = items.Length * (1 + (int)Math.Log2(Math.Max(2, _neighbors.Count / Math.Max(1, _neighbors.Rows))));
        for (int i = 0; i < scores.Length; i++)
        {
            ReadOnlySpan<int> neighbors = _neighbors.NeighborsOf(i);
            int hits;
            double num = 0, den = 0;
            if (_dense is not null || lookupCost < neighbors.Length)
            {
                hits = Gather(i, _colBias[u], items, values, _rankK, out num, out den);
            }
            else
            {
                ReadOnlySpan<float> sims = _neighbors.SimilaritiesOf(i);
                hits = 0;
                for (int p = 0; p < neighbors.Length && hits < _rankK; p++)
                {
                    float r = rated[neighbors[p]];
                    if (!float.IsNaN(r))
                    {
                        num += sims[p] * Term(neighbors[p], _colBias[u], r);
                        den += sims[p];
                        hits++;
                    }
                }
            }

            scores[i] = RankingScore(i, _colBias[u], num, den, hits);
        }

        ArrayPool<float>.Shared.Return(rated);
    }

    /// <summary>
    /// Item-based: every movie gathers its k most similar among the history's movies, as for a trained user (the user's
    /// bias is the trained one, or for a new user the shrunk mean residual of the history). User-based lists cannot place
    /// a new user: a known user keeps the trained row, a new one gets the non-personal ranking.
    /// </summary>
    public void ScoreHistory(UserHistory history, Span<float> scores)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (!IsItemBased)
        {
            if (history.KnownUser >= 0)
            {
                Score(history.KnownUser, scores);
            }
            else
            {
                ScoreUnknownUser(scores);
            }

            return;
        }

        long pairs = 0;
        foreach (int j in history.Items)
        {
            pairs += _neighbors.NeighborsOf(j).Length;
        }

        ScoreItemBasedByScatter(HistoryBias(history), history.Items, history.Ratings, (int)Math.Min(pairs, int.MaxValue), scores);
    }

    /// <summary>Item-based: the history's movies among the ranking's nearest neighbours of the movie, by similarity (what its ranking score is gathered from).</summary>
    public IReadOnlyList<Contribution> Explain(UserHistory history, int movieId, int max)
    {
        ArgumentNullException.ThrowIfNull(history);
        int target = Train.Items.IndexOf(movieId);
        if (!IsItemBased || target < 0)
        {
            return [];
        }

        ReadOnlySpan<int> neighbors = _neighbors.NeighborsOf(target);
        ReadOnlySpan<float> sims = _neighbors.SimilaritiesOf(target);
        var found = new List<Contribution>();
        for (int q = 0; q < neighbors.Length; q++)
        {
            if (Array.BinarySearch(history.Items, neighbors[q]) >= 0)
            {
                found.Add(new Contribution(Train.Items.RawId(neighbors[q]), sims[q]));
            }
        }

        return [.. found.OrderByDescending(c => c.Weight).Take(Math.Min(max, _rankK))];
    }

    private float HistoryBias(UserHistory history)
    {
        if (history.KnownUser >= 0)
        {
            return _colBias[history.KnownUser];
        }

        double sum = 0;
        for (int p = 0; p < history.Count; p++)
        {
            sum += history.Ratings[p] - (_mu + _rowBias[history.Items[p]]);
        }

        // Shrunk towards 0 as the baseline's own regularisation would for a short history.
        return (float)(sum / (history.Count + 10));
    }

    /// <summary>Item-based top-N scatters up to this many candidates per user (16 MiB), else walks; tests lower it.</summary>
    internal int ScatterLimit { get; set; } = 1 << 21;

    // The lists are symmetric (see Similarities.TopNeighbors), so the movies u rated hand each of their neighbours i a candidate (sim, their
    // position in u's row); each i then keeps its k best. Costs the summed list length of u's movies, not a walk per movie.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ScoreItemBasedByScatter(float userBias, ReadOnlySpan<int> items, ReadOnlySpan<float> values, int pairs, Span<float> scores)
    {
        int n = Train.ItemCount;
        int[] start = ArrayPool<int>.Shared.Rent(n + 1);
        long[] keys = ArrayPool<long>.Shared.Rent(Math.Max(1, pairs));
        Array.Clear(start, 0, n + 1);
        foreach (int j in items)
        {
            foreach (int i in _neighbors.NeighborsOf(j))
            {
                start[i + 1]++;
            }
        }

        for (int i = 0; i < n; i++)
        {
            start[i + 1] += start[i];
        }

        // Positions ascend within each movie's slot, so filling moves each start to the next one's; shift back after.
        for (int p = 0; p < items.Length; p++)
        {
            ReadOnlySpan<int> neighbors = _neighbors.NeighborsOf(items[p]);
            ReadOnlySpan<float> sims = _neighbors.SimilaritiesOf(items[p]);
            for (int q = 0; q < neighbors.Length; q++)
            {
                keys[start[neighbors[q]]++] = Similarities.Key(sims[q], p);
            }
        }

        for (int i = n; i > 0; i--)
        {
            start[i] = start[i - 1];
        }

        start[0] = 0;
        for (int i = 0; i < n; i++)
        {
            // Summed most similar first (ties by index), as a walk down the list sums them (see TopItemBased).
            Span<long> chosen = MostSimilarFirst(keys.AsSpan(start[i], start[i + 1] - start[i]), _rankK);

            double num = 0, den = 0;
            foreach (long key in chosen)
            {
                (int p, float s) = Similarities.Unkey(key);
                num += s * Term(items[p], userBias, values[p]);
                den += s;
            }

            scores[i] = RankingScore(i, userBias, num, den, chosen.Length);
        }

        ArrayPool<long>.Shared.Return(keys);
        ArrayPool<int>.Shared.Return(start);
    }

    public RankedTop Top(int u, int k, ReadOnlySpan<int> excludeSorted, Func<int, bool>? include) =>
        IsItemBased ? TopItemBased(_colBias[u], Train.ItemsOf(u), Train.RatingsOf(u), k, excludeSorted, include)
            : RankedTop.FromScores(ScoresOf(u), k, excludeSorted, include);

    public RankedTop TopOfHistory(UserHistory history, int k, ReadOnlySpan<int> excludeSorted, Func<int, bool>? include)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (!IsItemBased)
        {
            float[] scores = new float[Train.ItemCount];
            ScoreHistory(history, scores);
            return RankedTop.FromScores(scores, k, excludeSorted, include);
        }

        return TopItemBased(HistoryBias(history), history.Items, history.Ratings, k, excludeSorted, include);
    }

    private float[] ScoresOf(int u)
    {
        float[] scores = new float[Train.ItemCount];
        Score(u, scores);
        return scores;
    }

    /// <summary>
    /// The item-based top k without scoring every movie, by scatter for a short history, by bounds for a long one; the same
    /// result as Score then TopK.Select, ties to the lower index included.
    /// </summary>
    private RankedTop TopItemBased(float userBias, ReadOnlySpan<int> items, ReadOnlySpan<float> values, int k, ReadOnlySpan<int> excludeSorted,
        Func<int, bool>? include)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        long pairs = 0;
        foreach (int j in items)
        {
            pairs += _neighbors.NeighborsOf(j).Length;
        }

        // The bounds tighten with a smaller neighbourhood (a movie not reached yet is bounded by min(k, rated) theta).
        return pairs <= (long)TopScatterLimit * _rankK * _rankK / (40 * 40)
            ? TopByScatter(userBias, items, values, k, excludeSorted, include)
            : TopByBounds(userBias, items, values, k, excludeSorted, include);
    }

    /// <summary>
    /// Up to this many (rated movie, neighbour) pairs, at 40 ranking neighbours, the item-based top scatters them all;
    /// above it, it bounds; the limit scales with the square of the ranking neighbours. Timed per user on ml-latest-small's
    /// item-knn (both paths for all 610 users): at 40, scatter is cheaper up to about 110,000 pairs (70 rated movies),
    /// bounds above (scatter walks every movie with more than K rated neighbours), and 2^17 took 30% less time over all
    /// users than 2^16; at 10 (item-knn's rankK), bounds for every user took 120-125 us per user against 440 us with 2^17,
    /// and limits 2^12-2^14 measured the same as bounds for all (CPU time per user, median of 10 passes).
    /// </summary>
    internal int TopScatterLimit { get; set; } = 1 << 17;

    /// <summary>
    /// The bounded top scores a movie once the evidence handed to it is at least this share of its bound, else waits for a
    /// lower theta. Per-user CPU on ml-latest-small's item-knn (users above 2^17 pairs, 0.1 / 0.2 / 0.3 / 0.5 / 0.75):
    /// 0.2 was lowest or near it in every band (131k-300k pairs 258 us, 300k-600k 209 us, above 218 us; at 0.5 275 / 276
    /// / 467 us; scoring at first reach as before, 499 / 297 / 318 us).
    /// </summary>
    private const double BoundsWalkShare = 0.2;

    /// <summary>
    /// A short history's top: every rated movie hands its whole list out, summing each movie's evidence and weighted terms
    /// directly (in history order, not Score's order, so equal up to rounding); a movie with more than K rated neighbours
    /// walks its list instead. The movies within rounding of the k-th best are then scored exactly, as Score does.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private RankedTop TopByScatter(float userBias, ReadOnlySpan<int> items, ReadOnlySpan<float> values, int k, ReadOnlySpan<int> excludeSorted,
        Func<int, bool>? include)
    {
        int n = Train.ItemCount, kk = _rankK;
        int cap = Math.Min(kk, items.Length);
        ScatterScratch scratch = ScatterScratch.Take(n);
        Evidence[] evidence = scratch.Evidence;
        float[] rated = scratch.Rated;
        byte[] flags = scratch.Flags;
        float[] approximate = scratch.Approximate;
        int[] walkers = scratch.Walkers;
        double[] walkerEvidence = scratch.WalkerEvidence;
        bool cleared = false;
        try
        {
            scratch.Hold(items, values);

            // Neighbour indices are below Rows (checked when the lists are built) and the scratch holds at least n entries.
            ref Evidence first = ref MemoryMarshal.GetArrayDataReference(evidence);
            for (int p = 0; p < items.Length; p++)
            {
                float term = Term(items[p], userBias, values[p]);
                ReadOnlySpan<int> neighbors = _neighbors.NeighborsOf(items[p]);
                ReadOnlySpan<float> sims = _neighbors.SimilaritiesOf(items[p]);
                for (int q = 0; q < neighbors.Length; q++)
                {
                    ref Evidence e = ref Unsafe.Add(ref first, neighbors[q]);
                    float sim = sims[q];
                    e.Count++;
                    e.Num += sim * term;
                    e.Den += sim;
                }
            }

            // One pass scores the movies with at most K rated neighbours, sets the others aside as walkers, and leaves the
            // evidence zero for the next call. A movie no rated movie vouches for scores 0 under both bounded ranking scores
            // (no evidence times a positive place on the scale, or no evidence), as RankingScore gives for den = 0.
            float largest = 0;
            int walking = 0;
            for (int i = 0; i < n; i++)
            {
                ref Evidence e = ref Unsafe.Add(ref first, i);
                int count = e.Count;
                if (count == 0)
                {
                    approximate[i] = 0f;
                    continue;
                }

                if (count <= kk)
                {
                    float score = RankingScore(i, userBias, e.Num, e.Den, count);
                    approximate[i] = score;
                    largest = MathF.Max(largest, MathF.Abs(score));
                }
                else
                {
                    approximate[i] = float.NaN;
                    walkerEvidence[walking] = e.Den;
                    walkers[walking++] = i;
                }

                e = default;
            }

            cleared = true;

            // Another summation order moves a sum by far less than a float's last bits; allow a few of them.
            float tolerance = (largest * 1e-6f) + 1e-30f;
            if (walking > 0 && k > 0)
            {
                // Movies with more than K rated neighbours keep only the K most similar: each walks its list, exactly, but
                // stops (NaN: it cannot be in the top k) once its evidence cannot reach the floor, the k-th best so far of
                // the others' approximate and the walked ones' exact scores less twice the tolerance (below the exact k-th
                // best). The evidence of all its rated neighbours bounds that of its K most similar, so one below the
                // floor by it is not walked at all; those with the most evidence walk first (levels halving), which raises
                // the floor early.
                var best = new TopHeap(k);
                double most = 0;
                foreach (int i in TopK.Select(approximate.AsSpan(0, n), k, excludeSorted, include))
                {
                    best.Offer(i, approximate[i]);
                }

                for (int w = 0; w < walking; w++)
                {
                    most = Math.Max(most, walkerEvidence[w]);
                }

                for (double level = most / 2; ; level /= 2)
                {
                    bool last = level < most * 1e-3;
                    for (int w = 0; w < walking; w++)
                    {
                        int i = walkers[w];
                        double bound = walkerEvidence[w];
                        if (i < 0 || (bound < level && !last))
                        {
                            continue;
                        }

                        walkers[w] = -1;
                        float floor = best.Full ? best.WorstScore - (2 * tolerance) : float.NegativeInfinity;
                        if (bound * (1 + 1e-6) < floor || excludeSorted.BinarySearch(i) >= 0 || (include is not null && !include(i)))
                        {
                            continue;
                        }

                        float score = ExactScore(i, userBias, rated, flags, cap, floor);
                        approximate[i] = score;
                        if (!float.IsNaN(score))
                        {
                            best.Offer(i, score);
                        }
                    }

                    if (last)
                    {
                        break;
                    }
                }
            }

            // The exact scores of the few movies near the cut: a short history looks its movies up in the movie's list
            // (by index) instead of walking the list, which then mostly runs to its end; both sum in the list's order.
            items.CopyTo(scratch.Items);
            values.CopyTo(scratch.Values);
            int[] history = scratch.Items;
            float[] ratings = scratch.Values;
            int length = items.Length;
            return TopK.SelectRefined(approximate.AsSpan(0, n), tolerance, k, excludeSorted, include, i =>
            {
                if (_dense is null && length * 16 >= _neighbors.NeighborsOf(i).Length)
                {
                    return ExactScore(i, userBias, rated, flags, cap, float.NegativeInfinity);
                }

                int hits = Gather(i, userBias, history.AsSpan(0, length), ratings.AsSpan(0, length), _rankK, out double num, out double den);
                return RankingScore(i, userBias, num, den, hits);
            });
        }
        finally
        {
            if (!cleared)
            {
                Array.Clear(evidence, 0, n);
            }

            scratch.Release(items);

            scratch.Return();
        }
    }

    private struct Evidence
    {
        public double Num;
        public double Den;
        public int Count;
    }

    /// <summary>
    /// One thread's buffers for <see cref="TopByScatter"/> and <see cref="TopByBounds"/>, kept between calls so that no
    /// request clears or fills whole arrays: between calls every evidence, state, reached and sum entry is zero and every
    /// rated entry NaN (each call restores the entries it touched). Taken out of the thread's slot while in use, so a nested call (from a filter) gets fresh ones.
    /// </summary>
    private sealed class ScatterScratch
    {
        [ThreadStatic]
        private static ScatterScratch? t_free;

        private ScatterScratch(int n)
        {
            Evidence = new Evidence[n];
            Rated = new float[n];
            Array.Fill(Rated, float.NaN);
            Flags = new byte[n + 3];
            Approximate = new float[n];
            Walkers = new int[n];
            WalkerEvidence = new double[n];
            State = new byte[n];
            Reached = new int[n];
            Sums = new double[n];
            Items = new int[n];
            Values = new float[n];
        }

        public Evidence[] Evidence { get; }

        public float[] Rated { get; }

        /// <summary>1 where <see cref="Rated"/> holds a rating, else 0; three bytes longer, so a 4-byte read at any movie stays inside.</summary>
        public byte[] Flags { get; }

        public float[] Approximate { get; }

        public int[] Walkers { get; }

        public double[] WalkerEvidence { get; }

        /// <summary>The bounded top's per-movie state, rated neighbours reached and their summed similarity.</summary>
        public byte[] State { get; }

        public int[] Reached { get; }

        public double[] Sums { get; }

        /// <summary>A copy of the history (movies ascending, ratings) for the exact scores.</summary>
        public int[] Items { get; }

        /// <summary>The bounded top's movies reached and not settled, and its first scores' order (cleared by each call).</summary>
        public List<int> Open { get; } = [];

        public List<(double Sum, int Item)> Seeds { get; } = [];

        public float[] Values { get; }

        /// <summary>Spreads a history over <see cref="Rated"/> and <see cref="Flags"/>; <see cref="Release"/> undoes it.</summary>
        public void Hold(ReadOnlySpan<int> items, ReadOnlySpan<float> values)
        {
            for (int p = 0; p < items.Length; p++)
            {
                Rated[items[p]] = values[p];
                Flags[items[p]] = 1;
            }
        }

        public void Release(ReadOnlySpan<int> items)
        {
            foreach (int j in items)
            {
                Rated[j] = float.NaN;
                Flags[j] = 0;
            }
        }

        public static ScatterScratch Take(int n)
        {
            ScatterScratch? scratch = t_free;
            if (scratch is null || scratch.Evidence.Length < n)
            {
                return new ScatterScratch(n);
            }

            t_free = null;
            return scratch;
        }

        public void Return()
        {
            if (t_free is null || t_free.Evidence.Length < Evidence.Length)
            {
                t_free = this;
            }
        }
    }

    /// <summary>
    /// A long history's top. A movie's ranking score is at most its evidence (the summed
    /// similarity of the up to K rated neighbours it gathers, times a place on the scale of at most 1). Rounds lower a
    /// similarity level theta: each rated movie hands its neighbours at or above theta (its list is most similar first) to
    /// them, so a movie that got c of them with sum s has evidence at most s + (min(K, rated) - c) theta, and one that got
    /// none at most min(K, rated) theta. Movies are scored exactly (a walk down their list, summed as <see cref="Score"/>
    /// sums, stopping once it cannot reach the k-th best): first the ones with the most evidence until there are k scores,
    /// then each one whose handed evidence is at least <see cref="BoundsWalkShare"/> of its bound; the others wait for a
    /// lower theta (tighter bounds) or are settled once their bound falls below the k-th best. Rounds end once no movie
    /// waits and min(K, rated) theta is below the k-th best.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private RankedTop TopByBounds(float userBias, ReadOnlySpan<int> items, ReadOnlySpan<float> values, int k, ReadOnlySpan<int> excludeSorted,
        Func<int, bool>? include)
    {
        int n = Train.ItemCount;
        int cap = Math.Min(_rankK, items.Length);
        ScatterScratch scratch = ScatterScratch.Take(n);
        float[] rated = scratch.Rated;
        byte[] flags = scratch.Flags;
        byte[] state = scratch.State; // 0 open, 1 settled (scored, pruned or not eligible)
        int[] reached = scratch.Reached;
        double[] sums = scratch.Sums;
        int[] touched = scratch.Walkers;
        int[] next = scratch.Items;
        int touchedCount = 0;
        var heap = new TopHeap(k);
        try
        {
            scratch.Hold(items, values);
            for (int p = 0; p < items.Length; p++)
            {
                next[p] = 0;
            }

            foreach (int e in excludeSorted)
            {
                state[e] = 1;
            }

            float top = 0;
            foreach (int j in items)
            {
                ReadOnlySpan<float> sims = _neighbors.SimilaritiesOf(j);
                top = sims.Length > 0 ? MathF.Max(top, sims[0]) : top;
            }

            // Movies reached and not settled yet; each round tightens their bounds.
            List<int> open = scratch.Open;
            List<(double Sum, int Item)> seeds = scratch.Seeds;
            open.Clear();
            for (float theta = top / 2; ; theta = theta < top * 1e-4f ? 0 : theta / 2)
            {
                // Hand out every rated movie's neighbours down to theta.
                for (int p = 0; p < items.Length; p++)
                {
                    ReadOnlySpan<int> neighbors = _neighbors.NeighborsOf(items[p]);
                    ReadOnlySpan<float> sims = _neighbors.SimilaritiesOf(items[p]);
                    int q = next[p];
                    for (; q < neighbors.Length && sims[q] >= theta; q++)
                    {
                        int i = neighbors[q];
                        if (reached[i]++ == 0)
                        {
                            touched[touchedCount++] = i;
                            if (state[i] == 0)
                            {
                                open.Add(i);
                            }
                        }

                        sums[i] += sims[q];
                    }

                    next[p] = q;
                }

                // Until the heap holds k scores, the open movies with the most evidence handed so far score first: their
                // evidence is at least that much (what they got is their most similar rated neighbours), so they raise
                // the k-th best early.
                if (!heap.Full && open.Count > 0)
                {
                    seeds.Clear();
                    foreach (int i in open)
                    {
                        seeds.Add((sums[i], i));
                    }

                    seeds.Sort(static (a, b) => b.Sum != a.Sum ? b.Sum.CompareTo(a.Sum) : a.Item.CompareTo(b.Item));
                    foreach ((double _, int i) in seeds)
                    {
                        if (heap.Full)
                        {
                            break;
                        }

                        state[i] = 1;
                        if (include is null || include(i))
                        {
                            Offer(ref heap, i, userBias, rated, flags, cap);
                        }
                    }
                }

                // A movie whose bound cannot beat the k-th best never will (bounds only fall, the k-th best only rises):
                // it is settled. One whose handed evidence is most of its bound is scored now; the others wait for a lower
                // theta, which tightens their bounds (at theta 0 the bound is the evidence itself, and all are scored).
                int kept = 0;
                for (int o = 0; o < open.Count; o++)
                {
                    int i = open[o];
                    if (state[i] != 0)
                    {
                        continue;
                    }

                    double bound = sums[i] + (Math.Max(0, cap - reached[i]) * (double)theta);
                    if (!heap.Beats(bound))
                    {
                        state[i] = 1;
                    }
                    else if (theta == 0 || sums[i] >= bound * BoundsWalkShare)
                    {
                        state[i] = 1;
                        if (include is null || include(i))
                        {
                            Offer(ref heap, i, userBias, rated, flags, cap);
                        }
                    }
                    else
                    {
                        open[kept++] = i;
                    }
                }

                open.RemoveRange(kept, open.Count - kept);

                // Every movie not reached yet has evidence below cap * theta.
                if (open.Count == 0 && !heap.Beats(cap * (double)theta))
                {
                    break;
                }

                if (theta == 0)
                {
                    // Everything with a rated neighbour was reached; the rest score from no evidence at all.
                    for (int i = 0; i < n; i++)
                    {
                        if (state[i] == 0 && (include is null || include(i)))
                        {
                            Offer(ref heap, i, userBias, rated, flags, cap);
                        }
                    }

                    break;
                }
            }
        }
        finally
        {
            for (int t = 0; t < touchedCount; t++)
            {
                int i = touched[t];
                reached[i] = 0;
                sums[i] = 0;
                state[i] = 0;
            }

            foreach (int e in excludeSorted)
            {
                state[e] = 0;
            }

            scratch.Release(items);

            scratch.Return();
        }

        return heap.Drain();
    }

    private void Offer(ref TopHeap heap, int i, float userBias, float[] rated, byte[] flags, int cap)
    {
        float score = ExactScore(i, userBias, rated, flags, cap, heap.Full ? heap.WorstScore : float.NegativeInfinity);
        if (!float.IsNaN(score))
        {
            heap.Offer(i, score);
        }
    }

    /// <summary>
    /// Movie i's ranking score from the up to K rated movies most similar to it: a walk down its list, summed most similar
    /// first (ties by index) as <see cref="Score"/> sums them, that stops (NaN) as soon as the evidence cannot reach
    /// <paramref name="floor"/> any more.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe float ExactScore(int i, float userBias, float[] rated, byte[] flags, int cap, float floor)
    {
        ReadOnlySpan<int> neighbors = _neighbors.NeighborsOf(i);
        ReadOnlySpan<float> sims = _neighbors.SimilaritiesOf(i);
        double num = 0, den = 0;
        int hits = 0, kk = _rankK, p = 0;
        if (Avx2.IsSupported && neighbors.Length >= 8)
        {
            // Eight neighbours at a time: one gather of their rated flags (a 9.7 KB table for 9.7 k movies stays in the
            // L1 cache), then only the hits, in list order, as the plain walk below sums them.
            Vector256<int> low = Vector256.Create(0xFF);
            fixed (int* list = neighbors)
            fixed (byte* rows = flags)
            {
                int last = neighbors.Length - 8;
                for (; p <= last && hits < kk; p += 8)
                {
                    if ((p & 15) == 0 && CannotReach(den, cap - hits, sims[p], floor))
                    {
                        return float.NaN;
                    }

                    Vector256<int> flag = Avx2.And(Avx2.GatherVector256((int*)rows, Avx.LoadVector256(list + p), 1), low);
                    uint mask = ~Avx2.CompareEqual(flag, Vector256<int>.Zero).AsSingle().ExtractMostSignificantBits() & 0xFF;
                    while (mask != 0 && hits < kk)
                    {
                        int q = p + BitOperations.TrailingZeroCount(mask);
                        mask &= mask - 1;
                        num += sims[q] * Term(list[q], userBias, rated[list[q]]);
                        den += sims[q];
                        hits++;
                    }
                }
            }
        }

        for (; p < neighbors.Length && hits < kk; p++)
        {
            if ((p & 15) == 0 && CannotReach(den, cap - hits, sims[p], floor))
            {
                return float.NaN;
            }

            float r = rated[neighbors[p]];
            if (!float.IsNaN(r))
            {
                num += sims[p] * Term(neighbors[p], userBias, r);
                den += sims[p];
                hits++;
            }
        }

        return RankingScore(i, userBias, num, den, hits);
    }

    /// <summary>
    /// The k most similar of some neighbour keys (<see cref="Similarities.Key"/>: ascending key, descending similarity,
    /// ties by index), sorted most similar first: the order in which a walk down a neighbour list meets them.
    /// </summary>
    private static Span<long> MostSimilarFirst(Span<long> keys, int k)
    {
        if (keys.Length > k)
        {
            Similarities.Select.Smallest(keys, k);
            keys = keys[..k];
        }

        keys.Sort();
        return keys;
    }

    // Whether evidence den plus at most `missing` more neighbours, none more similar than sim, stays below the floor.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool CannotReach(double den, int missing, float sim, float floor) => (den + (missing * (double)sim)) * (1 + 1e-6) < floor;

    /// <summary>The k best (score, movie) pairs so far in a min-heap: the root ranks lowest; ties go to the lower index.</summary>
    private struct TopHeap(int k)
    {
        private readonly int[] _items = new int[k];
        private readonly float[] _scores = new float[k];
        private int _size;

        public readonly bool Full => _size == _items.Length;

        public readonly float WorstScore => _scores[0];

        /// <summary>Whether a movie whose score is at most <paramref name="bound"/> could still enter (rounded up a hair).</summary>
        public readonly bool Beats(double bound) => _items.Length > 0 && (!Full || bound * (1 + 1e-6) >= _scores[0]);

        public void Offer(int i, float score)
        {
            if (_size < _items.Length)
            {
                _items[_size] = i;
                _scores[_size] = score;
                HeapUp(_items, _scores, _size++);
            }
            else if (_items.Length > 0 && Ranks(score, i, _scores[0], _items[0]))
            {
                _items[0] = i;
                _scores[0] = score;
                HeapDown(_items, _scores, _size);
            }
        }

        public RankedTop Drain()
        {
            var top = new int[_size];
            var scores = new float[_size];
            for (int r = _size - 1; r >= 0; r--)
            {
                top[r] = _items[0];
                scores[r] = _scores[0];
                _items[0] = _items[_size - 1];
                _scores[0] = _scores[_size - 1];
                HeapDown(_items, _scores, --_size);
            }

            return new RankedTop(top, scores);
        }
    }

    // (score a, item a) ranks above (score b, item b): higher score, or the same score and the lower index.
    private static bool Ranks(float a, int ia, float b, int ib) => a > b || (a == b && ia < ib);

    // A min-heap of the k best so far: the root is the one that ranks lowest.
    private static void HeapUp(int[] items, float[] scores, int pos)
    {
        while (pos > 0)
        {
            int parent = (pos - 1) / 2;
            if (!Ranks(scores[parent], items[parent], scores[pos], items[pos]))
            {
                break;
            }

            (items[parent], items[pos]) = (items[pos], items[parent]);
            (scores[parent], scores[pos]) = (scores[pos], scores[parent]);
            pos = parent;
        }
    }

    private static void HeapDown(int[] items, float[] scores, int size)
    {
        int pos = 0;
        while (true)
        {
            int left = (2 * pos) + 1;
            if (left >= size)
            {
                break;
            }

            int worst = left;
            if (left + 1 < size && Ranks(scores[left], items[left], scores[left + 1], items[left + 1]))
            {
                worst = left + 1;
            }

            if (!Ranks(scores[pos], items[pos], scores[worst], items[worst]))
            {
                break;
            }

            (items[pos], items[worst]) = (items[worst], items[pos]);
            (scores[pos], scores[worst]) = (scores[worst], scores[pos]);
            pos = worst;
        }
    }

    // User-based: walk u's neighbours most similar first; each movie takes the first k of them that rated it, which
    // are exactly its k most similar raters.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ScoreUserBased(int u, Span<float> scores)
    {
        int n = Train.ItemCount;
        double[] num = new double[n], den = new double[n];
        int[] hits = new int[n];
        ReadOnlySpan<int> neighbors = _neighbors.NeighborsOf(u);
        ReadOnlySpan<float> sims = _neighbors.SimilaritiesOf(u);
        for (int p = 0; p < neighbors.Length; p++)
        {
            int v = neighbors[p];
            float s = sims[p];
            ReadOnlySpan<int> items = Train.ItemsOf(v);
            ReadOnlySpan<float> values = Train.RatingsOf(v);
            for (int q = 0; q < items.Length; q++)
            {
                int i = items[q];
                if (hits[i] < _rankK)
                {
                    num[i] += s * Term(v, _colBias[i], values[q]);
                    den[i] += s;
                    hits[i]++;
                }
            }
        }

        for (int i = 0; i < scores.Length; i++)
        {
            scores[i] = RankingScore(u, _colBias[i], num[i], den[i], hits[i]);
        }
    }

    // Mean and population standard deviation of each row's ratings (a zero deviation counts as 1, as in Surprise).
    private static (float[] Mean, float[] Sigma) RowMoments(RatingMatrix train, bool itemBased)
    {
        int rows = itemBased ? train.ItemCount : train.UserCount;
        float[] mean = new float[rows], sigma = new float[rows];
        for (int x = 0; x < rows; x++)
        {
            ReadOnlySpan<float> values = itemBased ? train.RatingsOfItem(x) : train.RatingsOf(x);
            if (values.Length == 0)
            {
                mean[x] = (float)train.GlobalMean;
                sigma[x] = 1f;
                continue;
            }

            double sum = 0;
            foreach (float v in values)
            {
                sum += v;
            }

            double m = sum / values.Length, sq = 0;
            foreach (float v in values)
            {
                sq += (v - m) * (v - m);
            }

            double sd = Math.Sqrt(sq / values.Length);
            mean[x] = (float)m;
            sigma[x] = sd == 0 ? 1f : (float)sd;
        }

        return (mean, sigma);
    }

    private sealed class NeighborSimilarity(KnnModel model) : ISimilarItems
    {
        public IReadOnlyList<ScoredMovie> Similar(int movieId, int n) => model.SimilarByNeighbors(movieId, n);
    }
}
