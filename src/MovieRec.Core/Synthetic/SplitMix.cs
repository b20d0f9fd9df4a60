namespace MovieRec.Core.Synthetic;

/// <summary>
/// SplitMix64: a tiny, fast generator whose state is one ulong, so each synthetic user can own a stream seeded from
/// (seed, user index) and the output does not depend on how users are spread over threads.
/// </summary>
internal struct SplitMix
{
    private ulong _state;

    public SplitMix(ulong seed) => _state = seed;

    /// <summary>A stream for (seed, stream, index): three inputs mixed so neighbouring indices are unrelated.</summary>
    public static SplitMix For(int seed, int stream, long index)
    {
        var mix = new SplitMix(((ulong)(uint)seed << 32) ^ (ulong)(uint)stream);
        ulong s = mix.NextULong() ^ (ulong)index;
        var result = new SplitMix(s);
        result.NextULong();
        return result;
    }

    public ulong NextULong()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, n).</summary>
    public int NextInt(int n) => (int)(((NextULong() >> 32) * (ulong)(uint)n) >> 32);

    /// <summary>Standard normal (Box-Muller, one of the pair).</summary>
    public double NextGaussian()
    {
        double u1 = 1.0 - NextDouble(), u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
