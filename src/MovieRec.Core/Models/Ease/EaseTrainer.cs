using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using MovieRec.Core.Data;
using MovieRec.Core.Numerics;

namespace MovieRec.Core.Models.Ease;

/// <summary>
/// Options of <see cref="EaseTrainer"/>. The defaults were picked by inner 5-fold CV of ml-latest-small fold1.train
/// (never its test fold), with a user's row counting the same ratings in scoring as in training: NDCG@10 0.1862 with
/// every rating an interaction, 0.1967 from 2.5, 0.1993 from 3, 0.1995 from 3.5, 0.1963 from 4 (lambda 300); lambda
/// 200 / 300 / 500 at 3: 0.1992 / 0.1993 / 0.1975. Threshold 3 is within 0.0002 of 3.5 and keeps more interactions.
/// Lambda 300 over the movies with at least 5 ratings is the numpy reference. The time weighting of the Gram
/// matrix (<see cref="TimeWeight"/> 0.8, <see cref="TimeScale"/> 300 s) with lambda 150 was chosen the same way (another
/// seeded 5-part split of fold1.train): plain EASE 0.1978, time-weighted 0.2102 (see the README's ease row).
/// </summary>
public sealed record EaseOptions
{
    /// <summary>L2 penalty lambda added to the Gram matrix's diagonal.</summary>
    [Option("L2 penalty lambda added to the Gram matrix's diagonal", Min = 0, MinExclusive = true, Max = 1e7, TuneMin = 10, TuneMax = 3000, LogScale = true)]
    public double Lambda { get; init; } = 150;

    /// <summary>Only movies with at least this many training ratings enter the item-item model.</summary>
    [Option("only movies with at least this many training ratings enter the item-item model", Min = 0, Max = 100000)]
    public int MinItemRatings { get; init; } = 5;

    /// <summary>At most this many of the most-rated movies enter the model, so the dense solve stays within memory and time.</summary>
    [Option("at most this many of the most-rated movies enter the model", Min = 1, Max = 20000)]
    public int MaxItems { get; init; } = 6000;

    /// <summary>Only ratings at or above this count as interactions (0: every rating). Rated movies are never recommended either way.</summary>
    [Option("only ratings at or above this count as interactions (0: every rating)", Min = 0, Max = 10)]
    public float MinRating { get; init; } = 3f;

    /// <summary>
    /// Share of each pair's Gram weight that depends on how close in time the user rated the two movies: a pair weighs
    /// (1 - w) + w exp(-|t_i - t_j| / <see cref="TimeScale"/>), so movies rated in one sitting are stronger neighbours.
    /// 0: the plain binary Gram matrix; without timestamps every pair weighs 1.
    /// </summary>
    [Option("share of a pair's Gram weight that decays with the time between the user's two ratings (0: plain EASE)", Min = 0, Max = 1, TuneMin = 0, TuneMax = 1)]
    public double TimeWeight { get; init; } = 0.8;

    /// <summary>Seconds over which the time-dependent share of a pair's Gram weight falls by a factor e.</summary>
    [Option("seconds over which the time-dependent share of a pair's Gram weight falls by a factor e", Min = 1, Max = 1e10, TuneMin = 30, TuneMax = 1e7, LogScale = true)]
    public double TimeScale { get; init; } = 300;

    public EaseOptions Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(TimeWeight, nameof(TimeWeight));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(TimeWeight, 1, nameof(TimeWeight));
        ArgumentOutOfRangeException.ThrowIfLessThan(TimeScale, 1, nameof(TimeScale));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Lambda, nameof(Lambda));
        ArgumentOutOfRangeException.ThrowIfNegative(MinItemRatings, nameof(MinItemRatings));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxItems, nameof(MaxItems));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxItems, 20_000, nameof(MaxItems));
        ArgumentOutOfRangeException.ThrowIfNegative(MinRating, nameof(MinRating));
        return this;
    }
}

/// <summary>
/// EASE^R (Steck 2019), the closed-form item-item model for top-N ranking: with X the binary user x movie matrix and
/// P = (X^T X + lambda I)^-1, the weights are B = I - P diag(1 / diag P) (zero diagonal), and a user's scores are
/// x_u B. Only the most-rated movies enter the model (<see cref="EaseOptions.MaxItems"/>, <see cref="EaseOptions.MinItemRatings"/>);
/// the others rank below them by popularity. Rating predictions come from the baseline, as for implicit-als.
/// </summary>
public sealed class EaseTrainer(EaseOptions? options = null) : IRecommenderTrainer
{
    public const string ModelName = "ease";

    public EaseOptions Options { get; } = (options ?? new EaseOptions()).Validate();

    public string Name => ModelName;

    public IRecommenderModel Fit(RatingMatrix train, TrainingOptions? options = null)
    {
        options ??= TrainingOptions.Default;
        int[] selected = SelectItems(train);
        int m = selected.Length;
        int[] position = new int[train.ItemCount];
        Array.Fill(position, -1);
        for (int s = 0; s < m; s++)
        {
            position[selected[s]] = s;
        }

        // Gram matrix of the interactions (lower triangle), plus lambda on the diagonal. With timestamps, a user's pair
        // weighs (1 - w) + w exp(-|dt| / scale); without them, 1 (the binary Gram matrix).
        double[] gram = new double[m * m];
        bool timed = train.HasTimestamps && Options.TimeWeight > 0;
        double pairWeight = timed ? 1 - Options.TimeWeight : 1;
        double window = 30 * Options.TimeScale;
        var rows = new List<int>();
        var times = new List<long>();
        int[] order = [];
        for (int u = 0; u < train.UserCount; u++)
        {
            rows.Clear();
            times.Clear();
            ReadOnlySpan<int> items = train.ItemsOf(u);
            ReadOnlySpan<float> values = train.RatingsOf(u);
            ReadOnlySpan<uint> stamps = train.TimesOf(u);
            for (int e = 0; e < items.Length; e++)
            {
                if (position[items[e]] >= 0 && values[e] >= Options.MinRating)
                {
                    rows.Add(position[items[e]]);
                    times.Add(timed ? stamps[e] : 0);
                }
            }

            if (pairWeight > 0)
            {
                foreach (int a in rows)
                {
                    foreach (int b in rows)
                    {
                        if (b <= a)
                        {
                            gram[(a * m) + b] += pairWeight;
                        }
                    }
                }
            }

            if (timed)
            {
                // In time order, each rating pairs with the later ones within the window (beyond it exp(-30) adds nothing).
                if (order.Length < rows.Count)
                {
                    order = new int[rows.Count];
                }

                Span<int> byTime = order.AsSpan(0, rows.Count);
                for (int k = 0; k < byTime.Length; k++)
                {
                    byTime[k] = k;
                }

                byTime.Sort((x, y) => times[x].CompareTo(times[y]));
                for (int x = 0; x < byTime.Length; x++)
                {
                    int a = rows[byTime[x]];
                    long t = times[byTime[x]];
                    for (int y = x; y < byTime.Length; y++)
                    {
                        double dt = times[byTime[y]] - t;
                        if (dt > window)
                        {
                            break;
                        }

                        int b = rows[byTime[y]];
                        gram[(Math.Max(a, b) * m) + Math.Min(a, b)] += Options.TimeWeight * Math.Exp(-dt / Options.TimeScale);
                    }
                }
            }
        }

        for (int s = 0; s < m; s++)
        {
            gram[(s * m) + s] += Options.Lambda;
        }

        options.Progress?.Report(new TrainingProgress(Name, 0, 1));
        if (!SymmetricInverse.Invert(gram, m, options.EffectiveThreads, options.CancellationToken))
        {
            throw new InvalidOperationException("EASE's regularised Gram matrix is not positive definite; raise Lambda.");
        }

        // B[r, c] = -P[r, c] / P[c, c], zero diagonal; rows are what a rated movie r adds to every movie c.
        float[] weights = new float[m * m];
        for (int r = 0; r < m; r++)
        {
            for (int c = 0; c < m; c++)
            {
                weights[(r * m) + c] = r == c ? 0f : (float)(-gram[(r * m) + c] / gram[(c * m) + c]);
            }
        }

        options.Progress?.Report(new TrainingProgress(Name, 1, 1));
        float[] popularity = new float[train.ItemCount];
        for (int i = 0; i < popularity.Length; i++)
        {
            popularity[i] = train.ItemRatingCount(i);
        }

        return new EaseModel(train, BiasBaseline.Default(train), selected, weights, popularity, Options.MinRating);
    }

    /// <summary>The most-rated movies with enough ratings, at most <see cref="EaseOptions.MaxItems"/>, in index order.</summary>
    private int[] SelectItems(RatingMatrix train)
    {
        int[] candidates = [.. Enumerable.Range(0, train.ItemCount).Where(i => train.ItemRatingCount(i) >= Math.Max(1, Options.MinItemRatings))];
        if (candidates.Length > Options.MaxItems)
        {
            // Most-rated first, ties to the lower index, so the choice is deterministic.
            Array.Sort(candidates, (x, y) => train.ItemRatingCount(y) != train.ItemRatingCount(x) ? train.ItemRatingCount(y).CompareTo(train.ItemRatingCount(x)) : x.CompareTo(y));
            candidates = candidates[..Options.MaxItems];
            Array.Sort(candidates);
        }

        return candidates;
    }
}

/// <summary>
/// A trained EASE model: the m x m item-item weights over the selected movies (row-major float). Scores of movies
/// outside the selection sit below every selected movie's, ordered by popularity. A user's row x_u counts the same
/// ratings as training did (those at or above <see cref="MinRating"/>), whether it comes from the training matrix or
/// from a live history, so folding a user in is exact: x_u B.
/// </summary>
public sealed class EaseModel : RecommenderModel, ISimilarItems, IFoldIn, IExplainable, ITopRanker
{
    /// <summary>The stable payload kind written into model files.</summary>
    public const string Kind = "ease";

    // Payloads since the interaction filter is stored start with this marker (older ones start with the selection's
    // length, which is never negative, and score every rated movie).
    private const int PayloadVersion2 = -2;

    // Unselected movies score OutsideScore + popularity share (below 0.5 in total), far below any EASE score.
    private const float OutsideScore = -1e4f;

    private readonly int[] _selected;
    private readonly int[] _position;
    private readonly float[] _weights;
    private readonly float[] _popularity;
    private readonly Lazy<QuantizedWeights> _quantized;

    internal EaseModel(RatingMatrix train, BiasBaseline fallback, int[] selected, float[] weights, float[] popularity, float minRating)
        : base(EaseTrainer.ModelName, train, fallback)
    {
        if ((long)selected.Length * selected.Length != weights.Length || popularity.Length != train.ItemCount || !(minRating >= 0))
        {
            throw new InvalidDataException("The EASE weights do not match the selected movies or the training matrix.");
        }

        _position = new int[train.ItemCount];
        Array.Fill(_position, -1);
        for (int s = 0; s < selected.Length; s++)
        {
            if ((uint)selected[s] >= (uint)train.ItemCount || (s > 0 && selected[s] <= selected[s - 1]))
            {
                throw new InvalidDataException("The EASE movie selection is not an ascending list of known movies.");
            }

            _position[selected[s]] = s;
        }

        _selected = selected;
        _weights = weights;
        _popularity = popularity;
        MinRating = minRating;
        _quantized = new Lazy<QuantizedWeights>(() => QuantizedWeights.Build(_weights, _selected.Length));
    }

    /// <summary>Movies in the item-item model.</summary>
    public int SelectedCount => _selected.Length;

    /// <summary>Only ratings at or above this are interactions, in training and in scoring.</summary>
    public float MinRating { get; }

    public override void Score(int u, Span<float> scores) => ScoreRow(Train.ItemsOf(u), Train.RatingsOf(u), scores);

    /// <summary>x_u B for the history's movies rated at or above <see cref="MinRating"/>: a trained user's history scores as its row.</summary>
    public void ScoreHistory(UserHistory history, Span<float> scores)
    {
        ArgumentNullException.ThrowIfNull(history);
        ScoreRow(history.Items, history.Ratings, scores);
    }

    /// <summary>
    /// The history's interactions with the largest weight B[r, c] towards the movie: the score of a movie in the
    /// item-item model is exactly the sum of these weights. A movie outside it (ranked by popularity) has none.
    /// </summary>
    public IReadOnlyList<Contribution> Explain(UserHistory history, int movieId, int max)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentOutOfRangeException.ThrowIfNegative(max);
        int j = Train.Items.IndexOf(movieId);
        int c = j < 0 ? -1 : _position[j];
        if (c < 0)
        {
            return [];
        }

        int m = _selected.Length;
        var terms = new List<Contribution>();
        for (int p = 0; p < history.Count; p++)
        {
            int r = _position[history.Items[p]];
            if (r >= 0 && history.Ratings[p] >= MinRating)
            {
                terms.Add(new Contribution(history.MovieId(p), _weights[(r * m) + c]));
            }
        }

        return [.. terms.OrderByDescending(t => t.Weight).Take(max)];
    }

    /// <summary>
    /// The top of a trained user's list: selected movies always score above the rest, so when the selected movies
    /// that pass the exclusions and the filter fill the page, only their m scores (x_u B, summed as <see cref="Score"/>
    /// sums them) are ranked; otherwise (or with nothing to score from) every movie is, as <see cref="Score"/> does.
    /// </summary>
    public RankedTop Top(int u, int k, ReadOnlySpan<int> excludeSorted, Func<int, bool>? include) =>
        TopOfRow(Train.ItemsOf(u), Train.RatingsOf(u), k, excludeSorted, include);

    /// <summary>The top of a history's list, as <see cref="ScoreHistory"/> scores it.</summary>
    public RankedTop TopOfHistory(UserHistory history, int k, ReadOnlySpan<int> excludeSorted, Func<int, bool>? include)
    {
        ArgumentNullException.ThrowIfNull(history);
        return TopOfRow(history.Items, history.Ratings, k, excludeSorted, include);
    }

    private RankedTop TopOfRow(ReadOnlySpan<int> items, ReadOnlySpan<float> ratings, int k, ReadOnlySpan<int> excludeSorted, Func<int, bool>? include)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (_selected.Length > 0 && TopOfSelected(items, ratings, k, excludeSorted, include) is { } top)
        {
            return top;
        }

        float[] scores = new float[Train.ItemCount];
        ScoreRow(items, ratings, scores);
        return RankedTop.FromScores(scores, k, excludeSorted, include);
    }

    /// <summary>
    /// The top k of x_u B over the selected movies, exactly as <see cref="SumRow"/> then <see cref="TopK.Select"/> give it,
    /// or null when the row has no interaction or fewer than k selected movies pass the exclusions and the filter. The
    /// first pass sums the 16-bit copy of the rows (<see cref="QuantizedWeights"/>: exact integer sums, half the bytes of
    /// the float rows); each movie's approximate score is then within a bound of its float score (the quantisation error,
    /// n steps of half a step each, plus the float sum's own rounding, gamma_n times the column's absolute sum, plus the
    /// scaling's rounding), so only the movies whose upper bound reaches the k-th best lower bound can be in the top k,
    /// and only they are summed in float, row by row in the history's order as SumRow adds them, which gives the same
    /// floats.
    /// </summary>
    private RankedTop? TopOfSelected(ReadOnlySpan<int> items, ReadOnlySpan<float> ratings, int k, ReadOnlySpan<int> excludeSorted, Func<int, bool>? include)
    {
        int m = _selected.Length;
        QuantizedWeights quantized = _quantized.Value;
        int[] rows = ArrayPool<int>.Shared.Rent(Math.Max(1, items.Length));
        int[] sums = ArrayPool<int>.Shared.Rent(quantized.Stride);
        float[] lower = ArrayPool<float>.Shared.Rent(m);
        float[] upper = ArrayPool<float>.Shared.Rent(m);
        try
        {
            int n = InteractionRows(items, ratings, rows);
            if (n == 0)
            {
                return null;
            }

            quantized.Sum(rows.AsSpan(0, n), sums.AsSpan(0, quantized.Stride));
            quantized.Bounds(n, sums.AsSpan(0, m), lower.AsSpan(0, m), upper.AsSpan(0, m));
            foreach (int e in excludeSorted)
            {
                if ((uint)e < (uint)_position.Length && _position[e] >= 0)
                {
                    lower[_position[e]] = float.NaN;
                    upper[_position[e]] = float.NaN;
                }
            }

            Func<int, bool>? eligible = include is null ? null : s => include(_selected[s]);
            int[] best = TopK.Select(lower.AsSpan(0, m), k, default, eligible);
            if (best.Length < k || k == 0)
            {
                return best.Length < k ? null : new RankedTop([], []);
            }

            // Every movie of the exact top k has a float score of at least the k-th best lower bound (k movies reach it).
            float cut = lower[best[^1]];
            var candidates = new List<int>(k + 8);
            for (int s = 0; s < m; s++)
            {
                if (upper[s] >= cut && (eligible is null || eligible(s)))
                {
                    candidates.Add(s);
                }
            }

            // Positions ascend with the movies' indices, so ties break as they do over every movie.
            float[] exact = new float[candidates.Count];
            for (int c = 0; c < exact.Length; c++)
            {
                int column = candidates[c];
                float sum = 0f;
                for (int r = 0; r < n; r++)
                {
                    sum += _weights[((long)rows[r] * m) + column];
                }

                exact[c] = sum;
            }

            int[] order = TopK.Select(exact, k);
            int[] top = new int[order.Length];
            float[] values = new float[order.Length];
            for (int r = 0; r < order.Length; r++)
            {
                top[r] = _selected[candidates[order[r]]];
                values[r] = exact[order[r]];
            }

            return new RankedTop(top, values);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(rows);
            ArrayPool<int>.Shared.Return(sums);
            ArrayPool<float>.Shared.Return(lower);
            ArrayPool<float>.Shared.Return(upper);
        }
    }

    /// <summary>x_u B over the selected movies, or null when nothing scores (no selection, or no interaction in the row).</summary>
    private float[]? SumRow(ReadOnlySpan<int> items, ReadOnlySpan<float> ratings)
    {
        int m = _selected.Length;
        if (m == 0)
        {
            return null;
        }

        int[] rows = ArrayPool<int>.Shared.Rent(Math.Max(1, items.Length));
        try
        {
            int used = InteractionRows(items, ratings, rows);
            if (used == 0)
            {
                return null;
            }

            float[] row = new float[m];
            foreach (int s in rows.AsSpan(0, used))
            {
                TensorPrimitives.Add(row, _weights.AsSpan(s * m, m), row);
            }

            return row;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(rows);
        }
    }

    /// <summary>
    /// The weight rows of a history's interactions, in the history's order: its selected movies rated at least
    /// <see cref="MinRating"/>. Returns how many were written to <paramref name="rows"/> (at least the history's length).
    /// </summary>
    private int InteractionRows(ReadOnlySpan<int> items, ReadOnlySpan<float> ratings, Span<int> rows)
    {
        int n = 0;
        for (int e = 0; e < items.Length; e++)
        {
            int s = _position[items[e]];
            if (s >= 0 && ratings[e] >= MinRating)
            {
                rows[n++] = s;
            }
        }

        return n;
    }

    private void ScoreRow(ReadOnlySpan<int> items, ReadOnlySpan<float> ratings, Span<float> scores)
    {
        int m = _selected.Length;
        float maxPopularity = Math.Max(1f, TensorPrimitives.Max<float>(_popularity));
        for (int i = 0; i < scores.Length; i++)
        {
            scores[i] = OutsideScore + (0.5f * _popularity[i] / maxPopularity);
        }

        if (m == 0)
        {
            return;
        }

        if (SumRow(items, ratings) is not { } row)
        {
            // Nothing to score from (no history, or only low ratings and unselected movies): popularity, as for an unknown user.
            ScoreUnknownUser(scores);
            return;
        }

        for (int s = 0; s < m; s++)
        {
            scores[_selected[s]] = row[s];
        }
    }

    /// <summary>Movies with the largest item-item weights from this movie (what rating it adds to each), best first.</summary>
    public IReadOnlyList<ScoredMovie> Similar(int movieId, int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        int i = Train.Items.IndexOf(movieId);
        if (i < 0 || _position[i] < 0)
        {
            return [];
        }

        int m = _selected.Length;
        float[] scores = new float[Train.ItemCount];
        Array.Fill(scores, float.NaN);
        ReadOnlySpan<float> row = _weights.AsSpan(_position[i] * m, m);
        for (int s = 0; s < m; s++)
        {
            scores[_selected[s]] = row[s];
        }

        int[] top = TopK.Select(scores, n, [i]);
        var result = new ScoredMovie[top.Length];
        for (int r = 0; r < top.Length; r++)
        {
            result[r] = new ScoredMovie(Train.Items.RawId(top[r]), scores[top[r]]);
        }

        return result;
    }

    protected internal override string FormatKind => Kind;

    protected internal override void WriteParameters(BinaryWriter writer)
    {
        writer.Write(PayloadVersion2);
        writer.Write(MinRating);
        ModelBinary.WriteArray<int>(writer, _selected);
        ModelBinary.WriteArray<float>(writer, _weights);
        ModelBinary.WriteArray<float>(writer, _popularity);
    }

    internal static EaseModel Read(BinaryReader reader, RatingMatrix train, BiasBaseline fallback)
    {
        int first = reader.ReadInt32();
        if (first == PayloadVersion2)
        {
            float minRating = reader.ReadSingle();
            return new(train, fallback, ModelBinary.ReadInts(reader), ModelBinary.ReadFloats(reader), ModelBinary.ReadFloats(reader), minRating);
        }

        // A payload written before the filter was stored: it scored every rated movie, so it keeps doing so.
        if (first < 0 || first > train.ItemCount)
        {
            throw new InvalidDataException($"EASE selection length {first} is out of range: the model file is damaged.");
        }

        int[] selected = MemoryMarshal.Cast<byte, int>(reader.ReadBytes(first * sizeof(int))).ToArray();
        if (selected.Length != first)
        {
            throw new EndOfStreamException("The EASE movie selection is truncated.");
        }

        return new(train, fallback, selected, ModelBinary.ReadFloats(reader), ModelBinary.ReadFloats(reader), 0f);
    }

    protected override float EstimateCore(int u, int i) => Fallback.Estimate(u, i);

    protected internal override void ScoreUnknownUser(Span<float> scores) => _popularity.CopyTo(scores);
}
