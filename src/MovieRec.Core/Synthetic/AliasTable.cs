namespace MovieRec.Core.Synthetic;

/// <summary>Vose's alias method: draws index i with probability weight[i] / sum in O(1).</summary>
internal sealed class AliasTable
{
    private readonly double[] _probability;
    private readonly int[] _alias;

    public AliasTable(ReadOnlySpan<double> weights)
    {
        int n = weights.Length;
        if (n == 0)
        {
            throw new ArgumentException("An alias table needs at least one weight.", nameof(weights));
        }

        double sum = 0;
        foreach (double w in weights)
        {
            if (w < 0 || !double.IsFinite(w))
            {
                throw new ArgumentException("Weights must be finite and non-negative.", nameof(weights));
            }

            sum += w;
        }

        _probability = new double[n];
        _alias = new int[n];
        double[] scaled = new double[n];
        var small = new Stack<int>();
        var large = new Stack<int>();
        for (int i = n - 1; i >= 0; i--)
        {
            scaled[i] = sum > 0 ? weights[i] * n / sum : 1.0;
            (scaled[i] < 1.0 ? small : large).Push(i);
        }

        while (small.Count > 0 && large.Count > 0)
        {
            int s = small.Pop(), l = large.Pop();
            _probability[s] = scaled[s];
            _alias[s] = l;
            scaled[l] = scaled[l] + scaled[s] - 1.0;
            (scaled[l] < 1.0 ? small : large).Push(l);
        }

        foreach (int i in large)
        {
            _probability[i] = 1.0;
        }

        foreach (int i in small)
        {
            _probability[i] = 1.0;
        }
    }

    public int Count => _probability.Length;

    public int Sample(ref SplitMix random)
    {
        int i = random.NextInt(_probability.Length);
        return random.NextDouble() < _probability[i] ? i : _alias[i];
    }
}
