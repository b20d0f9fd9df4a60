using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace MovieRec.Core.Models.Neighborhood;

/// <summary>
/// Pairwise similarities over common raters. <see cref="TopNeighbors"/> is the fast path: for each row x it walks
/// x's raters and, through the other layout, every row those raters also rated, accumulating the co-rating sums of
/// all of x's pairs at once in per-thread arrays (parallel over row ranges, no allocation per rating); then it keeps
/// the positive similarities, at most <c>keep</c> per row. Where the co-rating count allows, each pair is summed
/// once (rows above x only) and handed to both rows. The hot loop is a scatter into arrays indexed by the other row,
/// which SIMD does not speed up, so there is none. <see cref="Dense"/> is the simple version (every pair by merging
/// two sorted rows, a dense n * n result), kept as the benchmark baseline and the tests' oracle.
/// </summary>
public static class Similarities
{
    /// <summary>
    /// The positive similarities of every row, most similar first: each row's <paramref name="keep"/> best, plus the
    /// rows that kept it (so the lists are symmetric). Every pair's sums are added in a fixed order, so the result
    /// does not depend on the thread count. Working memory is O(threads * n) plus, on the half pass, the positive
    /// pairs once.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static NeighborLists TopNeighbors(SimilarityInput input, KnnSimilarity kind, double shrinkage, int minSupport, int keep,
        ParallelOptions? parallel = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentOutOfRangeException.ThrowIfNegative(keep);
        int n = input.Rows;
        int[][] rowIndex = new int[n][];
        float[][] rowSim = new float[n][];
        parallel ??= new ParallelOptions();

        // Popular rows cost far more than rare ones: small ranges keep both cores busy to the end.
        int rangeSize = Math.Max(1, Math.Min(64, n / 64));
        if (CoRatedPairBound(input) <= HalfPassPairLimit)
        {
            // Each pair once (y > x), then handed to both rows: half the accumulation, and exactly symmetric.
            long[][] upper = new long[n][];
            Parallel.ForEach(Partitioner.Create(0, n, rangeSize), parallel, () => new Workspace(n), (range, _, workspace) =>
            {
                for (int x = range.Item1; x < range.Item2; x++)
                {
                    upper[x] = workspace.Candidates(input, x, kind, shrinkage, minSupport, upperOnly: true).ToArray();
                }

                return workspace;
            }, _ => { });

            int[] start = new int[n + 1];
            for (int x = 0; x < n; x++)
            {
                start[x + 1] += upper[x].Length;
                foreach (long key in upper[x])
                {
                    start[Unkey(key).Index + 1]++;
                }
            }

            for (int x = 0; x < n; x++)
            {
                start[x + 1] += start[x];
            }

            long[] all = new long[start[n]];
            int[] fill = start[..^1];
            for (int x = 0; x < n; x++)
            {
                foreach (long key in upper[x])
                {
                    (int y, float sim) = Unkey(key);
                    all[fill[x]++] = key;
                    all[fill[y]++] = Key(sim, x);
                }

                upper[x] = [];
            }

            Parallel.ForEach(Partitioner.Create(0, n, rangeSize), parallel, range =>
            {
                for (int x = range.Item1; x < range.Item2; x++)
                {
                    (rowIndex[x], rowSim[x]) = Best(all.AsSpan(start[x], start[x + 1] - start[x]), keep);
                }
            });
        }
        else
        {
            Parallel.ForEach(Partitioner.Create(0, n, rangeSize), parallel, () => new Workspace(n), (range, _, workspace) =>
            {
                for (int x = range.Item1; x < range.Item2; x++)
                {
                    (rowIndex[x], rowSim[x]) = Best(workspace.Candidates(input, x, kind, shrinkage, minSupport, upperOnly: false), keep);
                }

                return workspace;
            }, _ => { });
        }

        return Symmetrize(rowIndex, rowSim, keep);
    }

    // Pairs sharing a column, counted with repeats: an upper bound on the pairs the half pass may hold.
    private const long HalfPassPairLimit = 32L << 20;

    private static long CoRatedPairBound(SimilarityInput input)
    {
        long pairs = 0;
        for (int c = 0; c + 1 < input.ColStart.Length; c++)
        {
            long len = input.ColStart[c + 1] - input.ColStart[c];
            pairs += len * (len - 1) / 2;
        }

        return pairs;
    }

    /// <summary>The <paramref name="keep"/> smallest keys (most similar first), as index and similarity arrays.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (int[] Index, float[] Similarity) Best(Span<long> keys, int keep)
    {
        if (keys.Length > keep)
        {
            Select.Smallest(keys, keep);
            keys = keys[..keep];
        }

        keys.Sort();
        int[] index = new int[keys.Length];
        float[] sims = new float[keys.Length];
        for (int r = 0; r < keys.Length; r++)
        {
            (index[r], sims[r]) = Unkey(keys[r]);
        }

        return (index, sims);
    }

    /// <summary>
    /// Adds y -> x wherever a row x kept y but y's list was cut before x, so that y is in x's list exactly when x is
    /// in y's (which a top-N pass relies on). Similarities are symmetric, so x belongs in y's list at the same value;
    /// no row grows beyond keep + the rows that chose it, and the total stays below 2 * n * keep.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static NeighborLists Symmetrize(int[][] rowIndex, float[][] rowSim, int keep)
    {
        int n = rowIndex.Length;
        int[] length = new int[n];
        for (int x = 0; x < n; x++)
        {
            length[x] += rowIndex[x].Length;
            for (int p = 0; p < rowIndex[x].Length; p++)
            {
                int y = rowIndex[x][p];
                if (!Holds(rowIndex[y], rowSim[y], keep, rowSim[x][p], x))
                {
                    length[y]++;
                }
            }
        }

        int[] start = new int[n + 1];
        for (int x = 0; x < n; x++)
        {
            start[x + 1] = start[x] + length[x];
        }

        int[] index = new int[start[n]];
        float[] sim = new float[start[n]];
        int[] fill = new int[n];
        for (int x = 0; x < n; x++)
        {
            rowIndex[x].CopyTo(index, start[x]);
            rowSim[x].CopyTo(sim, start[x]);
            fill[x] = rowIndex[x].Length;
        }

        for (int x = 0; x < n; x++)
        {
            for (int p = 0; p < rowIndex[x].Length; p++)
            {
                int y = rowIndex[x][p];
                if (!Holds(rowIndex[y], rowSim[y], keep, rowSim[x][p], x))
                {
                    int at = start[y] + fill[y]++;
                    index[at] = x;
                    sim[at] = rowSim[x][p];
                }
            }
        }

        // Rows that grew: back into most-similar-first order.
        long[] keys = new long[n];
        for (int y = 0; y < n; y++)
        {
            if (length[y] == rowIndex[y].Length)
            {
                continue;
            }

            if (keys.Length < length[y])
            {
                keys = new long[length[y]];
            }

            Span<long> row = keys.AsSpan(0, length[y]);
            for (int p = 0; p < row.Length; p++)
            {
                row[p] = Key(sim[start[y] + p], index[start[y] + p]);
            }

            row.Sort();
            for (int p = 0; p < row.Length; p++)
            {
                (index[start[y] + p], sim[start[y] + p]) = Unkey(row[p]);
            }
        }

        return new NeighborLists(start, index, sim);
    }

    // Whether a most-similar-first list (cut at keep) holds the pair (sim, x): a list that was not cut holds every
    // positive pair, a cut one every pair that sorts before its last.
    private static bool Holds(int[] index, float[] sims, int keep, float sim, int x) =>
        index.Length < keep || Key(sim, x) <= Key(sims[^1], index[^1]);

    /// <summary>
    /// The simple version: every pair by merging the two rows' sorted rater lists, single-threaded, into a dense
    /// row-major n * n matrix with 1 on the diagonal (as Surprise computes it).
    /// </summary>
    public static float[] Dense(SimilarityInput input, KnnSimilarity kind, double shrinkage, int minSupport)
    {
        ArgumentNullException.ThrowIfNull(input);
        int n = input.Rows;
        float[] sim = new float[n * n];
        int[] start = input.RowStart, index = input.RowIndex;
        float[] values = input.RowValues;
        for (int x = 0; x < n; x++)
        {
            sim[(x * n) + x] = 1f;
            for (int y = x + 1; y < n; y++)
            {
                int p = start[x], pEnd = start[x + 1], q = start[y], qEnd = start[y + 1];
                int freq = 0;
                double prod = 0, sqa = 0, sqb = 0, sa = 0, sb = 0;
                while (p < pEnd && q < qEnd)
                {
                    if (index[p] < index[q])
                    {
                        p++;
                    }
                    else if (index[p] > index[q])
                    {
                        q++;
                    }
                    else
                    {
                        double a = values[p++], b = values[q++];
                        freq++;
                        prod += kind == KnnSimilarity.Msd ? (a - b) * (a - b) : a * b;
                        sqa += a * a;
                        sqb += b * b;
                        sa += a;
                        sb += b;
                    }
                }

                float s = freq == 0 || freq < minSupport ? 0f : (float)Finish(kind, shrinkage, freq, prod, sqa, sqb, sa, sb);
                sim[(x * n) + y] = s;
                sim[(y * n) + x] = s;
            }
        }

        return sim;
    }

    /// <summary>
    /// Surprise's formulas over the sums of one pair's common raters (for msd, <paramref name="prod"/> holds the sum
    /// of squared differences). Undefined values (a zero denominator) are 0.
    /// </summary>
    internal static double Finish(KnnSimilarity kind, double shrinkage, int freq, double prod, double sqa, double sqb, double sa, double sb)
    {
        switch (kind)
        {
            case KnnSimilarity.Cosine:
            {
                double den = Math.Sqrt(sqa * sqb);
                return den > 0 ? prod / den : 0;
            }

            case KnnSimilarity.Msd:
                return 1.0 / ((prod / freq) + 1.0);
            case KnnSimilarity.Pearson:
            {
                double num = (freq * prod) - (sa * sb);
                double den = Math.Sqrt(((freq * sqa) - (sa * sa)) * ((freq * sqb) - (sb * sb)));
                return den > 0 ? num / den : 0;
            }

            default:
            {
                double den = Math.Sqrt(sqa * sqb);
                return den > 0 ? prod / den * (freq - 1) / (freq - 1 + shrinkage) : 0;
            }
        }
    }

    /// <summary>
    /// Per-thread accumulators of one row's pair sums, sized by the row count and reused row after row. The sums of
    /// one pair sit together (one cache line per scattered update); only Pearson needs the two plain sums.
    /// </summary>
    private sealed class Workspace(int n)
    {
        private readonly PairSums[] _sums = new PairSums[n];
        private readonly double[] _sa = new double[n];
        private readonly double[] _sb = new double[n];
        private readonly int[] _touched = new int[n];
        private readonly long[] _keys = new long[n];

        /// <summary>Row x's positive similarities as keys (see <see cref="Key"/>), only to rows above x when <paramref name="upperOnly"/>.</summary>
        // Hot loops: compiled optimised at once rather than after tiering, which matters for a one-off fit.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public Span<long> Candidates(SimilarityInput input, int x, KnnSimilarity kind, double shrinkage, int minSupport, bool upperOnly)
        {
            int touched = kind == KnnSimilarity.Pearson
                ? Accumulate<WithPlainSums>(input, x, kind, upperOnly)
                : Accumulate<WithoutPlainSums>(input, x, kind, upperOnly);

            // pearson-baseline shrinks a pair with one common rater to 0: skip the arithmetic.
            int minFreq = Math.Max(minSupport, kind == KnnSimilarity.PearsonBaseline ? 2 : 1);
            int candidates = 0;
            PairSums[] sums = _sums;
            for (int t = 0; t < touched; t++)
            {
                int y = _touched[t];
                ref PairSums pair = ref sums[y];
                if (y != x && pair.Freq >= minFreq)
                {
                    float sim = (float)Finish(kind, shrinkage, pair.Freq, pair.Prod, pair.Sqa, pair.Sqb, _sa[y], _sb[y]);
                    if (sim > 0f && float.IsFinite(sim))
                    {
                        _keys[candidates++] = Key(sim, y);
                    }
                }

                pair = default;
            }

            if (kind == KnnSimilarity.Pearson)
            {
                for (int t = 0; t < touched; t++)
                {
                    _sa[_touched[t]] = _sb[_touched[t]] = 0;
                }
            }

            return _keys.AsSpan(0, candidates);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private int Accumulate<TPlainSums>(SimilarityInput input, int x, KnnSimilarity kind, bool upperOnly)
            where TPlainSums : struct
        {
            int[] rowStart = input.RowStart, rowIndex = input.RowIndex, colStart = input.ColStart, colIndex = input.ColIndex;
            float[] rowValues = input.RowValues, colValues = input.ColValues;
            int[] touchedList = _touched;
            PairSums[] sums = _sums;
            double[] sa = _sa, sb = _sb;
            int touched = 0;
            bool msd = kind == KnnSimilarity.Msd;
            for (int p = rowStart[x]; p < rowStart[x + 1]; p++)
            {
                int col = rowIndex[p];
                double a = rowValues[p];
                double a2 = a * a;
                int from = colStart[col];
                ReadOnlySpan<int> others = colIndex.AsSpan(from, colStart[col + 1] - from);
                if (upperOnly)
                {
                    // x is in this column (it rated it), so the rows above x start right after it.
                    int skip = others.BinarySearch(x) + 1;
                    others = others[skip..];
                    from += skip;
                }

                ReadOnlySpan<float> otherValues = colValues.AsSpan(from, others.Length);
                for (int q = 0; q < others.Length; q++)
                {
                    int y = others[q];
                    double b = otherValues[q];
                    ref PairSums pair = ref sums[y];
                    if (pair.Freq++ == 0)
                    {
                        touchedList[touched++] = y;
                    }

                    pair.Prod += msd ? (a - b) * (a - b) : a * b;
                    pair.Sqa += a2;
                    pair.Sqb += b * b;

                    // A type argument, not a flag, so the JIT drops this for the other similarities.
                    if (typeof(TPlainSums) == typeof(WithPlainSums))
                    {
                        sa[y] += a;
                        sb[y] += b;
                    }
                }
            }

            return touched;
        }
    }

    private struct PairSums
    {
        public double Prod;
        public double Sqa;
        public double Sqb;
        public int Freq;
    }

    private struct WithPlainSums;

    private struct WithoutPlainSums;

    // Positive floats order as their bits: sorting (MaxValue - bits, index) ascending gives most similar first, ties by index.
    internal static long Key(float sim, int index) => ((long)(int.MaxValue - BitConverter.SingleToInt32Bits(sim)) << 32) | (uint)index;

    internal static (int Index, float Similarity) Unkey(long key) =>
        ((int)(key & 0xFFFFFFFF), BitConverter.Int32BitsToSingle(int.MaxValue - (int)(key >> 32)));

    internal static class Select
    {
        /// <summary>Moves the <paramref name="m"/> smallest keys to the front, in no order (quickselect, median of three).</summary>
        public static void Smallest(Span<long> keys, int m)
        {
            int lo = 0, hi = keys.Length - 1;
            while (hi > lo)
            {
                int mid = lo + ((hi - lo) / 2);
                long pivot = Median(keys[lo], keys[mid], keys[hi]);
                int i = lo, j = hi;
                while (i <= j)
                {
                    while (keys[i] < pivot)
                    {
                        i++;
                    }

                    while (keys[j] > pivot)
                    {
                        j--;
                    }

                    if (i <= j)
                    {
                        (keys[i], keys[j]) = (keys[j], keys[i]);
                        i++;
                        j--;
                    }
                }

                if (m - 1 <= j)
                {
                    hi = j;
                }
                else if (m - 1 >= i)
                {
                    lo = i;
                }
                else
                {
                    return;
                }
            }
        }

        private static long Median(long a, long b, long c) => Math.Max(Math.Min(a, b), Math.Min(Math.Max(a, b), c));
    }
}
