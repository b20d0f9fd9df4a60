using System.Collections.Concurrent;

namespace MovieRec.Core.Models.Neighborhood;

/// <summary>
/// Pairwise similarities over common raters. <see cref="TopNeighbors"/> is the fast path: for each row x it walks
/// x's raters and, through the other layout, every row those raters also rated, accumulating the co-rating sums of
/// all of x's pairs at once in per-thread arrays; then it keeps the positive similarities, at most
/// <c>keep</c> of them. <see cref="Dense"/> is the simple version (every pair by merging two sorted rows, a dense
/// n * n result), kept as the benchmark baseline and the tests' oracle.
/// </summary>
public static class Similarities
{
    /// <summary>
    /// The positive similarities of every row, most similar first, at most <paramref name="keep"/> per row. Rows
    /// are independent, so the result does not depend on the thread count.
    /// </summary>
    public static NeighborLists TopNeighbors(SimilarityInput input, KnnSimilarity kind, double shrinkage, int minSupport, int keep,
        ParallelOptions? parallel = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentOutOfRangeException.ThrowIfNegative(keep);
        int n = input.Rows;
        int[][] rowIndex = new int[n][];
        float[][] rowSim = new float[n][];

        // Popular rows cost far more than rare ones: small ranges keep both cores busy to the end.
        int rangeSize = Math.Max(1, Math.Min(64, n / 64));
        Parallel.ForEach(
            Partitioner.Create(0, n, rangeSize),
            parallel ?? new ParallelOptions(),
            () => new Workspace(n),
            (range, _, workspace) =>
            {
                for (int x = range.Item1; x < range.Item2; x++)
                {
                    (rowIndex[x], rowSim[x]) = workspace.Row(input, x, kind, shrinkage, minSupport, keep);
                }

                return workspace;
            },
            _ => { });

        int[] start = new int[n + 1];
        for (int x = 0; x < n; x++)
        {
            start[x + 1] = start[x] + rowIndex[x].Length;
        }

        int[] index = new int[start[n]];
        float[] sim = new float[start[n]];
        for (int x = 0; x < n; x++)
        {
            rowIndex[x].CopyTo(index, start[x]);
            rowSim[x].CopyTo(sim, start[x]);
        }

        return new NeighborLists(start, index, sim);
    }

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

    /// <summary>Per-thread accumulators of one row's pair sums, sized by the row count and reused row after row.</summary>
    private sealed class Workspace(int n)
    {
        private readonly int[] _freq = new int[n];
        private readonly double[] _prod = new double[n];
        private readonly double[] _sqa = new double[n];
        private readonly double[] _sqb = new double[n];
        private readonly double[] _sa = new double[n];
        private readonly double[] _sb = new double[n];
        private readonly int[] _touched = new int[n];
        private readonly long[] _keys = new long[n];

        public (int[] Index, float[] Similarity) Row(SimilarityInput input, int x, KnnSimilarity kind, double shrinkage, int minSupport, int keep)
        {
            int touched = Accumulate(input, x, kind);
            int candidates = 0;
            for (int t = 0; t < touched; t++)
            {
                int y = _touched[t];
                int freq = _freq[y];
                if (y != x && freq >= minSupport)
                {
                    double s = Finish(kind, shrinkage, freq, _prod[y], _sqa[y], _sqb[y], _sa[y], _sb[y]);
                    float sim = (float)s;
                    if (sim > 0f && float.IsFinite(sim))
                    {
                        _keys[candidates++] = Key(sim, y);
                    }
                }

                _freq[y] = 0;
                _prod[y] = _sqa[y] = _sqb[y] = _sa[y] = _sb[y] = 0;
            }

            Span<long> keys = _keys.AsSpan(0, candidates);
            if (candidates > keep)
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

        private int Accumulate(SimilarityInput input, int x, KnnSimilarity kind)
        {
            int[] rowStart = input.RowStart, rowIndex = input.RowIndex, colStart = input.ColStart, colIndex = input.ColIndex;
            float[] rowValues = input.RowValues, colValues = input.ColValues;
            int[] freq = _freq, touchedList = _touched;
            double[] prod = _prod, sqa = _sqa, sqb = _sqb, sa = _sa, sb = _sb;
            int touched = 0;
            bool msd = kind == KnnSimilarity.Msd, sums = kind == KnnSimilarity.Pearson;
            for (int p = rowStart[x]; p < rowStart[x + 1]; p++)
            {
                int col = rowIndex[p];
                double a = rowValues[p];
                double a2 = a * a;
                ReadOnlySpan<int> others = colIndex.AsSpan(colStart[col], colStart[col + 1] - colStart[col]);
                ReadOnlySpan<float> otherValues = colValues.AsSpan(colStart[col], others.Length);
                for (int q = 0; q < others.Length; q++)
                {
                    int y = others[q];
                    double b = otherValues[q];
                    if (freq[y]++ == 0)
                    {
                        touchedList[touched++] = y;
                    }

                    prod[y] += msd ? (a - b) * (a - b) : a * b;
                    sqa[y] += a2;
                    sqb[y] += b * b;
                    if (sums)
                    {
                        sa[y] += a;
                        sb[y] += b;
                    }
                }
            }

            return touched;
        }
    }

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
