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
        int threads = SgdThreads(options, train.Count);
        int grid = threads > 1 ? GridPerThread * threads : 1;
        (RatingEntry[][] blocks, RatingEntry[] validation) = Blocks(train, grid, Options.ValidationFraction, random);
        int fitCount = blocks.Sum(b => b.Length);
        var state = new FactorState(train.UserCount, train.ItemCount, Options.Factors, Options.InitStd, random, Mean(blocks, fitCount));

        // One random stream per block, so the blocks shuffle in parallel and the result does not depend on which thread took which block.
        Random[] shufflers = grid > 1 ? [.. blocks.Select(_ => new Random(random.Next()))] : [random];
        var loop = new EpochLoop(Name, Options, options, validation.Length > 0 ? () => state.Rmse(validation) : null);
        FactorState best = loop.Run(state, (lr, epoch) => RunEpoch(state, blocks, shufflers, grid, threads, lr, fitCount));
        return best.ToModel(Name, train, best.P, (float)Options.RegFactor);
    }

    /// <summary>With T threads the ratings are cut into (4T) x (4T) blocks: small enough that a block's user and movie rows stay in cache.</summary>
    internal const int GridPerThread = 4;

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

    private static float Mean(RatingEntry[][] blocks, int count)
    {
        double sum = 0;
        foreach (RatingEntry[] block in blocks)
        {
            foreach (RatingEntry e in block)
            {
                sum += e.R;
            }
        }

        return count == 0 ? 0 : (float)(sum / count);
    }

    /// <summary>
    /// The training entries cut into grid x grid blocks, as LIBMF does: block (a, b) holds the ratings of the a-th
    /// contiguous range of users for the b-th contiguous range of movies, so blocks on a "diagonal" share no user and
    /// no movie and threads can update them at once without races, and a block's rows are few and close together
    /// (cache). With grid 1 it is one block in user-major order. Entries are visited in user-major order with a
    /// validation draw for each, as <see cref="FactorState.Entries"/> does, and written once into blocks of their
    /// exact size (25 M ratings: 300 MB, not three times that).
    /// </summary>
    private static (RatingEntry[][] Blocks, RatingEntry[] Validation) Blocks(RatingMatrix train, int grid, double validationFraction, Random random)
    {
        int[] itemBand = new int[train.ItemCount];
        for (int i = 0; i < itemBand.Length; i++)
        {
            itemBand[i] = (int)((long)i * grid / itemBand.Length);
        }

        int[] sizes = new int[grid * grid];
        for (int u = 0; u < train.UserCount; u++)
        {
            int row = (int)((long)u * grid / train.UserCount) * grid;
            foreach (int i in train.ItemsOf(u))
            {
                sizes[row + itemBand[i]]++;
            }
        }

        RatingEntry[][] blocks = [.. sizes.Select(n => new RatingEntry[n])];
        int[] filled = new int[blocks.Length];
        var validation = new List<RatingEntry>(validationFraction > 0 ? (int)(train.Count * validationFraction) + 1 : 0);
        for (int u = 0; u < train.UserCount; u++)
        {
            ReadOnlySpan<int> items = train.ItemsOf(u);
            ReadOnlySpan<float> values = train.RatingsOf(u);
            int row = (int)((long)u * grid / train.UserCount) * grid;
            for (int p = 0; p < items.Length; p++)
            {
                var e = new RatingEntry(u, items[p], values[p]);
                if (validationFraction > 0 && random.NextDouble() < validationFraction)
                {
                    validation.Add(e);
                    continue;
                }

                int b = row + itemBand[items[p]];
                blocks[b][filled[b]++] = e;
            }
        }

        for (int b = 0; b < blocks.Length; b++)
        {
            if (filled[b] < blocks[b].Length)
            {
                Array.Resize(ref blocks[b], filled[b]);
            }
        }

        return (blocks, [.. validation]);
    }

    /// <summary>
    /// One pass over the ratings (each block shuffled first when asked); returns the training RMSE seen during the
    /// pass. With a grid of G the pass has G rounds; round r runs the G blocks (a, (a + r) mod G), which share no user
    /// and no movie, on the threads. The result depends on the seed and the grid only, not on which thread ran a block.
    /// </summary>
    private double RunEpoch(FactorState s, RatingEntry[][] blocks, Random[] shufflers, int grid, int threads, float lr, int count)
    {
        if (grid <= 1)
        {
            if (Options.Shuffle)
            {
                shufflers[0].Shuffle(blocks[0]);
            }

            return Math.Sqrt(Pass(s, blocks[0], lr) / count);
        }

        double[] sse = new double[blocks.Length];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads };
        for (int round = 0; round < grid; round++)
        {
            Parallel.For(0, grid, parallel, a =>
            {
                int b = (a * grid) + ((a + round) % grid);
                if (Options.Shuffle)
                {
                    shufflers[b].Shuffle(blocks[b]);
                }

                sse[b] = Pass(s, blocks[b], lr);
            });
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
