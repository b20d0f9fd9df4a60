using BenchmarkDotNet.Attributes;
using MovieRec.Core.Numerics;

namespace MovieRec.Benchmarks;

/// <summary>Top-10 of a catalogue-sized score vector: full sort (simple) against the bounded heap.</summary>
[MemoryDiagnoser]
public class TopKBenchmarks
{
    private float[] _scores = [];

    [Params(10_000, 60_000)]
    public int Items { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _scores = new float[Items];
        for (int i = 0; i < Items; i++)
        {
            _scores[i] = (float)random.NextDouble();
        }
    }

    [Benchmark(Baseline = true)]
    public int[] FullSort()
    {
        int[] order = new int[_scores.Length];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        float[] keys = new float[_scores.Length];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = -_scores[i];
        }

        Array.Sort(keys, order);
        return order[..10];
    }

    [Benchmark]
    public int[] Heap() => TopK.Select(_scores, 10);
}
