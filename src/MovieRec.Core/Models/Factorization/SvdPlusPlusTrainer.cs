using System.Numerics.Tensors;
using MovieRec.Core.Data;

namespace MovieRec.Core.Models.Factorization;

/// <summary>
/// SVD++ (Koren 2008): r_ui = mu + b_u + b_i + q_i . (p_u + |N(u)|^-1/2 sum_{j in N(u)} y_j), where N(u) is the set
/// of movies u rated. Ratings are visited user by user: the implicit sum is computed once per user per epoch and
/// kept current as p_u moves, and the y_j gradients of the user's ratings are summed and applied once at the end of
/// the user's ratings. An epoch therefore costs about three plain-SVD epochs instead of |N(u)| times one.
/// </summary>
public sealed class SvdPlusPlusTrainer(SvdOptions? options = null) : IRecommenderTrainer
{
    public const string ModelName = "svdpp";

    /// <summary>Defaults of <c>svdpp</c>, picked on validation splits like <c>svd</c>'s.</summary>
    public static readonly SvdOptions Defaults = new()
    {
        Factors = 100,
        Epochs = 80,
        LearningRate = 0.006,
        LearningRateDecay = 0.98,
        RegBias = 0.02,
        RegFactor = 0.1,
        RegImplicit = 0.2,
        InitStd = 0.05,
    };

    public SvdOptions Options { get; } = (options ?? Defaults).Validate();

    public string Name => ModelName;

    public IRecommenderModel Fit(RatingMatrix train, TrainingOptions? options = null)
    {
        options ??= TrainingOptions.Default;
        var random = new Random(Options.Seed);
        (RatingEntry[] fit, RatingEntry[] validation) = FactorState.Entries(train, Options.ValidationFraction, random);
        var state = new FactorState(train.UserCount, train.ItemCount, Options.Factors, Options.InitStd, random, SvdTrainer.Mean(fit));
        state.Y = state.NewFactors(train.ItemCount, random, Options.InitStd);

        // Each user's fit ratings, contiguous; N(u) is every item the user rated in training (validation included:
        // the fact of rating is known even where the value is held out).
        int[] start = new int[train.UserCount + 1];
        foreach (RatingEntry e in fit)
        {
            start[e.U + 1]++;
        }

        for (int u = 0; u < train.UserCount; u++)
        {
            start[u + 1] += start[u];
        }

        int[] users = [.. Enumerable.Range(0, train.UserCount)];
        int threads = SvdTrainer.SgdThreads(options, fit.Length);
        float[] userVectors = new float[train.UserCount * state.Stride];

        var loop = new EpochLoop(Name, Options, options, validation.Length > 0
            ? () =>
            {
                ComputeUserVectors(state, train, userVectors);
                return state.Rmse(validation, u => userVectors.AsSpan(u * state.Stride, state.Stride));
            }
            : null);
        FactorState best = loop.Run(state, (lr, epoch) =>
        {
            if (Options.Shuffle)
            {
                random.Shuffle(users);
                for (int u = 0; u < train.UserCount; u++)
                {
                    random.Shuffle(fit.AsSpan(start[u], start[u + 1] - start[u]));
                }
            }

            double[] sse = new double[threads];
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            {
                float[] z = new float[state.Stride], gradient = new float[state.Stride];
                for (int n = users.Length * t / threads; n < users.Length * (t + 1) / threads; n++)
                {
                    int u = users[n];
                    sse[t] += UserPass(state, train.ItemsOf(u), fit.AsSpan(start[u], start[u + 1] - start[u]), lr, z, gradient);
                }
            });
            return Math.Sqrt(sse.Sum() / Math.Max(1, fit.Length));
        });

        ComputeUserVectors(best, train, userVectors);
        return best.ToModel(Name, train, userVectors, (float)Options.RegFactor);
    }

    private double UserPass(FactorState s, ReadOnlySpan<int> implicitItems, ReadOnlySpan<RatingEntry> ratings, float lr, Span<float> z, Span<float> gradient)
    {
        if (ratings.IsEmpty)
        {
            return 0;
        }

        int u = ratings[0].U;
        float[] y = s.Y!;
        float norm = 1f / MathF.Sqrt(Math.Max(1, implicitItems.Length));
        Span<float> p = s.UserRow(u);

        // z = p_u + norm * sum y_j
        z.Clear();
        foreach (int j in implicitItems)
        {
            TensorPrimitives.Add(z, y.AsSpan(j * s.Stride, s.Stride), z);
        }

        TensorPrimitives.Multiply(z, norm, z);
        TensorPrimitives.Add(z, p, z);
        gradient.Clear();

        float regB = (float)Options.RegBias;
        float decay = 1f - (lr * (float)Options.RegFactor);
        double sse = 0;
        foreach (RatingEntry e in ratings)
        {
            Span<float> q = s.ItemRow(e.I);
            float err = e.R - (s.Mu + s.UserBias[u] + s.ItemBias[e.I] + TensorPrimitives.Dot(z, q));
            sse += err * err;
            s.UserBias[u] += lr * (err - (regB * s.UserBias[u]));
            s.ItemBias[e.I] += lr * (err - (regB * s.ItemBias[e.I]));

            // gradient += err * q (for the y_j), then p and q move; z follows p.
            TensorPrimitives.MultiplyAdd(q, err, gradient, gradient);
            TensorPrimitives.Subtract(z, p, z);
            FactorState.UpdatePair(p, q, lr * err, decay);
            TensorPrimitives.Add(z, p, z);
        }

        // y_j += lr (norm * sum err q - reg y_j), once for the user's ratings.
        float yDecay = 1f - (lr * (float)Options.RegImplicit);
        TensorPrimitives.Multiply(gradient, lr * norm, gradient);
        foreach (int j in implicitItems)
        {
            Span<float> yj = y.AsSpan(j * s.Stride, s.Stride);
            TensorPrimitives.MultiplyAdd(yj, yDecay, gradient, yj);
        }

        return sse;
    }

    /// <summary>Writes p_u + |N(u)|^-1/2 sum y_j for every user into <paramref name="vectors"/> (stride-padded rows).</summary>
    private static void ComputeUserVectors(FactorState s, RatingMatrix train, float[] vectors)
    {
        Parallel.For(0, train.UserCount, u =>
        {
            Span<float> z = vectors.AsSpan(u * s.Stride, s.Stride);
            z.Clear();
            ReadOnlySpan<int> items = train.ItemsOf(u);
            foreach (int j in items)
            {
                TensorPrimitives.Add(z, s.Y.AsSpan(j * s.Stride, s.Stride), z);
            }

            TensorPrimitives.Multiply(z, 1f / MathF.Sqrt(Math.Max(1, items.Length)), z);
            TensorPrimitives.Add(z, s.UserRow(u), z);
        });
    }
}
