using System.Collections.Concurrent;
using System.Numerics.Tensors;
using MovieRec.Core.Data;
using MovieRec.Core.Numerics;

namespace MovieRec.Core.Models.Factorization;

/// <summary>Options of <see cref="AlsTrainer"/>; defaults picked on validation splits like <c>svd</c>'s.</summary>
public sealed record AlsOptions
{
    [Option("latent factors per user and movie", Min = 1, Max = 1000, TuneMin = 8, TuneMax = 128, LogScale = true)]
    public int Factors { get; init; } = 32;

    [Option("alternating passes (users, then movies)", Min = 1, Max = 1000, TuneMin = 5, TuneMax = 30, Budget = true)]
    public int Iterations { get; init; } = 15;

    /// <summary>Factor regularisation, multiplied by the row's rating count (ALS-WR, Zhou et al. 2008).</summary>
    [Option("factor regularisation, times the row's rating count (ALS-WR)", Min = 0, MinExclusive = true, Max = 100, TuneMin = 0.01, TuneMax = 1, LogScale = true)]
    public double RegFactor { get; init; } = 0.15;

    /// <summary>Bias regularisation (a constant, as in Surprise's ALS baselines).</summary>
    [Option("bias regularisation", Min = 0, Max = 10000, TuneMin = 0.1, TuneMax = 50, LogScale = true)]
    public double RegBias { get; init; } = 5;

    [Option("standard deviation of the initial factors", Min = 0, Max = 1)]
    public double InitStd { get; init; } = 0.1;

    [Option("random seed of initialisation", Min = 0, Max = int.MaxValue)]
    public int Seed { get; init; } = 42;

    public AlsOptions Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Factors, nameof(Factors));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Iterations, nameof(Iterations));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(RegFactor, nameof(RegFactor));
        ArgumentOutOfRangeException.ThrowIfNegative(RegBias, nameof(RegBias));
        ArgumentOutOfRangeException.ThrowIfNegative(InitStd, nameof(InitStd));
        return this;
    }
}

/// <summary>
/// Explicit alternating least squares with biases: with the items fixed, each user's [p_u, b_u] is one regularised
/// least-squares solve (and the other way round), so every half-iteration is embarrassingly parallel and the result
/// does not depend on the thread count.
/// </summary>
public sealed class AlsTrainer(AlsOptions? options = null) : IRecommenderTrainer
{
    public const string ModelName = "als";

    public AlsOptions Options { get; } = (options ?? new AlsOptions()).Validate();

    public string Name => ModelName;

    public IRecommenderModel Fit(RatingMatrix train, TrainingOptions? options = null)
    {
        options ??= TrainingOptions.Default;
        int k = Options.Factors;
        var random = new Random(Options.Seed);
        float mu = (float)train.GlobalMean;
        float[] bu = new float[train.UserCount], bi = new float[train.ItemCount];
        float[] p = new float[train.UserCount * k], q = new float[train.ItemCount * k];
        for (int n = 0; n < q.Length; n++)
        {
            q[n] = (float)Gaussian.Next(random, Options.InitStd);
        }

        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.EffectiveThreads, CancellationToken = options.CancellationToken };
        CsrSide users = CsrSide.Users(train), items = CsrSide.Items(train);
        for (int it = 0; it < Options.Iterations; it++)
        {
            SolveSide(users, q, bi, p, bu, mu, parallel);
            SolveSide(items, p, bu, q, bi, mu, parallel);
            options.Progress?.Report(new TrainingProgress(Name, it + 1, Options.Iterations));
        }

        return new MatrixFactorizationModel(Name, train, BiasBaseline.Default(train), k, mu, bu, bi, p, q, (float)Options.RegFactor);
    }

    /// <summary>Solves every row of one side given the other: min sum (r - mu - b_other - b - x . y)^2 + reg terms.</summary>
    private void SolveSide(CsrSide side, float[] otherFactors, float[] otherBias, float[] factors, float[] bias, float mu, ParallelOptions parallel)
    {
        (int[] rowStart, int[] index, float[] values) = (side.Start, side.Index, side.Values);
        int k = Options.Factors, n = k + 1;
        Parallel.ForEach(Partitioner.Create(0, rowStart.Length - 1), parallel, range =>
        {
            double[] a = new double[n * n], b = new double[n], x = new double[n];
            for (int row = range.Item1; row < range.Item2; row++)
            {
                Array.Clear(a);
                Array.Clear(b);
                int count = rowStart[row + 1] - rowStart[row];
                for (int e = rowStart[row]; e < rowStart[row + 1]; e++)
                {
                    int other = index[e];
                    for (int f = 0; f < k; f++)
                    {
                        x[f] = otherFactors[(other * k) + f];
                    }

                    x[k] = 1.0;
                    double target = values[e] - mu - otherBias[other];
                    TensorPrimitives.MultiplyAdd(x, target, b, b);
                    for (int r = 0; r < n; r++)
                    {
                        Span<double> lower = a.AsSpan(r * n, r + 1);
                        TensorPrimitives.MultiplyAdd(x.AsSpan(0, r + 1), x[r], lower, lower);
                    }
                }

                for (int f = 0; f < k; f++)
                {
                    a[(f * n) + f] += Options.RegFactor * count;
                }

                a[(k * n) + k] += Options.RegBias;
                if (Cholesky.Solve(a, b, n))
                {
                    for (int f = 0; f < k; f++)
                    {
                        factors[(row * k) + f] = (float)b[f];
                    }

                    bias[row] = (float)b[k];
                }
            }
        });
    }
}
