using System.Numerics.Tensors;
using MovieRec.Core.Data;

namespace MovieRec.Core.Models.Factorization;

/// <summary>
/// Biased matrix factorization trained by SGD (Funk/Koren "SVD", Surprise's SVD): r_ui = mu + b_u + b_i + p_u . q_i.
/// Multi-threaded runs are lock-free (Hogwild: each thread takes a contiguous share of the shuffled ratings);
/// <see cref="TrainingOptions.Threads"/> = 1 is the deterministic mode.
/// </summary>
public sealed class SvdTrainer(SvdOptions? options = null, string name = SvdTrainer.ModelName) : IRecommenderTrainer
{
    public const string ModelName = "svd";
    public const string SurpriseName = "svd-surprise";

    public SvdOptions Options { get; } = (options ?? new SvdOptions()).Validate();

    public string Name { get; } = name;

    public IRecommenderModel Fit(RatingMatrix train, TrainingOptions? options = null)
    {
        options ??= TrainingOptions.Default;
        var random = new Random(Options.Seed);
        (RatingEntry[] fit, RatingEntry[] validation) = FactorState.Entries(train, Options.ValidationFraction, random);
        var state = new FactorState(train.UserCount, train.ItemCount, Options.Factors, Options.InitStd, random, Mean(fit));
        int threads = Math.Min(options.EffectiveThreads, Math.Max(1, fit.Length / 10_000));

        var loop = new EpochLoop(Name, Options, options, validation.Length > 0 ? () => state.Rmse(validation) : null);
        FactorState best = loop.Run(state, (lr, epoch) =>
        {
            if (Options.Shuffle)
            {
                random.Shuffle(fit);
            }

            return RunEpoch(state, fit, threads, lr);
        });
        return best.ToModel(Name, train, best.P, (float)Options.RegFactor);
    }

    internal static float Mean(ReadOnlySpan<RatingEntry> entries)
    {
        double sum = 0;
        foreach (RatingEntry e in entries)
        {
            sum += e.R;
        }

        return entries.IsEmpty ? 0 : (float)(sum / entries.Length);
    }

    /// <summary>One pass over the ratings; returns the training RMSE seen during the pass.</summary>
    private double RunEpoch(FactorState s, RatingEntry[] entries, int threads, float lr)
    {
        if (threads <= 1)
        {
            return Math.Sqrt(Pass(s, entries, lr) / entries.Length);
        }

        double[] sse = new double[threads];
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            int start = (int)((long)entries.Length * t / threads), end = (int)((long)entries.Length * (t + 1) / threads);
            sse[t] = Pass(s, entries.AsSpan(start, end - start), lr);
        });
        return Math.Sqrt(sse.Sum() / entries.Length);
    }

    private double Pass(FactorState s, ReadOnlySpan<RatingEntry> entries, float lr)
    {
        float regB = (float)Options.RegBias;
        float decay = 1f - (lr * (float)Options.RegFactor);
        float[] bu = s.UserBias, bi = s.ItemBias;
        double sse = 0;
        foreach (RatingEntry e in entries)
        {
            Span<float> p = s.UserRow(e.U), q = s.ItemRow(e.I);
            float err = e.R - (s.Mu + bu[e.U] + bi[e.I] + TensorPrimitives.Dot(p, q));
            sse += err * err;
            bu[e.U] += lr * (err - (regB * bu[e.U]));
            bi[e.I] += lr * (err - (regB * bi[e.I]));
            FactorState.UpdatePair(p, q, lr * err, decay);
        }

        return sse;
    }
}

/// <summary>
/// The epoch loop the SGD trainers share: learning-rate decay, per-epoch progress with train loss and validation
/// RMSE, cancellation, and early stopping that keeps the best epoch's parameters.
/// </summary>
internal sealed class EpochLoop(string model, SvdOptions options, TrainingOptions training, Func<double>? validationRmse)
{
    /// <summary>Runs <paramref name="epoch"/> (given the learning rate, returning the train RMSE) until done; returns the state to keep.</summary>
    public FactorState Run(FactorState state, Func<float, int, double> epoch)
    {
        double lr = options.LearningRate;
        double bestRmse = double.PositiveInfinity;
        FactorState? best = null;
        int sinceBest = 0;
        for (int e = 0; e < options.Epochs; e++)
        {
            training.CancellationToken.ThrowIfCancellationRequested();
            double trainRmse = epoch((float)lr, e);
            lr *= options.LearningRateDecay;
            double? valRmse = validationRmse?.Invoke();
            training.Progress?.Report(new TrainingProgress(model, e + 1, options.Epochs, trainRmse, valRmse));
            if (valRmse is not double v || options.EarlyStoppingPatience == 0)
            {
                continue;
            }

            if (v < bestRmse)
            {
                bestRmse = v;
                best = state.Snapshot();
                sinceBest = 0;
            }
            else if (++sinceBest >= options.EarlyStoppingPatience)
            {
                return best!;
            }
        }

        return best ?? state;
    }
}
