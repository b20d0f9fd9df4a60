using BenchmarkDotNet.Attributes;
using MovieRec.Core.Data;
using MovieRec.Core.Models;
using MovieRec.Core.Models.Hybrid;
using MovieRec.Core.Numerics;

namespace MovieRec.Benchmarks;

/// <summary>
/// The scoring behind /recommend/user and POST /recommend/batch: one user's top-10 as the service ranks it (the model's
/// <see cref="ITopRanker"/>: 8-bit factors with exact re-scoring, bounded item-kNN), 1,000 users one by one on one
/// thread with the unoptimised Score + TopK (the baseline), and 1,000 users as the batch endpoint ranks them (the
/// served ranking per user, in parallel).
/// Models are trained in the set-up on ml-latest-small when ../shared/datasets/ml-latest-small (or MOVIEREC_BENCH_DATA)
/// is there, else on a synthetic matrix of its shape (610 users x 9,742 movies, 100,836 ratings); trained models are kept
/// in the temp folder between the benchmark processes (the file name says the ranking model and the MovieRec.Core build). The hybrid here blends only
/// the baseline: its top-N is its ranking model's (ease, the default) either way, so the kernel measured is the default
/// hybrid's.
/// </summary>
[MemoryDiagnoser]
public class ScoringBenchmarks
{
    private const int BatchUsers = 1000;
    private const int N = 10;

    private IRecommenderModel _model = null!;
    private ITopRanker? _ranker;
    private int[] _users = [];
    private int _next;

    [Params("svd", "implicit-als", "item-knn", "hybrid")]
    public string Model { get; set; } = "svd";

    [GlobalSetup]
    public void Setup()
    {
        (RatingMatrix train, string source) = Matrix();
        // The build's module id in the name: a file trained by an older build (other defaults) is never read back.
        string build = typeof(IRecommenderModel).Assembly.ManifestModule.ModuleVersionId.ToString("N")[..12];
        string cache = Path.Combine(Path.GetTempPath(), $"movierec-bench-{source}-{Model}{(Model == "hybrid" ? "-ease" : "")}-{build}.model");
        if (File.Exists(cache))
        {
            using FileStream stream = File.OpenRead(cache);
            _model = ModelSerializer.Load(stream, train);
        }
        else
        {
            IRecommenderTrainer trainer = Model == "hybrid"
                ? ModelRegistry.Hybrid(new HybridOptions { BaseModels = ["baseline"] }, new ModelContext())
                : ModelRegistry.Create(Model);
            _model = trainer.Fit(train);
            using FileStream stream = File.Create(cache);
            ModelSerializer.Save(_model, stream, includeMatrix: false);
        }

        _ranker = _model.Capabilities.TopRanker;
        _users = [.. Enumerable.Range(0, BatchUsers).Select(j => j % train.UserCount)];
        Console.WriteLine($"// {Model} on {source}: {train.UserCount} users x {train.ItemCount} movies; fast top-N: {_ranker is not null}");
    }

    [Benchmark]
    public int[] OneUser()
    {
        int u = _users[_next++ % _users.Length];
        return Served(u);
    }

    /// <summary>
    /// Every user of the matrix once, one by one on one thread, through the served ranking: the CPU of a request mix as
    /// wrk's uniformly random users draw it (divide by the user count, 610 on ml-latest-small, for one request).
    /// </summary>
    [Benchmark]
    public int AllUsersServed()
    {
        int total = 0;
        for (int u = 0; u < _model.Train.UserCount; u++)
        {
            total += Served(u).Length;
        }

        return total;
    }

    [Benchmark(Baseline = true)]
    public int ThousandUsersOneByOne()
    {
        int total = 0;
        foreach (int u in _users)
        {
            total += Single(u).Length;
        }

        return total;
    }

    [Benchmark]
    public int ThousandUsersBatched()
    {
        int[][] lists = new int[_users.Length][];
        Parallel.For(0, _users.Length, j => lists[j] = Served(_users[j]));
        int total = 0;
        foreach (int[] list in lists)
        {
            total += list.Length;
        }

        return total;
    }

    private int[] Served(int u) => _ranker is not null ? _ranker.Top(u, N, _model.Train.ItemsOf(u), null).Items : Single(u);

    private int[] Single(int u)
    {
        float[] scores = new float[_model.Train.ItemCount];
        _model.Score(u, scores);
        return TopK.Select(scores, N, _model.Train.ItemsOf(u));
    }

    private static (RatingMatrix Train, string Source) Matrix()
    {
        string? folder = Environment.GetEnvironmentVariable("MOVIEREC_BENCH_DATA") ?? FindShared("datasets", "ml-latest-small");
        if (folder is not null && Directory.Exists(folder))
        {
            return (RatingMatrix.Build([.. MovieLensLoader.Load(folder).Ratings]), "ml-latest-small");
        }

        // The same shape, from a fixed seed: 610 users x 9,742 movies, 100,836 ratings, popularity skewed.
        var random = new Random(42);
        var ratings = new HashSet<(int, int)>();
        var list = new List<Rating>(100_836);
        while (list.Count < 100_836)
        {
            int user = 1 + random.Next(610);
            int movie = 1 + (int)(9742 * Math.Pow(random.NextDouble(), 2));
            if (ratings.Add((user, movie)))
            {
                list.Add(new Rating(user, movie, 0.5f * (1 + random.Next(10)), 0));
            }
        }

        return (RatingMatrix.Build([.. list]), "synthetic");
    }

    private static string? FindShared(params string[] parts)
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            foreach (string candidate in (string[])[Path.Combine([dir, "..", "shared", .. parts]), Path.Combine([dir, "shared", .. parts])])
            {
                if (Directory.Exists(candidate))
                {
                    return Path.GetFullPath(candidate);
                }
            }
        }

        return null;
    }
}
