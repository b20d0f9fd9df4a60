using System.Numerics;
using System.Runtime.Intrinsics;

namespace MovieRec.Core.Numerics;

/// <summary>Selects the k best-scoring indices with a bounded min-heap: O(n log k), no full sort.</summary>
public static class TopK
{
    /// <summary>
    /// The indices of the <paramref name="k"/> highest scores, best first; ties go to the lower index. Indices in
    /// <paramref name="excludeSorted"/> (ascending) and those <paramref name="include"/> rejects are skipped, and so are NaN scores.
    /// </summary>
    public static int[] Select(ReadOnlySpan<float> scores, int k, ReadOnlySpan<int> excludeSorted = default, Func<int, bool>? include = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (k == 0)
        {
            return [];
        }

        int[] heap = new int[k];
        int size = 0;
        int e = 0;
        int start = excludeSorted.IsEmpty ? FillVectorized(scores, k, include, heap, ref size) : 0;
        for (int i = start; i < scores.Length; i++)
        {
            while (e < excludeSorted.Length && excludeSorted[e] < i)
            {
                e++;
            }

            if (e >= excludeSorted.Length || excludeSorted[e] != i)
            {
                Offer(scores, k, include, heap, ref size, i);
            }
        }

        return Drain(scores, heap, size);
    }

    // Without exclusions: once the heap is full, eight scores at a time are compared with its worst, and only a lane above
    // it (a NaN never is; an equal score at a later index never ranks above) is looked at. Returns where the scalar tail starts.
    private static int FillVectorized(ReadOnlySpan<float> scores, int k, Func<int, bool>? include, int[] heap, ref int size)
    {
        int i = 0;
        int vectorEnd = scores.Length - (scores.Length % Vector256<float>.Count);
        if (!Vector256.IsHardwareAccelerated)
        {
            return 0;
        }

        while (i < vectorEnd)
        {
            if (size < k)
            {
                // Fill the heap a lane at a time (the first k eligible items).
                int end = i + Vector256<float>.Count;
                for (; i < end; i++)
                {
                    Offer(scores, k, include, heap, ref size, i);
                }

                continue;
            }

            uint above = Vector256.GreaterThan(Vector256.Create(scores.Slice(i, Vector256<float>.Count)), Vector256.Create(scores[heap[0]]))
                .ExtractMostSignificantBits();
            while (above != 0)
            {
                Offer(scores, k, include, heap, ref size, i + BitOperations.TrailingZeroCount(above));
                above &= above - 1;
            }

            i += Vector256<float>.Count;
        }

        return i;
    }

    private static void Offer(ReadOnlySpan<float> scores, int k, Func<int, bool>? include, int[] heap, ref int size, int i)
    {
        if (float.IsNaN(scores[i]) || (size == k && !Better(scores, i, heap[0])) || (include is not null && !include(i)))
        {
            return;
        }

        if (size < k)
        {
            heap[size] = i;
            SiftUp(scores, heap, size++);
        }
        else
        {
            heap[0] = i;
            SiftDown(scores, heap, size);
        }
    }

    private static int[] Drain(ReadOnlySpan<float> scores, int[] heap, int size)
    {
        // Pop the worst each time: the result fills from its end.
        int[] result = new int[size];
        for (int r = size - 1; r >= 0; r--)
        {
            result[r] = heap[0];
            heap[0] = heap[--size];
            SiftDown(scores, heap, size);
        }

        return result;
    }

    /// <summary>
    /// Exactly what <see cref="Select"/> over the exact scores would give (the same indices in the same order, with their
    /// exact scores), from <paramref name="approximate"/> scores that are each within <paramref name="tolerance"/> of the
    /// exact one: only the items whose approximate score is within twice the tolerance of the k-th best are scored exactly
    /// (any item of the exact top k is among them). <paramref name="approximate"/> is overwritten (excluded items become NaN).
    /// </summary>
    public static RankedTop SelectRefined(Span<float> approximate, float tolerance, int k, ReadOnlySpan<int> excludeSorted, Func<int, bool>? include,
        Func<int, float> exact)
    {
        ArgumentNullException.ThrowIfNull(exact);
        foreach (int e in excludeSorted)
        {
            if ((uint)e < (uint)approximate.Length)
            {
                approximate[e] = float.NaN;
            }
        }

        int[] top = Select(approximate, k, default, include);
        List<int> candidates;
        if (top.Length < k)
        {
            // Fewer than k items are eligible at all: they are all candidates.
            candidates = [.. top];
        }
        else
        {
            float cut = approximate[top[^1]] - (2 * tolerance);
            candidates = new List<int>(k + 8);
            int i = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                Vector256<float> cuts = Vector256.Create(cut);
                for (; i <= approximate.Length - Vector256<float>.Count; i += Vector256<float>.Count)
                {
                    uint near = Vector256.GreaterThanOrEqual(Vector256.Create<float>(approximate.Slice(i, Vector256<float>.Count)), cuts).ExtractMostSignificantBits();
                    while (near != 0)
                    {
                        int j = i + BitOperations.TrailingZeroCount(near);
                        near &= near - 1;
                        if (include is null || include(j))
                        {
                            candidates.Add(j);
                        }
                    }
                }
            }

            for (; i < approximate.Length; i++)
            {
                // NaN (excluded, or no score) fails the comparison.
                if (approximate[i] >= cut && (include is null || include(i)))
                {
                    candidates.Add(i);
                }
            }
        }

        var items = new int[candidates.Count];
        var scores = new float[candidates.Count];
        int scored = 0;
        foreach (int i in candidates)
        {
            float score = exact(i);
            if (!float.IsNaN(score))
            {
                items[scored] = i;
                scores[scored++] = score;
            }
        }

        // Candidates are in index order: best score first, ties to the lower index, as Select ranks them.
        int[] order = Select(scores.AsSpan(0, scored), Math.Min(k, scored));
        int[] topItems = new int[order.Length];
        float[] topScores = new float[order.Length];
        for (int r = 0; r < order.Length; r++)
        {
            topItems[r] = items[order[r]];
            topScores[r] = scores[order[r]];
        }

        return new RankedTop(topItems, topScores);
    }

    // a ranks above b: higher score, or the same score and a lower index.
    private static bool Better(ReadOnlySpan<float> scores, int a, int b) =>
        scores[a] > scores[b] || (scores[a] == scores[b] && a < b);

    private static void SiftUp(ReadOnlySpan<float> scores, int[] heap, int pos)
    {
        while (pos > 0)
        {
            int parent = (pos - 1) / 2;
            if (!Better(scores, heap[parent], heap[pos]))
            {
                break;
            }

            (heap[parent], heap[pos]) = (heap[pos], heap[parent]);
            pos = parent;
        }
    }

    private static void SiftDown(ReadOnlySpan<float> scores, int[] heap, int size)
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
            int right = left + 1;
            if (right < size && Better(scores, heap[left], heap[right]))
            {
                worst = right;
            }

            if (!Better(scores, heap[pos], heap[worst]))
            {
                break;
            }

            (heap[pos], heap[worst]) = (heap[worst], heap[pos]);
            pos = worst;
        }
    }
}

/// <summary>A ranked top of a list: dense item indices best first, and their scores.</summary>
public readonly record struct RankedTop(int[] Items, float[] Scores)
{
    /// <summary>The top of fully computed scores, as <see cref="TopK.Select"/> ranks it.</summary>
    public static RankedTop FromScores(ReadOnlySpan<float> scores, int k, ReadOnlySpan<int> excludeSorted, Func<int, bool>? include)
    {
        int[] items = TopK.Select(scores, k, excludeSorted, include);
        var values = new float[items.Length];
        for (int r = 0; r < items.Length; r++)
        {
            values[r] = scores[items[r]];
        }

        return new RankedTop(items, values);
    }
}
