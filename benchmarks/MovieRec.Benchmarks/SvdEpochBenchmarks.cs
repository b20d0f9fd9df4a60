using BenchmarkDotNet.Attributes;
using MovieRec.Core.Data;
using MovieRec.Core.Models;
using MovieRec.Core.Models.Factorization;

namespace MovieRec.Benchmarks;

/// <summary>
/// 20 SGD epochs of biased MF with 100 factors over 80,000 ratings (an ml-100k fold's size): a plain scalar loop
/// (simple) against <see cref="SvdTrainer"/> with one and two threads. Ratings per second per epoch =
/// 80,000 x 20 / mean time.
/// </summary>
[MemoryDiagnoser]
public class SvdEpochBenchmarks
{
    private const int Factors = 100;
    private const int Epochs = 20;
    private RatingMatrix _train = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        var ratings = new List<Rating>();
        var seen = new HashSet<(int, int)>();
        while (ratings.Count < 80_000)
        {
            int u = 1 + random.Next(943), i = 1 + (int)(1682 * Math.Pow(random.NextDouble(), 2));
            if (seen.Add((u, i)))
            {
                ratings.Add(new Rating(u, i, 1 + random.Next(5), 0));
            }
        }

        _train = RatingMatrix.Build([.. ratings]);
    }

    [Benchmark(Baseline = true)]
    public float ScalarLoop()
    {
        var random = new Random(42);
        float[] p = new float[_train.UserCount * Factors], q = new float[_train.ItemCount * Factors];
        float[] bu = new float[_train.UserCount], bi = new float[_train.ItemCount];
        for (int n = 0; n < p.Length; n++)
        {
            p[n] = (float)(random.NextDouble() * 0.1);
        }

        for (int n = 0; n < q.Length; n++)
        {
            q[n] = (float)(random.NextDouble() * 0.1);
        }

        float mu = (float)_train.GlobalMean, lr = 0.005f, reg = 0.02f;
        for (int epoch = 0; epoch < Epochs; epoch++)
        {
            for (int u = 0; u < _train.UserCount; u++)
            {
                ReadOnlySpan<int> items = _train.ItemsOf(u);
                ReadOnlySpan<float> values = _train.RatingsOf(u);
                for (int x = 0; x < items.Length; x++)
                {
                    int i = items[x];
                    float dot = 0;
                    for (int f = 0; f < Factors; f++)
                    {
                        dot += p[(u * Factors) + f] * q[(i * Factors) + f];
                    }

                    float err = values[x] - (mu + bu[u] + bi[i] + dot);
                    bu[u] += lr * (err - (reg * bu[u]));
                    bi[i] += lr * (err - (reg * bi[i]));
                    for (int f = 0; f < Factors; f++)
                    {
                        float pf = p[(u * Factors) + f], qf = q[(i * Factors) + f];
                        p[(u * Factors) + f] += lr * ((err * qf) - (reg * pf));
                        q[(i * Factors) + f] += lr * ((err * pf) - (reg * qf));
                    }
                }
            }
        }

        return p[0];
    }

    [Benchmark]
    public IRecommenderModel SvdTrainerOneThread() =>
        new SvdTrainer(SvdOptions.Surprise).Fit(_train, new TrainingOptions { Threads = 1 });

    [Benchmark]
    public IRecommenderModel SvdTrainerTwoThreads() =>
        new SvdTrainer(SvdOptions.Surprise).Fit(_train, new TrainingOptions { Threads = 2 });
}
