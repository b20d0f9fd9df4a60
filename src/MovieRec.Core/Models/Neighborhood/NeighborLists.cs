
namespace MovieRec.Core.Models.Neighborhood;

/// <summary>
/// Each row's positive-similarity neighbours, most similar first (ties: lower index first), in compressed sparse
/// rows. Memory is proportional to the number of pairs kept, never n * n.
/// </summary>
public sealed class NeighborLists
{
    private readonly int[] _start;
    private readonly int[] _index;
    private readonly float[] _similarity;

    internal NeighborLists(int[] start, int[] index, float[] similarity)
    {
        if (start.Length == 0 || start[0] != 0 || start[^1] != index.Length || index.Length != similarity.Length)
        {
            throw new InvalidDataException("The neighbour list arrays do not fit together.");
        }

        int rows = start.Length - 1;
        for (int x = 0; x < rows; x++)
        {
            if (start[x + 1] < start[x])
            {
                throw new InvalidDataException("The neighbour list row starts are not ascending.");
            }
        }

        foreach (int j in index)
        {
            if ((uint)j >= (uint)rows)
            {
                throw new InvalidDataException("A neighbour index is out of range.");
            }
        }

        _start = start;
        _index = index;
        _similarity = similarity;
    }

    public int Rows => _start.Length - 1;

    /// <summary>Pairs kept over all rows.</summary>
    public int Count => _index.Length;

    public ReadOnlySpan<int> NeighborsOf(int x) => _index.AsSpan(_start[x], _start[x + 1] - _start[x]);

    public ReadOnlySpan<float> SimilaritiesOf(int x) => _similarity.AsSpan(_start[x], _start[x + 1] - _start[x]);

    /// <summary>The stored similarity of x to y, or 0 when y is not among x's kept neighbours.</summary>
    public float Similarity(int x, int y)
    {
        ReadOnlySpan<int> row = NeighborsOf(x);
        for (int p = 0; p < row.Length; p++)
        {
            if (row[p] == y)
            {
                return _similarity[_start[x] + p];
            }
        }

        return 0f;
    }

    internal void Write(BinaryWriter writer)
    {
        ModelBinary.WriteArray<int>(writer, _start);
        ModelBinary.WriteArray<int>(writer, _index);
        ModelBinary.WriteArray<float>(writer, _similarity);
    }

    internal static NeighborLists Read(BinaryReader reader) =>
        new(ModelBinary.ReadInts(reader), ModelBinary.ReadInts(reader), ModelBinary.ReadFloats(reader));
}
