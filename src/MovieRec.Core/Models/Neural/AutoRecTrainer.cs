using System.Collections.Concurrent;
using System.Numerics.Tensors;
using MovieRec.Core.Data;

namespace MovieRec.Core.Models.Neural;

/// <summary>
/// Options of <see cref="AutoRecTrainer"/>. The defaults (full-batch L-BFGS, 150 units, L2 50, raw-rating input with a
/// residual target, leave-one-out training, the validated and refit networks averaged) were picked on 10% of each of
/// ml-100k u1.base..u5.base and ml-latest-small fold1..5.train held out as a test (the models fitted on the other 90%,
/// the test folds never read): mean RMSE 0.8907 / 0.8204 against 0.9124 on ml-100k (ml-latest-small fold 1 0.8120 vs
/// 0.8369) for the Adam setup below. On the same holdouts, L-BFGS on raw ratings without leave one out reached 0.8996 on
/// ml-100k but 0.913 on ml-latest-small fold 1, where most movies have few ratings and the network learns to copy its
/// input; leave one out fixed that. 250 units 0.8890 / 0.8211 at about twice the time; L2 25 / 70 / 100 worse on fold 1;
/// 3 members 0.8871 / 0.8203 at three times the time. Adam's own options were tuned earlier on 5% of the same
/// ml-100k splits: learning rate 0.016 x0.95, batches of 256 movies, input dropout 0.5, L2 20, 5 members, 100 units
/// (Adam with the residual input, implicit input and refit: 0.9124 on the 10% holdouts).
/// </summary>
public sealed record AutoRecOptions
{
    /// <summary>Units of the sigmoid hidden layer.</summary>
    [Option("units of the sigmoid hidden layer", Min = 1, Max = 10000, TuneMin = 20, TuneMax = 500, LogScale = true)]
    public int Hidden { get; init; } = 150;

    /// <summary>Adam's passes over the movies, or L-BFGS iterations (at most: early stopping usually ends sooner).</summary>
    [Option("passes over the movies (Adam) or iterations (L-BFGS), at most", Min = 1, Max = 10000, TuneMin = 10, TuneMax = 300, Budget = true)]
    public int Epochs { get; init; } = 300;

    /// <summary>Adam's step size.</summary>
    [Option("Adam's step size (adam)", Min = 0, MinExclusive = true, Max = 1, TuneMin = 0.0001, TuneMax = 0.01, LogScale = true)]
    public double LearningRate { get; init; } = 0.016;

    /// <summary>Multiplies <see cref="LearningRate"/> after every epoch.</summary>
    [Option("learning rate multiplier per epoch (adam)", Min = 0, MinExclusive = true, Max = 1)]
    public double LearningRateDecay { get; init; } = 0.95;

    /// <summary>L2 penalty on both weight matrices, per epoch (lambda/2 ||W||^2 against the sum of squared errors).</summary>
    [Option("L2 penalty on both weight matrices", Min = 0, Max = 1e6, TuneMin = 1, TuneMax = 200, LogScale = true)]
    public double Regularization { get; init; } = 50;

    /// <summary>Movies per minibatch.</summary>
    [Option("movies per minibatch (adam)", Min = 1, Max = 100000)]
    public int BatchSize { get; init; } = 256;

    /// <summary>Share of the training ratings held out to report validation RMSE and stop early (0: none, run every epoch).</summary>
    [Option("share of the training ratings held out for validation RMSE and early stopping (0: none)", Min = 0, Max = 0.9)]
    public double ValidationFraction { get; init; } = 0.05;

    /// <summary>Stop after this many epochs without a better validation RMSE and keep the best epoch (0: never stop early).</summary>
    [Option("stop after this many epochs without a better validation RMSE (0: never)", Min = 0, Max = 10000)]
    public int EarlyStoppingPatience { get; init; } = 20;

    /// <summary>
    /// Share of a movie's input ratings dropped in each training pass (the survivors scaled by 1/(1 - p)); the loss still
    /// counts every observed rating, so the network learns to predict ratings it does not see, as at test time.
    /// </summary>
    [Option("share of a movie's input ratings dropped in training (denoising; adam without leaveOneOut); the loss counts all of them", Min = 0, Max = 0.95, TuneMin = 0, TuneMax = 0.8)]
    public double InputDropout { get; init; } = 0.5;

    /// <summary>Networks trained side by side from different seeds whose predictions are averaged.</summary>
    [Option("networks trained from different seeds whose predictions are averaged", Min = 1, Max = 64)]
    public int Members { get; init; } = 1;

    /// <summary>
    /// After early stopping on the held-out ratings, train again on all the training ratings for the best epoch count
    /// (about twice the fit time); off: keep the best epoch's networks, fitted without the held-out ratings.
    /// </summary>
    [Option("after early stopping, train again on all ratings for the best epoch count")]
    public bool Refit { get; init; } = true;

    /// <summary>With <see cref="Refit"/>, average the refit members and the validated run's best-epoch members (twice the networks at no extra training cost).</summary>
    [Option("with refit, also average the validated run's best-epoch members with the refit ones")]
    public bool AverageValidated { get; init; } = true;

    /// <summary>
    /// Also feed the encoder who rated the movie: |N(i)|^-1/2 sum over its raters of a learned vector Y_u (as SVD++
    /// adds implicit feedback to SVD); dropped with the rating under input dropout, L2 as V.
    /// </summary>
    [Option("also encode who rated the movie (an implicit input, as SVD++)")]
    public bool ImplicitInput { get; init; } = true;

    /// <summary>How the networks are trained: Adam over minibatches of movies, or full-batch L-BFGS as the AutoRec paper (an epoch is then one L-BFGS iteration).</summary>
    [Option("adam: minibatches of movies; lbfgs: full-batch L-BFGS as the AutoRec paper (an epoch is one iteration)")]
    public AutoRecOptimizer Optimizer { get; init; } = AutoRecOptimizer.Lbfgs;

    /// <summary>Steps L-BFGS remembers for its curvature estimate.</summary>
    [Option("steps L-BFGS remembers for its curvature estimate", Min = 1, Max = 100)]
    public int History { get; init; } = 10;

    /// <summary>Encode baseline residuals r_ui - b_ui; off: raw ratings as the AutoRec paper (unrated inputs 0).</summary>
    [Option("encode residuals from the bias baseline; off: raw ratings as the AutoRec paper")]
    public bool ResidualInput { get; init; }

    /// <summary>
    /// Decode baseline residuals (the baseline b_ui added back to the output); off: raw ratings as the AutoRec paper
    /// (outputs c_u + W_u . h_i).
    /// </summary>
    [Option("decode residuals from the bias baseline (b_ui added back); off: raw ratings as the AutoRec paper")]
    public bool ResidualTarget { get; init; } = true;

    /// <summary>
    /// Predict each training rating from its movie's other ratings only (the code less that rating's own input), so the
    /// network cannot learn to copy its input; replaces <see cref="InputDropout"/>.
    /// </summary>
    [Option("predict each training rating from the movie's other ratings only (leave one out; replaces input dropout)")]
    public bool LeaveOneOut { get; init; } = true;

    [Option("random seed of initialisation, batches and the validation split", Min = 0, Max = int.MaxValue)]
    public int Seed { get; init; } = 42;

    /// <summary>From this many training ratings up, the registry's <c>autorec</c> (and the hybrid's autorec base) trains with Adam.</summary>
    public const int LargeRatings = 5_000_000;

    /// <summary>
    /// The registry's size-scaled defaults for <c>autorec</c>: the declared defaults (full-batch L-BFGS) below
    /// <see cref="LargeRatings"/>; from there on <see cref="AutoRecOptimizer.Adam"/>, since L-BFGS holds about 25
    /// copies of the parameters (users x hidden x 3 floats each: about 7.3 GB for ml-25m's 162,541 users) and Adam
    /// about four (parameters, gradient and two moments). Options the user sets win.
    /// </summary>
    public static IReadOnlyDictionary<string, object> ForRatings(int ratings) =>
        ratings < LargeRatings ? new Dictionary<string, object>() : new Dictionary<string, object> { ["optimizer"] = AutoRecOptimizer.Adam };

    public AutoRecOptions Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Hidden, nameof(Hidden));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Epochs, nameof(Epochs));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Members, nameof(Members));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(History, nameof(History));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(LearningRate, nameof(LearningRate));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(LearningRateDecay, nameof(LearningRateDecay));
        ArgumentOutOfRangeException.ThrowIfNegative(Regularization, nameof(Regularization));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(BatchSize, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfNegative(EarlyStoppingPatience, nameof(EarlyStoppingPatience));
        if (ResidualInput && !ResidualTarget)
        {
            throw new ArgumentException("AutoRec cannot encode residuals and decode raw ratings: turn residualInput off too, or residualTarget on.", nameof(ResidualTarget));
        }

        if (InputDropout is < 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(InputDropout), InputDropout, "Must be in [0, 1).");
        }

        if (ValidationFraction is < 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(ValidationFraction), ValidationFraction, "Must be in [0, 1).");
        }

        return this;
    }
}

/// <summary>How <see cref="AutoRecTrainer"/> fits its networks.</summary>
public enum AutoRecOptimizer
{
    /// <summary>Adam over minibatches of movies, with input dropout.</summary>
    Adam,

    /// <summary>Full-batch L-BFGS (no dropout), as the AutoRec paper.</summary>
    Lbfgs,
}

/// <summary>
/// Item-based AutoRec (Sedhain et al. 2015): each movie's vector of user ratings r_i is encoded to
/// h_i = sigmoid(V r_i + b) and decoded to r^_ui = W_u . h_i + c_u; the loss counts observed ratings only, plus L2 on
/// V and W. By default the input is the raw ratings (unrated 0) and the target the residual from the bias baseline
/// (b_ui added back out), each rating is predicted from its movie's other ratings only (leave one out), and the whole
/// objective is minimised by full-batch L-BFGS, as the paper trains it (<see cref="AutoRecLbfgs"/>); Adam over
/// minibatches of movies with input dropout is the other optimizer. Forward and backward passes touch only a movie's
/// observed ratings, so an epoch costs O(ratings x hidden), never users x movies. Gradients are summed over fixed
/// per-thread shares of the movies in thread order, so a seed and thread count give one result.
/// </summary>
public sealed class AutoRecTrainer(AutoRecOptions? options = null) : IRecommenderTrainer
{
    public const string ModelName = "autorec";

    public AutoRecOptions Options { get; } = (options ?? new AutoRecOptions()).Validate();

    public string Name => ModelName;

    public IRecommenderModel Fit(RatingMatrix train, TrainingOptions? options = null)
    {
        options ??= TrainingOptions.Default;
        int users = train.UserCount, items = train.ItemCount, k = Options.Hidden, members = Options.Members;
        var random = new Random(Options.Seed);
        BiasBaseline baseline = BiasBaseline.Default(train);
        BiasBaseline? targetBaseline = Options.ResidualTarget ? baseline : null;
        (ItemColumns fit, ItemColumns validation) = ItemColumns.Split(train, targetBaseline, Options.ValidationFraction, random, !Options.ResidualInput);
        ItemColumns all = ItemColumns.Split(train, targetBaseline, 0, random, !Options.ResidualInput).Fit;

        // As SGD: one thread below a million ratings unless asked, since per-batch barriers cost more than they save there.
        int threads = Math.Max(1, Math.Min(Factorization.SvdTrainer.SgdThreads(options, train.Count), Options.BatchSize));
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = options.CancellationToken };
        (AutoRecNetwork[] final, int bestEpoch) = Train(train, fit, validation, Options.Epochs, random, options, parallel);
        if (Options.Refit && validation.Count > 0 && bestEpoch > 0)
        {
            // The held-out ratings only chose the epoch count: train again on all of them for that many epochs (the
            // curve keeps the validated run; the refit reports no epochs).
            (AutoRecNetwork[] refit, _) = Train(train, all, ItemColumns.Empty(items), bestEpoch, new Random(Options.Seed), options with { Progress = null }, parallel);
            final = Options.AverageValidated ? [.. final, .. refit] : refit;
        }

        members = final.Length;

        // The average of the members' predictions is one AutoRec model over their concatenated codes: decoder rows
        // [W_u^1 .. W_u^M] / M, user bias the mean c_u. On raw ratings the model still adds b_ui = mu + b_u + b_i, so
        // one more code column holds b_i with decoder weight -1 and the user bias takes off mu + b_u.
        int width = (k * members) + (Options.ResidualTarget ? 0 : 1);
        float[] decoder = new float[users * width], userBias = new float[users], codes = new float[items * width];
        for (int m = 0; m < members; m++)
        {
            float[] memberCodes = final[m].Encode(all, items, parallel);
            for (int u = 0; u < users; u++)
            {
                TensorPrimitives.Multiply(final[m].W.AsSpan(u * k, k), 1f / members, decoder.AsSpan((u * width) + (m * k), k));
            }

            for (int i = 0; i < items; i++)
            {
                memberCodes.AsSpan(i * k, k).CopyTo(codes.AsSpan((i * width) + (m * k), k));
            }

            TensorPrimitives.MultiplyAdd(final[m].C, 1f / members, userBias, userBias);
        }

        if (!Options.ResidualTarget)
        {
            for (int u = 0; u < users; u++)
            {
                decoder[(u * width) + width - 1] = -1f;
                userBias[u] -= (float)baseline.GlobalMean + baseline.UserBias[u];
            }

            for (int i = 0; i < items; i++)
            {
                codes[(i * width) + width - 1] = baseline.ItemBias[i];
            }
        }

        return new AutoRecModel(train, baseline, width, decoder, userBias, codes);
    }

    /// <summary>
    /// Trains the members in lockstep on <paramref name="fit"/> for up to <paramref name="epochs"/> epochs, reporting
    /// each epoch and stopping early on <paramref name="validation"/> when it holds ratings; returns the best epoch's
    /// members (the last epoch's without validation) and that epoch's number (0 without validation).
    /// </summary>
    private (AutoRecNetwork[] Members, int BestEpoch) Train(RatingMatrix train, ItemColumns fit, ItemColumns validation, int epochs, Random random, TrainingOptions options, ParallelOptions parallel)
    {
        if (Options.Optimizer == AutoRecOptimizer.Lbfgs)
        {
            return TrainLbfgs(train, fit, validation, epochs, options, parallel);
        }

        int users = train.UserCount, items = train.ItemCount, k = Options.Hidden, members = Options.Members;
        int threads = parallel.MaxDegreeOfParallelism;
        var gradients = new AutoRecNetwork[threads];
        for (int t = 0; t < threads; t++)
        {
            gradients[t] = new AutoRecNetwork(users, k, Options.ImplicitInput);
        }

        // The members train in lockstep, each from its own initialisation, batch order and dropout masks; every epoch
        // reports (and early stopping watches) the validation RMSE of their averaged prediction.
        var nets = new AutoRecNetwork[members];
        var adams = new Adam[members][];
        var orders = new int[members][];
        var randoms = new Random[members];
        for (int m = 0; m < members; m++)
        {
            randoms[m] = m == 0 ? random : new Random(MemberSeed(Options.Seed, m));
            nets[m] = new AutoRecNetwork(users, k, Options.ImplicitInput);
            nets[m].Initialize(randoms[m]);
            adams[m] = [new Adam(nets[m].V.Length), new Adam(nets[m].W.Length), new Adam(nets[m].B.Length), new Adam(nets[m].C.Length), new Adam(nets[m].Y.Length)];
            orders[m] = [.. Enumerable.Range(0, items)];
        }

        var stopping = new EarlyStopping(Name, epochs, validation.Count > 0 ? Options.EarlyStoppingPatience : 0, options);
        AutoRecNetwork[]? best = null;
        double[] sse = new double[threads];
        float dropout = (float)Options.InputDropout;
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            options.CancellationToken.ThrowIfCancellationRequested();
            double trainSse = 0;
            float lr = (float)(Options.LearningRate * Math.Pow(Options.LearningRateDecay, epoch));
            for (int m = 0; m < members; m++)
            {
                AutoRecNetwork net = nets[m];
                int[] order = orders[m];
                int maskSeed = m == 0 ? Options.Seed : MemberSeed(Options.Seed, m);
                randoms[m].Shuffle(order);
                Array.Clear(sse);
                for (int start = 0; start < items; start += Options.BatchSize)
                {
                    int size = Math.Min(Options.BatchSize, items - start);
                    float l2 = (float)(Options.Regularization * size / items);
                    int e = epoch;
                    Parallel.For(0, threads, parallel, t =>
                    {
                        AutoRecNetwork g = gradients[t];
                        g.Clear();
                        float[] h = new float[k], dh = new float[k];
                        LeaveOneOutBuffers? loo = Options.LeaveOneOut ? new LeaveOneOutBuffers(k) : null;
                        for (int b = start + (t * size / threads); b < start + ((t + 1) * size / threads); b++)
                        {
                            sse[t] += loo is null
                                ? net.Backward(fit, order[b], g, h, dh, dropout, MaskSeed(maskSeed, e, order[b]))
                                : net.BackwardLeaveOneOut(fit, order[b], g, loo);
                        }
                    });
                    for (int t = 1; t < threads; t++)
                    {
                        gradients[0].Add(gradients[t], parallel);
                    }

                    adams[m][0].Step(net.V, gradients[0].V, lr, l2, parallel);
                    adams[m][1].Step(net.W, gradients[0].W, lr, l2, parallel);
                    adams[m][2].Step(net.B, gradients[0].B, lr, 0, parallel);
                    adams[m][3].Step(net.C, gradients[0].C, lr, 0, parallel);
                    if (net.Y.Length > 0)
                    {
                        adams[m][4].Step(net.Y, gradients[0].Y, lr, l2, parallel);
                    }
                }

                trainSse += sse.Sum();
            }

            double trainRmse = Math.Sqrt(trainSse / Math.Max(1, (long)fit.Count * members));
            double? valRmse = validation.Count > 0 ? AutoRecNetwork.Rmse(nets, fit, validation, train.Scale, parallel) : null;
            if (stopping.Report(epoch, trainRmse, valRmse))
            {
                best = [.. nets.Select(n => n.Clone())];
            }

            if (stopping.ShouldStop)
            {
                break;
            }
        }

        return best is null ? (nets, 0) : (best, stopping.BestEpoch);
    }

    /// <summary>
    /// As <see cref="Train"/> with full-batch L-BFGS: each epoch is one L-BFGS iteration of every member (each from its
    /// own initialisation), on the whole of <paramref name="fit"/>.
    /// </summary>
    private (AutoRecNetwork[] Members, int BestEpoch) TrainLbfgs(RatingMatrix train, ItemColumns fit, ItemColumns validation, int epochs, TrainingOptions options, ParallelOptions parallel)
    {
        int users = train.UserCount, k = Options.Hidden, members = Options.Members;
        var perThread = new AutoRecNetwork[parallel.MaxDegreeOfParallelism];
        for (int t = 0; t < perThread.Length; t++)
        {
            perThread[t] = new AutoRecNetwork(users, k, Options.ImplicitInput);
        }

        var solvers = new AutoRecLbfgs[members];
        for (int m = 0; m < members; m++)
        {
            var net = new AutoRecNetwork(users, k, Options.ImplicitInput);
            net.Initialize(new Random(m == 0 ? Options.Seed : MemberSeed(Options.Seed, m)));
            solvers[m] = new AutoRecLbfgs(net, fit, (float)Options.Regularization, Options.History, perThread, parallel, Options.LeaveOneOut);
        }

        var stopping = new EarlyStopping(Name, epochs, validation.Count > 0 ? Options.EarlyStoppingPatience : 0, options);
        AutoRecNetwork[]? best = null;
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            options.CancellationToken.ThrowIfCancellationRequested();
            double sse = 0;
            bool moving = false;
            foreach (AutoRecLbfgs solver in solvers)
            {
                solver.Step();
                sse += solver.SquaredError;
                moving |= solver.Moving;
            }

            AutoRecNetwork[] nets = [.. solvers.Select(s => s.Parameters)];
            double trainRmse = Math.Sqrt(sse / Math.Max(1, (long)fit.Count * members));
            double? valRmse = validation.Count > 0 ? AutoRecNetwork.Rmse(nets, fit, validation, train.Scale, parallel) : null;
            if (stopping.Report(epoch, trainRmse, valRmse))
            {
                best = [.. nets.Select(n => n.Clone())];
            }

            if (stopping.ShouldStop || !moving)
            {
                break;
            }
        }

        return best is null ? ([.. solvers.Select(s => s.Parameters)], 0) : (best, stopping.BestEpoch);
    }

    /// <summary>The seed of member m (m above 0) of an ensemble whose options' seed is <paramref name="seed"/>; member 0 uses the options' seed.</summary>
    internal static int MemberSeed(int seed, int member) => MaskSeed(seed, -1, member);

    /// <summary>The seed of movie i's input dropout mask in an epoch: a hash of the member's seed, the epoch and the movie, so masks do not depend on which thread draws them.</summary>
    private static int MaskSeed(int seed, int epoch, int item)
    {
        // SplitMix64 finalizer (HashCode is randomized per process, so it would not repeat across runs).
        ulong z = ((ulong)(uint)seed << 32) ^ ((ulong)(uint)epoch << 20) ^ (uint)item;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (int)((z ^ (z >> 31)) & int.MaxValue);
    }
}

/// <summary>
/// Each movie's (user, residual) entries as a column-major CSR, split into fitted and held-out entries; a residual
/// is the rating minus the baseline b_ui, which <see cref="Baselines"/> holds per entry. <see cref="Inputs"/> is what
/// the encoder reads of each entry: the same residual, or the raw rating.
/// </summary>
internal sealed class ItemColumns(int[] start, int[] users, float[] values, float[] baselines, float[]? inputs = null)
{
    public float[] Baselines { get; } = baselines;

    /// <summary>The encoder's input of each entry (<see cref="Values"/> unless the input is raw and the target a residual).</summary>
    public float[] Inputs { get; } = inputs ?? values;

    public int[] Start { get; } = start;

    public int[] Users { get; } = users;

    public float[] Values { get; } = values;

    public int Count => Users.Length;

    /// <summary>No entries for any of <paramref name="items"/> movies.</summary>
    public static ItemColumns Empty(int items) => new(new int[items + 1], [], [], []);

    /// <summary>
    /// Splits the ratings; a null <paramref name="baseline"/> keeps raw ratings as targets (baselines 0), and
    /// <paramref name="rawInput"/> feeds the encoder raw ratings whatever the targets.
    /// </summary>
    public static (ItemColumns Fit, ItemColumns Validation) Split(RatingMatrix train, BiasBaseline? baseline, double fraction, Random random, bool rawInput = false)
    {
        bool separate = rawInput && baseline is not null;
        var fitInputs = new List<float>(separate ? train.Count : 0);
        var valInputs = new List<float>();
        int items = train.ItemCount;
        int[] fitStart = new int[items + 1], valStart = new int[items + 1];
        var fitUsers = new List<int>(train.Count);
        var fitValues = new List<float>(train.Count);
        var valUsers = new List<int>();
        var valValues = new List<float>();
        var fitBase = new List<float>(train.Count);
        var valBase = new List<float>();
        for (int i = 0; i < items; i++)
        {
            ReadOnlySpan<int> us = train.UsersOf(i);
            ReadOnlySpan<float> rs = train.RatingsOfItem(i);
            for (int e = 0; e < us.Length; e++)
            {
                // A movie keeps at least one fitted rating, so every movie has a code.
                bool hold = fraction > 0 && random.NextDouble() < fraction && us.Length > 1 && e > 0;
                float b = baseline?.Estimate(us[e], i) ?? 0f;
                (hold ? valUsers : fitUsers).Add(us[e]);
                (hold ? valValues : fitValues).Add(rs[e] - b);
                (hold ? valBase : fitBase).Add(b);
                if (separate)
                {
                    (hold ? valInputs : fitInputs).Add(rs[e]);
                }
            }

            fitStart[i + 1] = fitUsers.Count;
            valStart[i + 1] = valUsers.Count;
        }

        return (new ItemColumns(fitStart, [.. fitUsers], [.. fitValues], [.. fitBase], separate ? [.. fitInputs] : null),
            new ItemColumns(valStart, [.. valUsers], [.. valValues], [.. valBase], separate ? [.. valInputs] : null));
    }
}

/// <summary>AutoRec's parameters (V and W are users x hidden, row-major: row u is what user u's rating feeds in and gets out), or their gradients.</summary>
internal sealed class AutoRecNetwork
{
    public AutoRecNetwork(int users, int hidden, bool implicitInput = false)
    {
        Users = users;
        Hidden = hidden;
        V = new float[users * hidden];
        Y = implicitInput ? new float[users * hidden] : [];
        W = new float[users * hidden];
        B = new float[hidden];
        C = new float[users];
    }

    public int Users { get; }

    public int Hidden { get; }

    public float[] V { get; }

    /// <summary>
    /// The implicit input's weights (users x hidden, or empty without it): a movie's code also adds
    /// |N(i)|^-1/2 sum over the users who rated it of Y_u, who rated it as well as how (as SVD++ adds to SVD).
    /// </summary>
    public float[] Y { get; }

    public float[] W { get; }

    public float[] B { get; }

    public float[] C { get; }

    public void Initialize(Random random)
    {
        // Glorot uniform for both layers (fan in + fan out = users + hidden).
        float limit = MathF.Sqrt(6f / (Users + Hidden));
        for (int n = 0; n < V.Length; n++)
        {
            V[n] = (float)((random.NextDouble() * 2) - 1) * limit;
        }

        for (int n = 0; n < W.Length; n++)
        {
            W[n] = (float)((random.NextDouble() * 2) - 1) * limit;
        }

        for (int n = 0; n < Y.Length; n++)
        {
            Y[n] = (float)((random.NextDouble() * 2) - 1) * limit;
        }
    }

    public AutoRecNetwork Clone()
    {
        var copy = new AutoRecNetwork(Users, Hidden, Y.Length > 0);
        V.CopyTo(copy.V, 0);
        Y.CopyTo(copy.Y, 0);
        W.CopyTo(copy.W, 0);
        B.CopyTo(copy.B, 0);
        C.CopyTo(copy.C, 0);
        return copy;
    }

    /// <summary>The L2-penalised arrays (V, W and Y).</summary>
    public IEnumerable<float[]> Weights => [V, W, Y];

    /// <summary>Every parameter array, in a fixed order.</summary>
    private float[][] Arrays => [V, Y, W, B, C];

    /// <summary>The dot product of two parameter sets, summed in double over fixed blocks.</summary>
    public static double Dot(AutoRecNetwork a, AutoRecNetwork b)
    {
        double sum = 0;
        float[][] x = a.Arrays, y = b.Arrays;
        for (int n = 0; n < x.Length; n++)
        {
            sum += Dot(x[n], y[n]);
        }

        return sum;
    }

    /// <summary>x . y summed in double over blocks of 4,096 (a float sum over a million entries loses digits L-BFGS needs).</summary>
    public static double Dot(float[] x, float[] y)
    {
        double sum = 0;
        for (int from = 0; from < x.Length; from += 4096)
        {
            int length = Math.Min(4096, x.Length - from);
            sum += TensorPrimitives.Dot(x.AsSpan(from, length), y.AsSpan(from, length));
        }

        return sum;
    }

    /// <summary>this = alpha other (other may be this).</summary>
    public void SetScaled(double alpha, AutoRecNetwork other)
    {
        float[][] to = Arrays, from = other.Arrays;
        for (int n = 0; n < to.Length; n++)
        {
            TensorPrimitives.Multiply(from[n], (float)alpha, to[n]);
        }
    }

    /// <summary>this += alpha other.</summary>
    public void AddScaled(double alpha, AutoRecNetwork other)
    {
        float[][] to = Arrays, from = other.Arrays;
        for (int n = 0; n < to.Length; n++)
        {
            TensorPrimitives.MultiplyAdd(from[n], (float)alpha, to[n], to[n]);
        }
    }

    /// <summary>this = x + t d.</summary>
    public void SetSum(AutoRecNetwork x, double t, AutoRecNetwork d)
    {
        float[][] to = Arrays, a = x.Arrays, b = d.Arrays;
        for (int n = 0; n < to.Length; n++)
        {
            TensorPrimitives.MultiplyAdd(b[n], (float)t, a[n], to[n]);
        }
    }

    /// <summary>this = a - b.</summary>
    public void SetDifference(AutoRecNetwork a, AutoRecNetwork b)
    {
        float[][] to = Arrays, x = a.Arrays, y = b.Arrays;
        for (int n = 0; n < to.Length; n++)
        {
            TensorPrimitives.Subtract(x[n], y[n], to[n]);
        }
    }

    public void Clear()
    {
        Array.Clear(V);
        Array.Clear(Y);
        Array.Clear(W);
        Array.Clear(B);
        Array.Clear(C);
    }

    public void Add(AutoRecNetwork other, ParallelOptions parallel)
    {
        Parallel.ForEach(Partitioner.Create(0, Users, Math.Max(1, Users / 16)), parallel, range =>
        {
            int from = range.Item1 * Hidden, length = (range.Item2 - range.Item1) * Hidden;
            TensorPrimitives.Add(V.AsSpan(from, length), other.V.AsSpan(from, length), V.AsSpan(from, length));
            TensorPrimitives.Add(W.AsSpan(from, length), other.W.AsSpan(from, length), W.AsSpan(from, length));
            if (Y.Length > 0)
            {
                TensorPrimitives.Add(Y.AsSpan(from, length), other.Y.AsSpan(from, length), Y.AsSpan(from, length));
            }
        });
        TensorPrimitives.Add(B, other.B, B);
        TensorPrimitives.Add(C, other.C, C);
    }

    /// <summary>h = sigmoid(b + sum_u r_u V_u [+ |N(i)|^-1/2 sum_u Y_u]) over the movie's entries in <paramref name="input"/>.</summary>
    public void EncodeItem(ItemColumns input, int i, Span<float> h)
    {
        B.CopyTo(h);
        int from = input.Start[i], to = input.Start[i + 1];
        float c = Y.Length > 0 && to > from ? 1f / MathF.Sqrt(to - from) : 0f;
        for (int e = from; e < to; e++)
        {
            TensorPrimitives.MultiplyAdd(V.AsSpan(input.Users[e] * Hidden, Hidden), input.Inputs[e], h, h);
            if (c != 0f)
            {
                TensorPrimitives.MultiplyAdd(Y.AsSpan(input.Users[e] * Hidden, Hidden), c, h, h);
            }
        }

        TensorPrimitives.Sigmoid(h, h);
    }

    /// <summary>
    /// As <see cref="Backward"/>, but each of movie i's ratings is predicted from the code of its other ratings (leave
    /// one out): z_-u = z - x_u V_u - c Y_u, so the network never sees the rating it must reconstruct, as at test time,
    /// where a movie's code holds all its training ratings and none of the tested ones. The cost stays O(ratings x hidden).
    /// </summary>
    public double BackwardLeaveOneOut(ItemColumns fit, int i, AutoRecNetwork g, LeaveOneOutBuffers buffers)
    {
        int from = fit.Start[i], to = fit.Start[i + 1], k = Hidden;
        if (to == from)
        {
            return 0;
        }

        Span<float> z = buffers.Z, hu = buffers.H, dzAll = buffers.DzAll;
        Span<float> dzStore = buffers.Store(to - from);
        float c = Y.Length > 0 ? 1f / MathF.Sqrt(to - from) : 0f;
        B.CopyTo(z);
        for (int e = from; e < to; e++)
        {
            int u = fit.Users[e];
            TensorPrimitives.MultiplyAdd(V.AsSpan(u * k, k), fit.Inputs[e], z, z);
            if (c != 0f)
            {
                TensorPrimitives.MultiplyAdd(Y.AsSpan(u * k, k), c, z, z);
            }
        }

        dzAll.Clear();
        double sse = 0;
        for (int e = from; e < to; e++)
        {
            int u = fit.Users[e];
            TensorPrimitives.MultiplyAdd(V.AsSpan(u * k, k), -fit.Inputs[e], z, hu);
            if (c != 0f)
            {
                TensorPrimitives.MultiplyAdd(Y.AsSpan(u * k, k), -c, hu, hu);
            }

            TensorPrimitives.Sigmoid(hu, hu);
            Span<float> wu = W.AsSpan(u * k, k);
            float err = C[u] + TensorPrimitives.Dot(wu, hu) - fit.Values[e];
            sse += err * err;
            g.C[u] += err;
            Span<float> gw = g.W.AsSpan(u * k, k);
            TensorPrimitives.MultiplyAdd(hu, err, gw, gw);

            // dz_-u = err W_u h (1 - h).
            Span<float> dz = dzStore.Slice((e - from) * k, k);
            TensorPrimitives.Multiply(hu, hu, dz);
            TensorPrimitives.Subtract(hu, dz, dz);
            TensorPrimitives.Multiply(dz, wu, dz);
            TensorPrimitives.Multiply(dz, err, dz);
            TensorPrimitives.Add(dzAll, dz, dzAll);
        }

        TensorPrimitives.Add(g.B, dzAll, g.B);

        // Rating u' feeds every code but its own: its weights get the sum of the others' dz.
        for (int e = from; e < to; e++)
        {
            int u = fit.Users[e];
            ReadOnlySpan<float> dz = dzStore.Slice((e - from) * k, k);
            Span<float> gv = g.V.AsSpan(u * k, k);
            TensorPrimitives.MultiplyAdd(dzAll, fit.Inputs[e], gv, gv);
            TensorPrimitives.MultiplyAdd(dz, -fit.Inputs[e], gv, gv);
            if (c != 0f)
            {
                Span<float> gy = g.Y.AsSpan(u * k, k);
                TensorPrimitives.MultiplyAdd(dzAll, c, gy, gy);
                TensorPrimitives.MultiplyAdd(dz, -c, gy, gy);
            }
        }

        return sse;
    }

    /// <summary>
    /// Adds movie i's gradient of 1/2 sum (r^ - r)^2 over its entries to <paramref name="g"/>; returns the squared error.
    /// With <paramref name="dropout"/> above 0 each input entry is dropped with that probability (survivors scaled by
    /// 1/(1 - dropout)), drawn from <paramref name="maskSeed"/>; the loss counts every entry.
    /// </summary>
    public double Backward(ItemColumns fit, int i, AutoRecNetwork g, float[] h, float[] dh, float dropout = 0, int maskSeed = 0)
    {
        int from = fit.Start[i], to = fit.Start[i + 1];
        float[]? input = null;
        float[]? implicitInput = null;
        if (dropout > 0)
        {
            var random = new Random(maskSeed);
            input = new float[to - from];
            float scale = 1f / (1f - dropout);
            float c = Y.Length > 0 && to > from ? scale / MathF.Sqrt(to - from) : 0f;
            implicitInput = c != 0f ? new float[to - from] : null;
            for (int e = from; e < to; e++)
            {
                bool drop = random.NextDouble() < dropout;
                input[e - from] = drop ? 0f : fit.Inputs[e] * scale;
                if (implicitInput is not null)
                {
                    implicitInput[e - from] = drop ? 0f : c;
                }
            }

            B.CopyTo(h, 0);
            for (int e = from; e < to; e++)
            {
                if (input[e - from] != 0f)
                {
                    TensorPrimitives.MultiplyAdd(V.AsSpan(fit.Users[e] * Hidden, Hidden), input[e - from], h, h);
                }

                if (implicitInput is not null && implicitInput[e - from] != 0f)
                {
                    TensorPrimitives.MultiplyAdd(Y.AsSpan(fit.Users[e] * Hidden, Hidden), implicitInput[e - from], h, h);
                }
            }

            TensorPrimitives.Sigmoid(h, h);
        }
        else
        {
            EncodeItem(fit, i, h);
        }

        Array.Clear(dh);
        double sse = 0;
        for (int e = from; e < to; e++)
        {
            int u = fit.Users[e];
            Span<float> wu = W.AsSpan(u * Hidden, Hidden);
            float err = C[u] + TensorPrimitives.Dot(wu, h) - fit.Values[e];
            sse += err * err;
            g.C[u] += err;
            TensorPrimitives.MultiplyAdd(h, err, g.W.AsSpan(u * Hidden, Hidden), g.W.AsSpan(u * Hidden, Hidden));
            TensorPrimitives.MultiplyAdd(wu, err, dh, dh);
        }

        // Through the sigmoid: dz = dh h (1 - h).
        for (int n = 0; n < dh.Length; n++)
        {
            dh[n] *= h[n] * (1f - h[n]);
        }

        TensorPrimitives.Add(g.B, dh, g.B);
        for (int e = from; e < to; e++)
        {
            float x = input is null ? fit.Inputs[e] : input[e - from];
            if (x != 0f)
            {
                Span<float> gv = g.V.AsSpan(fit.Users[e] * Hidden, Hidden);
                TensorPrimitives.MultiplyAdd(dh, x, gv, gv);
            }

            float y = Y.Length == 0 ? 0f : implicitInput is null ? (input is null ? 1f / MathF.Sqrt(to - from) : 0f) : implicitInput[e - from];
            if (y != 0f)
            {
                Span<float> gy = g.Y.AsSpan(fit.Users[e] * Hidden, Hidden);
                TensorPrimitives.MultiplyAdd(dh, y, gy, gy);
            }
        }

        return sse;
    }

    /// <summary>RMSE of the held-out entries under the members' averaged prediction, each movie encoded from its fitted entries; clipped as the model would be.</summary>
    public static double Rmse(AutoRecNetwork[] members, ItemColumns fit, ItemColumns heldOut, RatingScale scale, ParallelOptions parallel)
    {
        int items = fit.Start.Length - 1, hidden = members[0].Hidden;
        double[] sums = new double[items];
        Parallel.ForEach(Partitioner.Create(0, items, 64), parallel, range =>
        {
            float[] h = new float[hidden];
            float[] sum = new float[heldOut.Count == 0 ? 0 : heldOut.Start[^1]];
            for (int i = range.Item1; i < range.Item2; i++)
            {
                int from = heldOut.Start[i], to = heldOut.Start[i + 1];
                if (from == to)
                {
                    continue;
                }

                Array.Clear(sum, from, to - from);
                foreach (AutoRecNetwork net in members)
                {
                    net.EncodeItem(fit, i, h);
                    for (int e = from; e < to; e++)
                    {
                        int u = heldOut.Users[e];
                        sum[e] += net.C[u] + TensorPrimitives.Dot(net.W.AsSpan(u * hidden, hidden), h);
                    }
                }

                double s = 0;
                for (int e = from; e < to; e++)
                {
                    float b = heldOut.Baselines[e];
                    float err = scale.Clip(b + (sum[e] / members.Length)) - (b + heldOut.Values[e]);
                    s += err * err;
                }

                sums[i] = s;
            }
        });
        return Math.Sqrt(sums.Sum() / heldOut.Count);
    }

    /// <summary>Every movie's hidden code (items x hidden, row-major) from its entries in <paramref name="input"/>.</summary>
    public float[] Encode(ItemColumns input, int items, ParallelOptions parallel)
    {
        float[] codes = new float[items * Hidden];
        if (items == 0)
        {
            return codes;
        }

        Parallel.ForEach(Partitioner.Create(0, items, 64), parallel, range =>
        {
            for (int i = range.Item1; i < range.Item2; i++)
            {
                EncodeItem(input, i, codes.AsSpan(i * Hidden, Hidden));
            }
        });
        return codes;
    }
}

/// <summary>One thread's scratch space for <see cref="AutoRecNetwork.BackwardLeaveOneOut"/>.</summary>
internal sealed class LeaveOneOutBuffers(int hidden)
{
    private float[] _store = [];

    public float[] Z { get; } = new float[hidden];

    public float[] H { get; } = new float[hidden];

    public float[] DzAll { get; } = new float[hidden];

    /// <summary>Room for one dz vector per rating of a movie with <paramref name="ratings"/> ratings.</summary>
    public Span<float> Store(int ratings)
    {
        if (_store.Length < ratings * Z.Length)
        {
            _store = new float[ratings * Z.Length];
        }

        return _store.AsSpan(0, ratings * Z.Length);
    }
}

/// <summary>
/// A trained AutoRec over baseline residuals: r^_ui = b_ui + c_u + W_u . h_i, with each movie's code h_i encoded
/// once from all its training residuals. Ranks a user's movies by predicted rating.
/// </summary>
public sealed class AutoRecModel : RecommenderModel
{
    /// <summary>The stable payload kind written into model files.</summary>
    public const string Kind = "autorec";

    private readonly float[] _decoder;
    private readonly float[] _userBias;
    private readonly float[] _codes;

    internal AutoRecModel(RatingMatrix train, BiasBaseline fallback, int hidden, float[] decoder, float[] userBias, float[] codes)
        : base(AutoRecTrainer.ModelName, train, fallback)
    {
        if (hidden <= 0 || decoder.Length != train.UserCount * hidden || userBias.Length != train.UserCount || codes.Length != train.ItemCount * hidden)
        {
            throw new InvalidDataException("The AutoRec arrays do not match the training matrix.");
        }

        Hidden = hidden;
        _decoder = decoder;
        _userBias = userBias;
        _codes = codes;
    }

    public int Hidden { get; }

    public override void Score(int u, Span<float> scores)
    {
        ReadOnlySpan<float> wu = _decoder.AsSpan(u * Hidden, Hidden);
        for (int i = 0; i < scores.Length; i++)
        {
            scores[i] = Fallback.Estimate(u, i) + _userBias[u] + TensorPrimitives.Dot(wu, _codes.AsSpan(i * Hidden, Hidden));
        }
    }

    protected internal override string FormatKind => Kind;

    protected internal override void WriteParameters(BinaryWriter writer)
    {
        writer.Write(Hidden);
        ModelBinary.WriteArray<float>(writer, _decoder);
        ModelBinary.WriteArray<float>(writer, _userBias);
        ModelBinary.WriteArray<float>(writer, _codes);
    }

    internal static AutoRecModel Read(BinaryReader reader, RatingMatrix train, BiasBaseline fallback)
    {
        int hidden = reader.ReadInt32();
        return new AutoRecModel(train, fallback, hidden, ModelBinary.ReadFloats(reader), ModelBinary.ReadFloats(reader), ModelBinary.ReadFloats(reader));
    }

    protected override float EstimateCore(int u, int i) =>
        Fallback.Estimate(u, i) + _userBias[u] + TensorPrimitives.Dot(_decoder.AsSpan(u * Hidden, Hidden), _codes.AsSpan(i * Hidden, Hidden));
}
