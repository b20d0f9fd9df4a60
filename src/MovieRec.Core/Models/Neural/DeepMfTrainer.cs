using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using MovieRec.Core.Data;

namespace MovieRec.Core.Models.Neural;

/// <summary>
/// Options of <see cref="DeepMfTrainer"/> (both <c>deep-mf</c> and <c>residual-mf</c>); defaults picked on inner
/// holdouts of ml-100k (never the test folds): dropout 0.5 and weight decay 0.05 took validation RMSE from 0.940
/// (dropout 0.2, decay 1e-4) to 0.9225 (20% of u1.base); on 5% of u1.base and u2.base, batches of 1024 with embedding
/// learning rate 0.02 over 20 epochs and 32 factors gave 0.8835 against 0.8876 for batches of 1024 at 0.01 over 30 epochs
/// and 64 factors (width 16: 0.8888, dropout 0.3: 0.8873, embedding L2 0.08: 0.8855; on u1.base alone the old
/// defaults, batches of 256, 0.8866 against 0.8842), in about 60% of the CPU time. On 10% of each of u1.base..u5.base held
/// out as a test (the models fitted on the other 90%): the best validated epoch 0.9185 (residual-mf 0.9178), refit on all
/// ratings 0.9177 (0.9149), the mean of the refit and the validated network 0.9139 (0.9117, better on every fold).
/// </summary>
public sealed record DeepMfOptions
{
    /// <summary>Size of each user and movie embedding.</summary>
    [Option("embedding size of users and movies", Min = 1, Max = 2000, TuneMin = 8, TuneMax = 256, LogScale = true)]
    public int Factors { get; init; } = 32;

    /// <summary>Units of every hidden dense layer.</summary>
    [Option("units of each dense layer", Min = 1, Max = 10000, TuneMin = 8, TuneMax = 256, LogScale = true)]
    public int Width { get; init; } = 32;

    /// <summary>Hidden dense layers (each dense, batch normalization, ReLU, dropout).</summary>
    [Option("dense layers", Min = 1, Max = 20)]
    public int Depth { get; init; } = 2;

    /// <summary>Share of hidden units dropped in training.</summary>
    [Option("dropout rate of the dense layers", Min = 0, Max = 0.95, TuneMin = 0, TuneMax = 0.7)]
    public double Dropout { get; init; } = 0.5;

    /// <summary>Add each hidden layer's input to its output (from the second layer on): <c>residual-mf</c>.</summary>
    [Option("residual connections between the dense layers")]
    public bool Residual { get; init; }

    [Option("passes over the training ratings", Min = 1, Max = 10000, TuneMin = 5, TuneMax = 45, Budget = true)]
    public int Epochs { get; init; } = 20;

    /// <summary>Adam's step size.</summary>
    [Option("Adam's step size for the dense layers", Min = 0, MinExclusive = true, Max = 1, TuneMin = 0.0001, TuneMax = 0.01, LogScale = true)]
    public double LearningRate { get; init; } = 0.001;

    /// <summary>SGD step size of the embeddings and biases (Adam trains the dense layers).</summary>
    [Option("learning rate of the embeddings", Min = 0, MinExclusive = true, Max = 1, TuneMin = 0.001, TuneMax = 0.1, LogScale = true)]
    public double EmbeddingLearningRate { get; init; } = 0.02;

    /// <summary>Multiplies <see cref="EmbeddingLearningRate"/> after every epoch.</summary>
    [Option("embedding learning rate multiplier per epoch", Min = 0, MinExclusive = true, Max = 1)]
    public double EmbeddingLearningRateDecay { get; init; } = 0.95;

    /// <summary>L2 on embeddings and biases, per occurrence in a batch (as SGD matrix factorization regularises).</summary>
    [Option("L2 regularisation of the embeddings", Min = 0, Max = 10, TuneMin = 0.001, TuneMax = 0.3, LogScale = true)]
    public double EmbeddingRegularization { get; init; } = 0.05;

    /// <summary>L2 on the dense weights.</summary>
    [Option("weight decay of the dense layers", Min = 0, Max = 10)]
    public double WeightDecay { get; init; } = 0.05;

    [Option("ratings per minibatch", Min = 1, Max = 1000000)]
    public int BatchSize { get; init; } = 1024;

    /// <summary>Share of the training ratings held out to report validation RMSE and stop early (0: none).</summary>
    [Option("share of the training ratings held out for validation RMSE and early stopping (0: none)", Min = 0, Max = 0.9)]
    public double ValidationFraction { get; init; } = 0.05;

    /// <summary>Stop after this many epochs without a better validation RMSE and keep the best epoch (0: never stop early).</summary>
    [Option("stop after this many epochs without a better validation RMSE (0: never)", Min = 0, Max = 10000)]
    public int EarlyStoppingPatience { get; init; } = 4;

    /// <summary>
    /// After early stopping on the held-out ratings, train again on all the training ratings for the best epoch count
    /// (about twice the fit time); off: keep the best epoch's network, fitted without the held-out ratings.
    /// </summary>
    [Option("after early stopping, train again on all ratings for the best epoch count")]
    public bool Refit { get; init; } = true;

    /// <summary>With <see cref="Refit"/>, predict the mean of the refit network and the validated run's best epoch (two networks from different initialisations, at no extra training cost).</summary>
    [Option("with refit, average the refit network and the validated run's best epoch")]
    public bool AverageValidated { get; init; } = true;

    [Option("random seed of initialisation, batches, dropout and the validation split", Min = 0, Max = int.MaxValue)]
    public int Seed { get; init; } = 42;

    public DeepMfOptions Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Factors, nameof(Factors));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Width, nameof(Width));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Depth, nameof(Depth));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Epochs, nameof(Epochs));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(LearningRate, nameof(LearningRate));
        ArgumentOutOfRangeException.ThrowIfNegative(EmbeddingRegularization, nameof(EmbeddingRegularization));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(EmbeddingLearningRate, nameof(EmbeddingLearningRate));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(EmbeddingLearningRateDecay, nameof(EmbeddingLearningRateDecay));
        ArgumentOutOfRangeException.ThrowIfNegative(WeightDecay, nameof(WeightDecay));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(BatchSize, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfNegative(EarlyStoppingPatience, nameof(EarlyStoppingPatience));
        if (Dropout is < 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Dropout), Dropout, "Must be in [0, 1).");
        }

        if (ValidationFraction is < 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(ValidationFraction), ValidationFraction, "Must be in [0, 1).");
        }

        return this;
    }
}

/// <summary>
/// Deep matrix factorization: user and movie embeddings, concatenated, through dense layers with batch normalization,
/// ReLU and dropout, to one output added to mu + b_u + b_i + p_u . q_i (the factorization path of NeuMF, He et al.
/// 2017: without it the network alone stayed at 0.942-0.947 validation RMSE on an inner holdout of ml-100k u1.base,
/// worse than svd's 0.922, since an MLP learns a dot product poorly (Rendle et al. 2020)); with <see cref="DeepMfOptions.Residual"/> each hidden
/// layer after the first adds its input to its output. Trained on minibatches of ratings with explicit gradients: Adam for the
/// dense layers, SGD for embeddings and biases. The batch is cut into a fixed number of row chunks whose weight gradients are summed in chunk order,
/// so the result depends on the seed only, whatever the thread count.
/// </summary>
public sealed class DeepMfTrainer(DeepMfOptions? options = null, string? name = null) : IRecommenderTrainer
{
    public const string DeepName = "deep-mf";
    public const string ResidualName = "residual-mf";

    public DeepMfOptions Options { get; } = (options ?? new DeepMfOptions()).Validate();

    public string Name { get; } = name ?? ((options?.Residual ?? false) ? ResidualName : DeepName);

    public IRecommenderModel Fit(RatingMatrix train, TrainingOptions? options = null)
    {
        options ??= TrainingOptions.Default;
        var random = new Random(Options.Seed);
        (int[] fitU, int[] fitI, float[] fitR, int[] valU, int[] valI, float[] valR) = Entries(train, Options.ValidationFraction, random);
        (DeepMfNetwork net, int bestEpoch) = Train(train, (fitU, fitI, fitR), (valU, valI, valR), Options.Epochs, random, options);
        if (Options.Refit && valU.Length > 0 && bestEpoch > 0)
        {
            // The held-out ratings only chose the epoch count: train again on all of them for that many epochs (the
            // curve keeps the validated run; the refit reports no epochs).
            (int[] allU, int[] allI, float[] allR, _, _, _) = Entries(train, 0, random);
            (DeepMfNetwork refit, _) = Train(train, (allU, allI, allR), ([], [], []), bestEpoch, new Random(Options.Seed), options with { Progress = null });
            return Options.AverageValidated
                ? new DeepMfModel(Name, train, BiasBaseline.Default(train), net, refit)
                : new DeepMfModel(Name, train, BiasBaseline.Default(train), refit);
        }

        return new DeepMfModel(Name, train, BiasBaseline.Default(train), net);
    }

    /// <summary>
    /// Trains a network on <paramref name="fit"/> for up to <paramref name="epochs"/> epochs, reporting each epoch and
    /// stopping early on <paramref name="validation"/> when it holds ratings; returns the best epoch's network (the
    /// last epoch's without validation) and that epoch's number (0 without validation).
    /// </summary>
    private (DeepMfNetwork Net, int BestEpoch) Train(RatingMatrix train, (int[] U, int[] I, float[] R) fit, (int[] U, int[] I, float[] R) validation, int epochs, Random random, TrainingOptions options)
    {
        (int[] fitU, int[] fitI, float[] fitR) = fit;
        (int[] valU, int[] valI, float[] valR) = validation;
        var net = new DeepMfNetwork(train.UserCount, train.ItemCount, Options.Factors, Options.Width, Options.Depth, Options.Residual, (float)train.GlobalMean);
        net.Initialize(random);
        var grad = new DeepMfGradient(net);
        var adamDense = new Adam(net.Dense.Length);
        // As SGD: one thread below a million ratings unless asked (the chunking keeps the result the same either way).
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Factorization.SvdTrainer.SgdThreads(options, train.Count), CancellationToken = options.CancellationToken };
        var work = new DeepMfBatch(net, Options.BatchSize);
        int[] order = [.. Enumerable.Range(0, fitU.Length)];
        var stopping = new EarlyStopping(Name, epochs, valU.Length > 0 ? Options.EarlyStoppingPatience : 0, options);
        DeepMfNetwork? best = null;
        float lr = (float)Options.LearningRate;
        float embeddingLr = (float)Options.EmbeddingLearningRate;
        int f = Options.Factors, batchStamp = 0;
        int[] userStamp = new int[train.UserCount], itemStamp = new int[train.ItemCount];
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            options.CancellationToken.ThrowIfCancellationRequested();
            random.Shuffle(order);
            double sse = 0;
            for (int start = 0; start < order.Length; start += Options.BatchSize)
            {
                int size = Math.Min(Options.BatchSize, order.Length - start);
                for (int b = 0; b < size; b++)
                {
                    int e = order[start + b];
                    work.Users[b] = fitU[e];
                    work.Items[b] = fitI[e];
                    work.Targets[b] = fitR[e];
                }

                Array.Clear(grad.Dense);
                sse += work.TrainStep(size, grad, random, (float)Options.Dropout, (float)Options.EmbeddingRegularization, parallel);
                adamDense.Step(net.Dense, grad.Dense, lr, (float)Options.WeightDecay, parallel);
                // Embeddings and biases by plain SGD on the summed (not averaged) gradient, as SVD regularises them; only
                // the rows the batch touched, each once (its gradient row is cleared for the next batch).
                float step = -embeddingLr * size;
                batchStamp++;
                for (int b = 0; b < size; b++)
                {
                    int u = work.Users[b], i = work.Items[b];
                    if (userStamp[u] != batchStamp)
                    {
                        userStamp[u] = batchStamp;
                        Step(grad.UserEmbedding.AsSpan(u * f, f), net.UserEmbedding.AsSpan(u * f, f), step);
                        net.UserBias[u] += step * grad.UserBias[u];
                        grad.UserBias[u] = 0;
                    }

                    if (itemStamp[i] != batchStamp)
                    {
                        itemStamp[i] = batchStamp;
                        Step(grad.ItemEmbedding.AsSpan(i * f, f), net.ItemEmbedding.AsSpan(i * f, f), step);
                        net.ItemBias[i] += step * grad.ItemBias[i];
                        grad.ItemBias[i] = 0;
                    }
                }
            }

            double? val = null;
            if (valU.Length > 0)
            {
                double s = 0;
                for (int e = 0; e < valU.Length; e++)
                {
                    double d = train.Scale.Clip(net.Predict(valU[e], valI[e])) - valR[e];
                    s += d * d;
                }

                val = Math.Sqrt(s / valU.Length);
            }

            embeddingLr *= (float)Options.EmbeddingLearningRateDecay;
            if (stopping.Report(epoch, Math.Sqrt(sse / Math.Max(1, fitU.Length)), val))
            {
                best = net.Clone();
            }

            if (stopping.ShouldStop)
            {
                break;
            }
        }

        return best is null ? (net, 0) : (best, stopping.BestEpoch);
    }

    /// <summary>parameters += step x gradient, then the gradient row is cleared.</summary>
    private static void Step(Span<float> gradient, Span<float> parameters, float step)
    {
        TensorPrimitives.MultiplyAdd(gradient, step, parameters, parameters);
        gradient.Clear();
    }

    private static (int[], int[], float[], int[], int[], float[]) Entries(RatingMatrix train, double fraction, Random random)
    {
        var fit = (U: new List<int>(train.Count), I: new List<int>(train.Count), R: new List<float>(train.Count));
        var val = (U: new List<int>(), I: new List<int>(), R: new List<float>());
        for (int u = 0; u < train.UserCount; u++)
        {
            ReadOnlySpan<int> items = train.ItemsOf(u);
            ReadOnlySpan<float> ratings = train.RatingsOf(u);
            for (int e = 0; e < items.Length; e++)
            {
                var target = fraction > 0 && random.NextDouble() < fraction ? val : fit;
                target.U.Add(u);
                target.I.Add(items[e]);
                target.R.Add(ratings[e]);
            }
        }

        return ([.. fit.U], [.. fit.I], [.. fit.R], [.. val.U], [.. val.I], [.. val.R]);
    }
}

/// <summary>
/// The parameters of a deep MF network. Dense parameters live in one array: per hidden layer l its weights
/// (out x in, row-major), bias, batch-norm scale and shift; then the output weights and bias. Batch normalization's
/// running mean and variance (used at inference) are kept apart, as they are not trained by gradient.
/// </summary>
internal sealed class DeepMfNetwork
{
    public DeepMfNetwork(int users, int items, int factors, int width, int depth, bool residual, float mu)
    {
        (Users, Items, Factors, Width, Depth, Residual, Mu) = (users, items, factors, width, depth, residual, mu);
        UserEmbedding = new float[users * factors];
        ItemEmbedding = new float[items * factors];
        UserBias = new float[users];
        ItemBias = new float[items];
        int offset = 0;
        LayerOffset = new int[depth];
        for (int l = 0; l < depth; l++)
        {
            LayerOffset[l] = offset;
            offset += (InputOf(l) * width) + (3 * width);
        }

        OutputOffset = offset;
        Dense = new float[offset + width + 1];
        RunningMean = new float[depth * width];
        RunningVar = new float[depth * width];
        Array.Fill(RunningVar, 1f);
    }

    public int Users { get; }

    public int Items { get; }

    public int Factors { get; }

    public int Width { get; }

    public int Depth { get; }

    public bool Residual { get; }

    public float Mu { get; }

    public float[] UserEmbedding { get; private init; }

    public float[] ItemEmbedding { get; private init; }

    public float[] UserBias { get; private init; }

    public float[] ItemBias { get; private init; }

    public float[] Dense { get; private init; }

    public float[] RunningMean { get; private init; }

    public float[] RunningVar { get; private init; }

    public int[] LayerOffset { get; }

    public int OutputOffset { get; }

    public int InputOf(int layer) => layer == 0 ? 2 * Factors : Width;

    public bool Skips(int layer) => Residual && InputOf(layer) == Width;

    public Span<float> Weights(float[] dense, int l) => dense.AsSpan(LayerOffset[l], InputOf(l) * Width);

    public Span<float> Bias(float[] dense, int l) => dense.AsSpan(LayerOffset[l] + (InputOf(l) * Width), Width);

    public Span<float> Gamma(float[] dense, int l) => dense.AsSpan(LayerOffset[l] + (InputOf(l) * Width) + Width, Width);

    public Span<float> Beta(float[] dense, int l) => dense.AsSpan(LayerOffset[l] + (InputOf(l) * Width) + (2 * Width), Width);

    public void Initialize(Random random)
    {
        for (int n = 0; n < UserEmbedding.Length; n++)
        {
            UserEmbedding[n] = (float)(random.NextDouble() - 0.5) * 0.1f;
        }

        for (int n = 0; n < ItemEmbedding.Length; n++)
        {
            ItemEmbedding[n] = (float)(random.NextDouble() - 0.5) * 0.1f;
        }

        for (int l = 0; l < Depth; l++)
        {
            // He uniform for ReLU layers.
            float limit = MathF.Sqrt(6f / InputOf(l));
            Span<float> w = Weights(Dense, l);
            for (int n = 0; n < w.Length; n++)
            {
                w[n] = (float)((random.NextDouble() * 2) - 1) * limit;
            }

            Gamma(Dense, l).Fill(1f);
        }

        float outLimit = MathF.Sqrt(6f / (Width + 1));
        for (int n = 0; n < Width; n++)
        {
            Dense[OutputOffset + n] = (float)((random.NextDouble() * 2) - 1) * outLimit * 0.1f;
        }
    }

    public DeepMfNetwork Clone() => new(Users, Items, Factors, Width, Depth, Residual, Mu)
    {
        UserEmbedding = (float[])UserEmbedding.Clone(),
        ItemEmbedding = (float[])ItemEmbedding.Clone(),
        UserBias = (float[])UserBias.Clone(),
        ItemBias = (float[])ItemBias.Clone(),
        Dense = (float[])Dense.Clone(),
        RunningMean = (float[])RunningMean.Clone(),
        RunningVar = (float[])RunningVar.Clone(),
    };

    /// <summary>The unclipped prediction at inference: running batch-norm statistics, no dropout.</summary>
    public float Predict(int u, int i)
    {
        Span<float> x = stackalloc float[Math.Max(2 * Factors, Width)];
        Span<float> y = stackalloc float[Width];
        UserEmbedding.AsSpan(u * Factors, Factors).CopyTo(x);
        ItemEmbedding.AsSpan(i * Factors, Factors).CopyTo(x[Factors..]);
        int width = 2 * Factors;
        for (int l = 0; l < Depth; l++)
        {
            InferLayer(l, x[..width], y);
            if (Skips(l))
            {
                TensorPrimitives.Add(y, x[..Width], y);
            }

            y.CopyTo(x);
            width = Width;
        }

        return Mu + UserBias[u] + ItemBias[i] + Dense[OutputOffset + Width] + TensorPrimitives.Dot(x[..Width], Dense.AsSpan(OutputOffset, Width))
            + TensorPrimitives.Dot(UserEmbedding.AsSpan(u * Factors, Factors), ItemEmbedding.AsSpan(i * Factors, Factors));
    }

    private void InferLayer(int l, ReadOnlySpan<float> x, Span<float> y)
    {
        ReadOnlySpan<float> w = Weights(Dense, l), bias = Bias(Dense, l), gamma = Gamma(Dense, l), beta = Beta(Dense, l);
        int input = InputOf(l);
        for (int o = 0; o < Width; o++)
        {
            float z = bias[o] + TensorPrimitives.Dot(w.Slice(o * input, input), x);
            float xhat = (z - RunningMean[(l * Width) + o]) / MathF.Sqrt(RunningVar[(l * Width) + o] + DeepMfBatch.Epsilon);
            y[o] = Math.Max(0f, (gamma[o] * xhat) + beta[o]);
        }
    }

    public void Write(BinaryWriter writer)
    {
        writer.Write(Factors);
        writer.Write(Width);
        writer.Write(Depth);
        writer.Write(Residual);
        writer.Write(Mu);
        ModelBinary.WriteArray<float>(writer, UserEmbedding);
        ModelBinary.WriteArray<float>(writer, ItemEmbedding);
        ModelBinary.WriteArray<float>(writer, UserBias);
        ModelBinary.WriteArray<float>(writer, ItemBias);
        ModelBinary.WriteArray<float>(writer, Dense);
        ModelBinary.WriteArray<float>(writer, RunningMean);
        ModelBinary.WriteArray<float>(writer, RunningVar);
    }

    /// <summary>Reads a network that <see cref="Write"/> wrote; <paramref name="factors"/> when the caller has read that first field already.</summary>
    public static DeepMfNetwork Read(BinaryReader reader, int users, int items, int? factors = null)
    {
        factors ??= reader.ReadInt32();
        (int width, int depth, bool residual, float mu) = (reader.ReadInt32(), reader.ReadInt32(), reader.ReadBoolean(), reader.ReadSingle());
        if (factors <= 0 || width <= 0 || depth <= 0 || factors > 1 << 12 || width > 1 << 12 || depth > 64)
        {
            throw new InvalidDataException("The deep MF shape is out of range: the model file is damaged.");
        }

        var shape = new DeepMfNetwork(users, items, factors.Value, width, depth, residual, mu);
        var net = new DeepMfNetwork(users, items, factors.Value, width, depth, residual, mu)
        {
            UserEmbedding = ModelBinary.ReadFloats(reader),
            ItemEmbedding = ModelBinary.ReadFloats(reader),
            UserBias = ModelBinary.ReadFloats(reader),
            ItemBias = ModelBinary.ReadFloats(reader),
            Dense = ModelBinary.ReadFloats(reader),
            RunningMean = ModelBinary.ReadFloats(reader),
            RunningVar = ModelBinary.ReadFloats(reader),
        };
        if (net.UserEmbedding.Length != shape.UserEmbedding.Length || net.ItemEmbedding.Length != shape.ItemEmbedding.Length
            || net.UserBias.Length != users || net.ItemBias.Length != items || net.Dense.Length != shape.Dense.Length
            || net.RunningMean.Length != shape.RunningMean.Length || net.RunningVar.Length != shape.RunningVar.Length)
        {
            throw new InvalidDataException("The deep MF arrays do not match the training matrix.");
        }

        return net;
    }
}

/// <summary>Gradients of a <see cref="DeepMfNetwork"/>'s trained parameters.</summary>
internal sealed class DeepMfGradient(DeepMfNetwork net)
{
    public float[] UserEmbedding { get; } = new float[net.UserEmbedding.Length];

    public float[] ItemEmbedding { get; } = new float[net.ItemEmbedding.Length];

    public float[] UserBias { get; } = new float[net.UserBias.Length];

    public float[] ItemBias { get; } = new float[net.ItemBias.Length];

    public float[] Dense { get; } = new float[net.Dense.Length];

    public void Clear()
    {
        Array.Clear(UserEmbedding);
        Array.Clear(ItemEmbedding);
        Array.Clear(UserBias);
        Array.Clear(ItemBias);
        Array.Clear(Dense);
    }
}

/// <summary>The activations of one training minibatch and its forward and backward passes.</summary>
internal sealed class DeepMfBatch
{
    public const float Epsilon = 1e-5f;
    private const float Momentum = 0.9f;
    private const int Chunks = 8;

    private readonly DeepMfNetwork _net;
    private readonly int _capacity;
    private readonly float[][] _input;   // per layer: B x in
    private readonly float[][] _xhat;    // per layer: B x width, normalised pre-activations
    private readonly float[][] _active;  // per layer: B x width, post-ReLU post-dropout (before the skip)
    private readonly float[][] _mask;    // per layer: B x width, dropout scale (0 or 1/keep)
    private readonly float[][] _invStd;  // per layer: width
    private readonly float[] _output;    // B x width, the last layer's output
    private readonly float[][] _chunkDense = new float[Chunks][];  // per chunk: a layer's transposed weight gradient
    private readonly float[][] _chunkBias = new float[Chunks][];
    private readonly float[][] _transposed;  // per layer: its weights transposed (in x width)
    private readonly float[] _stats;         // 2 x width: column statistics of the layer at hand
    private readonly uint[] _bits;           // B x width random draws of a dropout mask

    public DeepMfBatch(DeepMfNetwork net, int capacity)
    {
        _net = net;
        _capacity = capacity;
        int w = net.Width;
        _input = new float[net.Depth][];
        _xhat = new float[net.Depth][];
        _active = new float[net.Depth][];
        _mask = new float[net.Depth][];
        _invStd = new float[net.Depth][];
        _transposed = new float[net.Depth][];
        _stats = new float[2 * w];
        _bits = new uint[capacity * w];
        for (int l = 0; l < net.Depth; l++)
        {
            _transposed[l] = new float[net.InputOf(l) * w];
            _input[l] = new float[capacity * net.InputOf(l)];
            _xhat[l] = new float[capacity * w];
            _active[l] = new float[capacity * w];
            _mask[l] = new float[capacity * w];
            _invStd[l] = new float[w];
        }

        _output = new float[capacity * w];
        for (int c = 0; c < Chunks; c++)
        {
            _chunkDense[c] = new float[Math.Max(2 * net.Factors, w) * w];
            _chunkBias[c] = new float[w];
        }

        Users = new int[capacity];
        Items = new int[capacity];
        Targets = new float[capacity];
    }

    public int[] Users { get; }

    public int[] Items { get; }

    public float[] Targets { get; }

    /// <summary>Forward and backward over the first <paramref name="size"/> rows; adds gradients of the mean half squared error; returns the batch's squared error.</summary>
    public double TrainStep(int size, DeepMfGradient grad, Random random, float dropout, float embeddingReg, ParallelOptions parallel)
    {
        DeepMfNetwork net = _net;
        int w = net.Width, f = net.Factors;
        float keep = 1f - dropout;
        for (int b = 0; b < size; b++)
        {
            net.UserEmbedding.AsSpan(Users[b] * f, f).CopyTo(_input[0].AsSpan(b * 2 * f, f));
            net.ItemEmbedding.AsSpan(Items[b] * f, f).CopyTo(_input[0].AsSpan((b * 2 * f) + f, f));
        }

        // Dropout masks drawn in one sequence, so they depend on the seed only.
        for (int l = 0; l < net.Depth; l++)
        {
            Span<float> mask = _mask[l].AsSpan(0, size * w);
            if (dropout <= 0)
            {
                mask.Fill(1f);
                continue;
            }

            // One 32-bit draw per unit: dropped when below dropout x 2^32.
            Span<uint> bits = _bits.AsSpan(0, size * w);
            random.NextBytes(MemoryMarshal.AsBytes(bits));
            uint threshold = (uint)Math.Min(uint.MaxValue, dropout * 4294967296.0);
            for (int n = 0; n < mask.Length; n++)
            {
                mask[n] = bits[n] < threshold ? 0f : 1f / keep;
            }
        }

        // Forward.
        for (int l = 0; l < net.Depth; l++)
        {
            int input = net.InputOf(l);
            float[] x = _input[l], xhat = _xhat[l], act = _active[l], mask = _mask[l], transposed = _transposed[l];
            DenseKernels.Transpose(net.Weights(net.Dense, l), w, input, transposed);
            ForChunks(size, parallel, (from, to) =>
            {
                ReadOnlySpan<float> bias = net.Bias(net.Dense, l);
                for (int b = from; b < to; b++)
                {
                    Span<float> z = xhat.AsSpan(b * w, w);
                    bias.CopyTo(z);
                    DenseKernels.AddRowTimesMatrix(x.AsSpan(b * input, input), transposed, z);
                }
            });

            // Batch normalization over the batch (column statistics), then ReLU and dropout; row by row, vectorized.
            Span<float> gamma = net.Gamma(net.Dense, l), beta = net.Beta(net.Dense, l);
            Span<float> mean = _stats.AsSpan(0, w), var = _stats.AsSpan(w, w), inv = _invStd[l];
            mean.Clear();
            var.Clear();
            for (int b = 0; b < size; b++)
            {
                TensorPrimitives.Add(mean, xhat.AsSpan(b * w, w), mean);
            }

            TensorPrimitives.Multiply(mean, 1f / size, mean);
            for (int b = 0; b < size; b++)
            {
                Span<float> row = xhat.AsSpan(b * w, w);
                TensorPrimitives.Subtract(row, mean, row);
                TensorPrimitives.MultiplyAdd(row, row, var, var);
            }

            TensorPrimitives.Multiply(var, 1f / size, var);
            for (int o = 0; o < w; o++)
            {
                inv[o] = 1f / MathF.Sqrt(var[o] + Epsilon);
                net.RunningMean[(l * w) + o] = (Momentum * net.RunningMean[(l * w) + o]) + ((1 - Momentum) * mean[o]);
                net.RunningVar[(l * w) + o] = (Momentum * net.RunningVar[(l * w) + o]) + ((1 - Momentum) * var[o]);
            }

            for (int b = 0; b < size; b++)
            {
                Span<float> row = xhat.AsSpan(b * w, w), a = act.AsSpan(b * w, w);
                TensorPrimitives.Multiply(row, inv, row);
                TensorPrimitives.FusedMultiplyAdd(row, gamma, beta, a);
                TensorPrimitives.Max(a, 0f, a);
                TensorPrimitives.Multiply(a, mask.AsSpan(b * w, w), a);
            }

            float[] next = l + 1 < net.Depth ? _input[l + 1] : _output;
            for (int b = 0; b < size; b++)
            {
                Span<float> target = next.AsSpan(b * w, w);
                act.AsSpan(b * w, w).CopyTo(target);
                if (net.Skips(l))
                {
                    TensorPrimitives.Add(target, x.AsSpan(b * w, w), target);
                }
            }
        }

        // Output and loss: d = (pred - r) / B.
        ReadOnlySpan<float> wOut = net.Dense.AsSpan(net.OutputOffset, w);
        float bOut = net.Dense[net.OutputOffset + w];
        float[] upstream = new float[size * w];
        double sse = 0;
        for (int b = 0; b < size; b++)
        {
            int u = Users[b], i = Items[b];
            ReadOnlySpan<float> h = _output.AsSpan(b * w, w);
            ReadOnlySpan<float> pu = net.UserEmbedding.AsSpan(u * f, f), qi = net.ItemEmbedding.AsSpan(i * f, f);
            float pred = net.Mu + net.UserBias[u] + net.ItemBias[i] + bOut + TensorPrimitives.Dot(h, wOut) + TensorPrimitives.Dot(pu, qi);
            float err = pred - Targets[b];
            sse += err * err;
            float d = err / size;
            grad.UserBias[u] += d + (embeddingReg * net.UserBias[u] / size);
            grad.ItemBias[i] += d + (embeddingReg * net.ItemBias[i] / size);
            grad.Dense[net.OutputOffset + w] += d;
            TensorPrimitives.MultiplyAdd(h, d, grad.Dense.AsSpan(net.OutputOffset, w), grad.Dense.AsSpan(net.OutputOffset, w));
            TensorPrimitives.Multiply(wOut, d, upstream.AsSpan(b * w, w));

            // The factorization path p_u . q_i.
            TensorPrimitives.MultiplyAdd(qi, d, grad.UserEmbedding.AsSpan(u * f, f), grad.UserEmbedding.AsSpan(u * f, f));
            TensorPrimitives.MultiplyAdd(pu, d, grad.ItemEmbedding.AsSpan(i * f, f), grad.ItemEmbedding.AsSpan(i * f, f));
        }

        // Backward through the hidden layers; upstream holds dL/d(layer output).
        for (int l = net.Depth - 1; l >= 0; l--)
        {
            int input = net.InputOf(l);
            float[] x = _input[l], xhat = _xhat[l], mask = _mask[l], act = _active[l];
            Span<float> gamma = net.Gamma(net.Dense, l);
            Span<float> gGamma = net.Gamma(grad.Dense, l), gBeta = net.Beta(grad.Dense, l);
            Span<float> sumDxh = _stats.AsSpan(0, w), sumDxhXh = _stats.AsSpan(w, w), inv = _invStd[l];
            sumDxh.Clear();
            sumDxhXh.Clear();
            float[] dz = new float[size * w];
            for (int b = 0; b < size; b++)
            {
                // Through dropout and ReLU to dy (zero where the unit's output was zero), then dxh = dy gamma.
                Span<float> d = dz.AsSpan(b * w, w);
                ReadOnlySpan<float> xh = xhat.AsSpan(b * w, w);
                TensorPrimitives.Multiply(upstream.AsSpan(b * w, w), mask.AsSpan(b * w, w), d);
                DenseKernels.ZeroWhereZero(act.AsSpan(b * w, w), d);
                TensorPrimitives.MultiplyAdd(d, xh, gGamma, gGamma);
                TensorPrimitives.Add(gBeta, d, gBeta);
                TensorPrimitives.Multiply(d, gamma, d);
                TensorPrimitives.Add(sumDxh, d, sumDxh);
                TensorPrimitives.MultiplyAdd(d, xh, sumDxhXh, sumDxhXh);
            }

            // Batch norm: dz = inv (dxh - mean(dxh) - xh mean(dxh xh)).
            TensorPrimitives.Multiply(sumDxh, 1f / size, sumDxh);
            TensorPrimitives.Multiply(sumDxhXh, -1f / size, sumDxhXh);
            for (int b = 0; b < size; b++)
            {
                Span<float> d = dz.AsSpan(b * w, w);
                TensorPrimitives.Subtract(d, sumDxh, d);
                TensorPrimitives.MultiplyAdd(xhat.AsSpan(b * w, w), sumDxhXh, d, d);
                TensorPrimitives.Multiply(d, inv, d);
            }

            float[] dx = new float[size * input];
            ForChunks(size, parallel, (from, to, chunk) =>
            {
                // The chunk's weight gradient, transposed (in x out): gT[j, o] = sum_b x[b, j] dz[b, o].
                Span<float> gt = _chunkDense[chunk].AsSpan(0, input * w), gb = _chunkBias[chunk];
                gt.Clear();
                gb.Clear();
                DenseKernels.AddTransposedProduct(x.AsSpan(from * input, (to - from) * input), input, dz.AsSpan(from * w, (to - from) * w), w, gt);
                ReadOnlySpan<float> weights = net.Weights(net.Dense, l);
                for (int b = from; b < to; b++)
                {
                    ReadOnlySpan<float> dzb = dz.AsSpan(b * w, w);
                    TensorPrimitives.Add(gb, dzb, gb);
                    DenseKernels.AddRowTimesMatrix(dzb, weights, dx.AsSpan(b * input, input));
                }
            });
            Span<float> gw = net.Weights(grad.Dense, l);
            for (int c = 0; c < Chunks; c++)
            {
                DenseKernels.AddTransposed(_chunkDense[c].AsSpan(0, input * w), input, w, gw);
                TensorPrimitives.Add(net.Bias(grad.Dense, l), _chunkBias[c], net.Bias(grad.Dense, l));
            }

            if (net.Skips(l))
            {
                TensorPrimitives.Add(dx, upstream.AsSpan(0, size * w), dx);
            }

            upstream = dx;
        }

        // Into the embeddings, with L2 per occurrence.
        for (int b = 0; b < size; b++)
        {
            int u = Users[b], i = Items[b];
            Span<float> gu = grad.UserEmbedding.AsSpan(u * f, f), gi = grad.ItemEmbedding.AsSpan(i * f, f);
            TensorPrimitives.Add(gu, upstream.AsSpan(b * 2 * f, f), gu);
            TensorPrimitives.Add(gi, upstream.AsSpan((b * 2 * f) + f, f), gi);
            TensorPrimitives.MultiplyAdd(net.UserEmbedding.AsSpan(u * f, f), embeddingReg / size, gu, gu);
            TensorPrimitives.MultiplyAdd(net.ItemEmbedding.AsSpan(i * f, f), embeddingReg / size, gi, gi);
        }

        return sse;
    }

    private static void ForChunks(int size, ParallelOptions parallel, Action<int, int> body) =>
        ForChunks(size, parallel, (from, to, _) => body(from, to));

    private static void ForChunks(int size, ParallelOptions parallel, Action<int, int, int> body)
    {
        if (parallel.MaxDegreeOfParallelism == 1)
        {
            for (int c = 0; c < Chunks; c++)
            {
                body(c * size / Chunks, (c + 1) * size / Chunks, c);
            }

            return;
        }

        Parallel.For(0, Chunks, parallel, c => body(c * size / Chunks, (c + 1) * size / Chunks, c));
    }
}

/// <summary>A trained deep (or residual) MF network: predictions at inference (running batch-norm statistics, no dropout).</summary>
public sealed class DeepMfModel : RecommenderModel
{
    /// <summary>The stable payload kind written into model files.</summary>
    public const string Kind = "deep-mf";

    private readonly DeepMfNetwork[] _nets;

    /// <summary>A model whose prediction is the mean of <paramref name="nets"/>' predictions.</summary>
    internal DeepMfModel(string name, RatingMatrix train, BiasBaseline fallback, params DeepMfNetwork[] nets)
        : base(name, train, fallback)
    {
        if (nets.Length == 0 || nets.Any(net => net.Users != train.UserCount || net.Items != train.ItemCount))
        {
            throw new InvalidDataException("The deep MF network does not match the training matrix.");
        }

        _nets = nets;
    }

    /// <summary>Networks whose predictions are averaged.</summary>
    public int Networks => _nets.Length;

    protected internal override string FormatKind => Kind;

    /// <summary>One network is written as it always was (its first field, the factor count, is positive); several as minus their count, then each.</summary>
    protected internal override void WriteParameters(BinaryWriter writer)
    {
        if (_nets.Length > 1)
        {
            writer.Write(-_nets.Length);
        }

        foreach (DeepMfNetwork net in _nets)
        {
            net.Write(writer);
        }
    }

    internal static DeepMfModel Read(string name, BinaryReader reader, RatingMatrix train, BiasBaseline fallback)
    {
        int first = reader.ReadInt32();
        if (first >= 0)
        {
            return new(name, train, fallback, DeepMfNetwork.Read(reader, train.UserCount, train.ItemCount, first));
        }

        if (first < -64)
        {
            throw new InvalidDataException("The deep MF network count is out of range: the model file is damaged.");
        }

        var nets = new DeepMfNetwork[-first];
        for (int n = 0; n < nets.Length; n++)
        {
            nets[n] = DeepMfNetwork.Read(reader, train.UserCount, train.ItemCount);
        }

        return new(name, train, fallback, nets);
    }

    protected override float EstimateCore(int u, int i)
    {
        if (_nets.Length == 1)
        {
            return _nets[0].Predict(u, i);
        }

        float sum = 0;
        foreach (DeepMfNetwork net in _nets)
        {
            sum += net.Predict(u, i);
        }

        return sum / _nets.Length;
    }
}

/// <summary>Dense-layer kernels over row-major matrices, vectorized across a row so the accumulators stay in registers.</summary>
internal static class DenseKernels
{
    /// <summary>z += x M for a row x (length n) and M (n x z.Length, row-major); rows of M where x is 0 are skipped (ReLU and dropout zeros).</summary>
    public static void AddRowTimesMatrix(ReadOnlySpan<float> x, ReadOnlySpan<float> m, Span<float> z)
    {
        int n = x.Length, width = z.Length, lanes = Vector<float>.Count, o = 0;
        if (m.Length < n * width)
        {
            throw new ArgumentException("The matrix is smaller than x.Length x z.Length.", nameof(m));
        }

        ref float mr = ref MemoryMarshal.GetReference(m);
        ref float zr = ref MemoryMarshal.GetReference(z);
        for (; o + (4 * lanes) <= width; o += 4 * lanes)
        {
            Vector<float> a0 = Vector.LoadUnsafe(ref zr, (nuint)o), a1 = Vector.LoadUnsafe(ref zr, (nuint)(o + lanes));
            Vector<float> a2 = Vector.LoadUnsafe(ref zr, (nuint)(o + (2 * lanes))), a3 = Vector.LoadUnsafe(ref zr, (nuint)(o + (3 * lanes)));
            for (int j = 0; j < n; j++)
            {
                float xj = x[j];
                if (xj == 0f)
                {
                    continue;
                }

                var s = new Vector<float>(xj);
                nuint at = (nuint)((j * width) + o);
                a0 = Vector.FusedMultiplyAdd(s, Vector.LoadUnsafe(ref mr, at), a0);
                a1 = Vector.FusedMultiplyAdd(s, Vector.LoadUnsafe(ref mr, at + (nuint)lanes), a1);
                a2 = Vector.FusedMultiplyAdd(s, Vector.LoadUnsafe(ref mr, at + (nuint)(2 * lanes)), a2);
                a3 = Vector.FusedMultiplyAdd(s, Vector.LoadUnsafe(ref mr, at + (nuint)(3 * lanes)), a3);
            }

            a0.StoreUnsafe(ref zr, (nuint)o);
            a1.StoreUnsafe(ref zr, (nuint)(o + lanes));
            a2.StoreUnsafe(ref zr, (nuint)(o + (2 * lanes)));
            a3.StoreUnsafe(ref zr, (nuint)(o + (3 * lanes)));
        }

        for (; o + lanes <= width; o += lanes)
        {
            Vector<float> a = Vector.LoadUnsafe(ref zr, (nuint)o);
            for (int j = 0; j < n; j++)
            {
                if (x[j] != 0f)
                {
                    a = Vector.FusedMultiplyAdd(new Vector<float>(x[j]), Vector.LoadUnsafe(ref mr, (nuint)((j * width) + o)), a);
                }
            }

            a.StoreUnsafe(ref zr, (nuint)o);
        }

        for (; o < width; o++)
        {
            float a = z[o];
            for (int j = 0; j < n; j++)
            {
                a += x[j] * m[(j * width) + o];
            }

            z[o] = a;
        }
    }

    /// <summary>g += X^T D for X (rows x n, row-major) and D (rows x width): g (n x width) is the transposed weight gradient.</summary>
    public static void AddTransposedProduct(ReadOnlySpan<float> x, int n, ReadOnlySpan<float> d, int width, Span<float> g)
    {
        int rows = x.Length / n;
        if (d.Length < rows * width || g.Length < n * width)
        {
            throw new ArgumentException("The shapes of X, D and g do not agree.");
        }

        for (int j = 0; j < n; j++)
        {
            Span<float> gj = g.Slice(j * width, width);
            for (int b = 0; b < rows; b++)
            {
                float xbj = x[(b * n) + j];
                if (xbj != 0f)
                {
                    AddScaled(d.Slice(b * width, width), xbj, gj);
                }
            }
        }
    }

    /// <summary>Sets v[n] to 0 wherever gate[n] is 0.</summary>
    public static void ZeroWhereZero(ReadOnlySpan<float> gate, Span<float> v)
    {
        int lanes = Vector<float>.Count, o = 0;
        ref float gr = ref MemoryMarshal.GetReference(gate);
        ref float vr = ref MemoryMarshal.GetReference(v);
        for (; o + lanes <= v.Length; o += lanes)
        {
            Vector<float> g = Vector.LoadUnsafe(ref gr, (nuint)o);
            Vector.ConditionalSelect(Vector.Equals(g, Vector<float>.Zero), Vector<float>.Zero, Vector.LoadUnsafe(ref vr, (nuint)o)).StoreUnsafe(ref vr, (nuint)o);
        }

        for (; o < v.Length; o++)
        {
            if (gate[o] == 0f)
            {
                v[o] = 0f;
            }
        }
    }

    /// <summary>Adds the transpose of t (rows x cols) to m (cols x rows).</summary>
    public static void AddTransposed(ReadOnlySpan<float> t, int rows, int cols, Span<float> m)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                m[(c * rows) + r] += t[(r * cols) + c];
            }
        }
    }

    /// <summary>t = m^T for m (rows x cols).</summary>
    public static void Transpose(ReadOnlySpan<float> m, int rows, int cols, Span<float> t)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                t[(c * rows) + r] = m[(r * cols) + c];
            }
        }
    }

    private static void AddScaled(ReadOnlySpan<float> v, float s, Span<float> target)
    {
        int lanes = Vector<float>.Count, o = 0;
        ref float vr = ref MemoryMarshal.GetReference(v);
        ref float tr = ref MemoryMarshal.GetReference(target);
        var sv = new Vector<float>(s);
        for (; o + lanes <= v.Length; o += lanes)
        {
            Vector.FusedMultiplyAdd(sv, Vector.LoadUnsafe(ref vr, (nuint)o), Vector.LoadUnsafe(ref tr, (nuint)o)).StoreUnsafe(ref tr, (nuint)o);
        }

        for (; o < v.Length; o++)
        {
            target[o] += s * v[o];
        }
    }
}
