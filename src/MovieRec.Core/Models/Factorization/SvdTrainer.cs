using System.Numerics.Tensors;
using MovieRec.Core.Data;

namespace MovieRec.Core.Models.Factorization;

/// <summary>
/// Biased matrix factorization trained by SGD (Funk/Koren "SVD", Surprise's SVD): r_ui = mu + b_u + b_i + p_u . q_i.
/// Multi-threaded runs use LIBMF's block schedule (threads never update the same user or item at once), so they are
/// race-free and, for a given seed and thread count, deterministic; <see cref="TrainingOptions.Threads"/> = 1 visits
/// the ratings in one sequence.
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
        int threads = SgdThreads(options, fit.Length);

        var loop = new EpochLoop(Name, Options, options, validation.Length > 0 ? () => state.Rmse(validation) : null);
        RatingEntry[][] blocks = threads > 1 ? Blocks(fit, threads) : [fit];
        FactorState best = loop.Run(state, (lr, epoch) =>
        {
            if (Options.Shuffle)
            {
                foreach (RatingEntry[] block in blocks)
                {
                    random.Shuffle(block);
                }
            }

            return RunEpoch(state, blocks, threads, lr, fit.Length);
        });
        return best.ToModel(Name, train, best.P, (float)Options.RegFactor);
    }

    /// <summary>
    /// Threads for an SGD fit: as asked, else one per core from a million ratings up and one below. On the 2-core
    /// development machine two threads made an ml-100k fold slower, not faster (svd-surprise 0.065 s on one thread,
    /// 0.12-0.2 s on two), since an epoch over 80,000 ratings is too short to share.
    /// </summary>
    internal static int SgdThreads(TrainingOptions options, int ratings) =>
        options.Threads > 0 ? options.Threads : ratings >= 1_000_000 ? Environment.ProcessorCount : 1;

    internal static float Mean(ReadOnlySpan<RatingEntry> entries)
    {
        double sum = 0;
        foreach (RatingEntry e in entries)
        {
            sum += e.R;
        }

        return entries.IsEmpty ? 0 : (float)(sum / entries.Length);
    }

    /// <summary>
    /// Buckets the ratings into threads x threads blocks by (user mod T, item mod T), as LIBMF does: blocks on a
    /// "diagonal" share no user and no item, so T threads can update them at once without races.
    /// </summary>
    private static RatingEntry[][] Blocks(RatingEntry[] entries, int threads)
    {
        var lists = new List<RatingEntry>[threads * threads];
        for (int b = 0; b < lists.Length; b++)
        {
            lists[b] = new List<RatingEntry>(entries.Length / lists.Length + 1);
        }

        foreach (RatingEntry e in entries)
        {
            lists[((e.U % threads) * threads) + (e.I % threads)].Add(e);
        }

        return [.. lists.Select(l => l.ToArray())];
    }

    /// <summary>
    /// One pass over the ratings; returns the training RMSE seen during the pass. With T threads the pass has T
    /// rounds; in round r thread t takes block (t, (t + r) mod T). No two threads touch the same row, so the result
    /// depends on the seed and the thread count only.
    /// </summary>
    private double RunEpoch(FactorState s, RatingEntry[][] blocks, int threads, float lr, int count)
    {
        if (threads <= 1)
        {
            return Math.Sqrt(Pass(s, blocks[0], lr) / count);
        }

        double[] sse = new double[threads];
        for (int round = 0; round < threads; round++)
        {
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
                sse[t] += Pass(s, blocks[(t * threads) + ((t + round) % threads)], lr));
        }

        return Math.Sqrt(sse.Sum() / count);
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
