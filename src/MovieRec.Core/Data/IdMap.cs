namespace MovieRec.Core.Data;

/// <summary>
/// Maps raw MovieLens ids to dense indices 0..Count-1 and back. Indices follow ascending raw id, so the same set
/// of ids always gives the same map.
/// </summary>
public sealed class IdMap
{
    private readonly int[] _rawIds;
    private readonly Dictionary<int, int> _indexOf;

    private IdMap(int[] sortedDistinctIds)
    {
        _rawIds = sortedDistinctIds;
        _indexOf = new Dictionary<int, int>(sortedDistinctIds.Length);
        for (int i = 0; i < sortedDistinctIds.Length; i++)
        {
            _indexOf.Add(sortedDistinctIds[i], i);
        }
    }

    public int Count => _rawIds.Length;

    /// <summary>Raw ids in index order.</summary>
    public ReadOnlySpan<int> RawIds => _rawIds;

    /// <summary>Builds a map over the distinct values of <paramref name="ids"/>.</summary>
    public static IdMap FromIds(ReadOnlySpan<int> ids)
    {
        int[] copy = ids.ToArray();
        Array.Sort(copy);
        int n = 0;
        for (int i = 0; i < copy.Length; i++)
        {
            if (i == 0 || copy[i] != copy[n - 1])
            {
                copy[n++] = copy[i];
            }
        }

        Array.Resize(ref copy, n);
        return new IdMap(copy);
    }

    /// <summary>Rebuilds a map from the raw ids of <see cref="RawIds"/> (as written by a saved model).</summary>
    public static IdMap FromSortedIds(int[] sortedDistinctIds)
    {
        for (int i = 1; i < sortedDistinctIds.Length; i++)
        {
            if (sortedDistinctIds[i] <= sortedDistinctIds[i - 1])
            {
                throw new ArgumentException("Ids must be strictly ascending.", nameof(sortedDistinctIds));
            }
        }

        return new IdMap(sortedDistinctIds);
    }

    /// <summary>The dense index of a raw id, or -1 when the id is not in the map.</summary>
    public int IndexOf(int rawId) => _indexOf.TryGetValue(rawId, out int index) ? index : -1;

    public bool Contains(int rawId) => _indexOf.ContainsKey(rawId);

    public int RawId(int index) => _rawIds[index];
}
