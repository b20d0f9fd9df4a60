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
        for (int i = 0; i < scores.Length; i++)
        {
            while (e < excludeSorted.Length && excludeSorted[e] < i)
            {
                e++;
            }

            if ((e < excludeSorted.Length && excludeSorted[e] == i) || float.IsNaN(scores[i]))
            {
                continue;
            }

            if (size == k && !Better(scores, i, heap[0]))
            {
                continue;
            }

            if (include is not null && !include(i))
            {
                continue;
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
