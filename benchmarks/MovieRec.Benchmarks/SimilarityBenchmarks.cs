using BenchmarkDotNet.Attributes;
using MovieRec.Core.Data;
using MovieRec.Core.Models;
using MovieRec.Core.Models.Neighborhood;

namespace MovieRec.Benchmarks;

/// <summary>
/// Pearson-baseline similarities of an ml-100k-sized matrix (943 users, 1,682 movies, 100,000 ratings with a
/// popularity skew, fixed seed): every pair by merging two sorted rows into a dense n * n matrix, single-threaded
/// (simple, Surprise's shape) against the sparse co-rating accumulation that keeps top lists, one thread and all cores.
/// </summary>
[MemoryDiagnoser]
public class SimilarityBenchmarks
{
    private SimilarityInput _input = null!;

    [Params(true, false)]
    public bool ItemBased { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        const int users = 943, movies = 1682, count = 100_000;
        var random = new Random(42);
        var seen = new HashSet<long>();
        var ratings = new List<Rating>(count);
        while (ratings.Count < count)
        {
            // Skewed towards active users and popular movies, as MovieLens is.
            int u = (int)(users * Math.Pow(random.NextDouble(), 1.8));
            int i = (int)(movies * Math.Pow(random.NextDouble(), 2.5));
            if (seen.Add(((long)u << 32) | (uint)i))
            {
                ratings.Add(new Rating(u + 1, i + 1, random.Next(1, 6), 0));
            }
        }

        RatingMatrix train = RatingMatrix.Build([.. ratings]);
        _input = SimilarityInput.Create(train, ItemBased, BiasBaseline.Default(train));
    }

    [Benchmark(Baseline = true)]
    public float[] PairwiseDense() => Similarities.Dense(_input, KnnSimilarity.PearsonBaseline, 100, 1);

    [Benchmark]
    public NeighborLists SparseOneThread() =>
        Similarities.TopNeighbors(_input, KnnSimilarity.PearsonBaseline, 100, 1, _input.Rows - 1, new ParallelOptions { MaxDegreeOfParallelism = 1 });

    [Benchmark]
    public NeighborLists SparseParallel() => Similarities.TopNeighbors(_input, KnnSimilarity.PearsonBaseline, 100, 1, _input.Rows - 1);
}
