using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using MovieRec.Core.Data;

namespace MovieRec.Benchmarks;

/// <summary>Reading a ratings.csv of ml-latest-small's size: string.Split per line (simple) against the loader.</summary>
[MemoryDiagnoser]
public class LoaderBenchmarks
{
    private string _path = "";

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        var sb = new StringBuilder("userId,movieId,rating,timestamp\n");
        for (int u = 1; u <= 600; u++)
        {
            int movie = 0;
            for (int r = 0; r < 170; r++)
            {
                movie += 1 + random.Next(50);
                sb.Append(CultureInfo.InvariantCulture, $"{u},{movie},{(1 + random.Next(10)) / 2.0:0.0},{964_000_000 + random.Next(1_000_000)}\n");
            }
        }

        _path = Path.Combine(Path.GetTempPath(), $"movierec-bench-{Guid.NewGuid():N}.csv");
        File.WriteAllText(_path, sb.ToString());
    }

    [GlobalCleanup]
    public void Cleanup() => File.Delete(_path);

    [Benchmark(Baseline = true)]
    public int SplitLines()
    {
        var ratings = new List<Rating>();
        foreach (string line in File.ReadLines(_path).Skip(1))
        {
            string[] f = line.Split(',');
            ratings.Add(new Rating(int.Parse(f[0], CultureInfo.InvariantCulture), int.Parse(f[1], CultureInfo.InvariantCulture),
                float.Parse(f[2], CultureInfo.InvariantCulture), long.Parse(f[3], CultureInfo.InvariantCulture)));
        }

        return ratings.Count;
    }

    [Benchmark]
    public int MovieLensLoader() => Core.Data.MovieLensLoader.LoadRatings(_path, RatingScale.HalfStars).Length;
}
