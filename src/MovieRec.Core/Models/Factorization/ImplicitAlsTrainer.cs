using System.Collections.Concurrent;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using MovieRec.Core.Data;
using MovieRec.Core.Numerics;

namespace MovieRec.Core.Models.Factorization;

/// <summary>Options of <see cref="ImplicitAlsTrainer"/>; defaults picked on a validation split of ml-latest-small fold1.train.</summary>
public sealed record ImplicitAlsOptions
{
    [Option("latent factors per user and movie", Min = 1, Max = 2000, TuneMin = 16, TuneMax = 256, LogScale = true)]
    public int Factors { get; init; } = 128;

    [Option("alternating passes (users, then movies)", Min = 1, Max = 1000, TuneMin = 5, TuneMax = 30, Budget = true)]
    public int Iterations { get; init; } = 15;

    /// <summary>L2 regularisation of both factor sides.</summary>
    [Option("L2 regularisation of both factor sides", Min = 0, MinExclusive = true, Max = 1e6, TuneMin = 0.5, TuneMax = 300, LogScale = true)]
    public double Regularization { get; init; } = 30;

    /// <summary>Confidence of an observed rating: 1 + Alpha x (rating if <see cref="WeightByRating"/>, else 1).</summary>
    [Option("confidence of an observed rating: 1 + alpha x (rating or 1)", Min = 0, Max = 1e4, TuneMin = 0.5, TuneMax = 50, LogScale = true)]
    public double Alpha { get; init; } = 3;

    [Option("confidence grows with the rating value instead of being the same for every rated movie")]
    public bool WeightByRating { get; init; }

    /// <summary>Conjugate-gradient steps per solve (warm-started from the previous iteration's factors).</summary>
    [Option("conjugate-gradient steps per solve", Min = 1, Max = 100)]
    public int ConjugateGradientSteps { get; init; } = 3;

    /// <summary>
    /// The per-rating terms of every solve read the fixed side's factor rows from a bfloat16 copy of them (widened to float
    /// exactly as they are gathered), so each gathered row is 2 bytes per factor instead of 4; the Gram matrix, the solve
    /// and the model stay float. Off by default; the registry turns it on from <see cref="LargeRatings"/> training ratings
    /// (<see cref="ForRatings"/>), where the gathers are most of the time.
    /// </summary>
    [Option("the per-rating terms read the fixed side's factors from a bfloat16 copy (half the bytes gathered; Gram matrix, solve and model stay float); on from 5,000,000 training ratings")]
    public bool Bfloat16 { get; init; }

    [Option("standard deviation of the initial factors", Min = 0, Max = 1)]
    public double InitStd { get; init; } = 0.01;

    [Option("random seed of initialisation", Min = 0, Max = int.MaxValue)]
    public int Seed { get; init; } = 42;

    /// <summary>From this many training ratings up, the registry's <c>implicit-als</c> gathers from bfloat16 copies (<see cref="Bfloat16"/>).</summary>
    public const int LargeRatings = 5_000_000;

    /// <summary>
    /// The registry's size-scaled defaults for <c>implicit-als</c>: the declared defaults below <see cref="LargeRatings"/>
    /// (so smaller models are the same floats as before), <see cref="Bfloat16"/> from there on. Options the user sets win.
    /// </summary>
    public static IReadOnlyDictionary<string, object> ForRatings(int ratings) =>
        ratings < LargeRatings ? new Dictionary<string, object>() : new Dictionary<string, object> { ["bfloat16"] = true };

    public ImplicitAlsOptions Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Factors, nameof(Factors));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Iterations, nameof(Iterations));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Regularization, nameof(Regularization));
        ArgumentOutOfRangeException.ThrowIfNegative(Alpha, nameof(Alpha));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ConjugateGradientSteps, nameof(ConjugateGradientSteps));
        ArgumentOutOfRangeException.ThrowIfNegative(InitStd, nameof(InitStd));
        return this;
    }
}

/// <summary>
/// Implicit-feedback matrix factorization for top-N ranking (Hu, Koren and Volinsky 2008): every rated movie is a
/// positive with confidence 1 + alpha (x rating), every other movie a zero with confidence 1. Each half-iteration
/// solves all users (then all items) in parallel by a few warm-started conjugate-gradient steps, using the shared
/// Gram matrix Y^T Y so that a user costs O(k^2 + n_u k) per step (Takacs et al. 2011; the implicit library).
/// </summary>
public sealed class ImplicitAlsTrainer(ImplicitAlsOptions? options = null) : IRecommenderTrainer
{
    public const string ModelName = "implicit-als";

    public ImplicitAlsOptions Options { get; } = (options ?? new ImplicitAlsOptions()).Validate();

    public string Name => ModelName;

    public IRecommenderModel Fit(RatingMatrix train, TrainingOptions? options = null)
    {
        options ??= TrainingOptions.Default;
        int k = Options.Factors;
        var random = new Random(Options.Seed);

        // The factors live in huge-page memory while they are fitted (rows are gathered at random), the model gets arrays.
        using var xs = new HugePageMemory<float>(train.UserCount * k);
        using var ys = new HugePageMemory<float>(train.ItemCount * k);
        Span<float> init = xs.Span;
        for (int n = 0; n < init.Length; n++)
        {
            init[n] = (float)Gaussian.Next(random, Options.InitStd);
        }

        init = ys.Span;
        for (int n = 0; n < init.Length; n++)
        {
            init[n] = (float)Gaussian.Next(random, Options.InitStd);
        }

        // With Bfloat16 each side's bfloat16 copy, which its solve writes row by row (the movies' is needed first).
        using HugePageMemory<ushort>? xp = Options.Bfloat16 ? new(train.UserCount * k) : null, yp = Options.Bfloat16 ? new(train.ItemCount * k) : null;
        if (yp is not null)
        {
            OrderedDot.ToBfloat16(ys.Span, yp.Span);
        }

        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.EffectiveThreads, CancellationToken = options.CancellationToken };
        CsrSide users = CsrSide.Users(train), items = CsrSide.Items(train);

        // The threads' solvers and their buffers (up to the widest row's factors) serve the whole fit.
        var solvers = new ConcurrentBag<ImplicitRowSolver>();
        for (int it = 0; it < Options.Iterations; it++)
        {
            SolveSide(users, ys.Memory, yp?.Memory ?? default, train.ItemCount, xs.Memory, xp?.Memory ?? default, parallel, solvers);
            SolveSide(items, xs.Memory, xp?.Memory ?? default, train.UserCount, ys.Memory, yp?.Memory ?? default, parallel, solvers);
            options.Progress?.Report(new TrainingProgress(Name, it + 1, Options.Iterations));
        }

        float[] x = xs.Span.ToArray(), y = ys.Span.ToArray();
        float[] popularity = new float[train.ItemCount];
        for (int i = 0; i < popularity.Length; i++)
        {
            popularity[i] = train.ItemRatingCount(i);
        }

        return new ImplicitFactorizationModel(train, BiasBaseline.Default(train), k, x, y, popularity,
            (float)Options.Alpha, (float)Options.Regularization, Options.WeightByRating);
    }

    /// <summary>
    /// Updates every row of <paramref name="solve"/> given the fixed <paramref name="fixedFactors"/>; with bfloat16 copies (not
    /// empty), the per-rating terms read <paramref name="fixedPacked"/> and each solved row is also written to <paramref name="solvePacked"/>.
    /// </summary>
    private void SolveSide(CsrSide side, ReadOnlyMemory<float> fixedFactors, ReadOnlyMemory<ushort> fixedPacked, int fixedRows, Memory<float> solve, Memory<ushort> solvePacked,
        ParallelOptions parallel, ConcurrentBag<ImplicitRowSolver> solvers)
    {
        (int[] rowStart, int[] index, float[] values) = (side.Start, side.Index, side.Values);
        int k = Options.Factors;
        OrderedDot? kernel = OrderedDot.For(k);
        float[] gram = Gram(fixedFactors, fixedRows, k, (float)Options.Regularization, kernel, parallel);
        int[] bounds = BalancedRanges(rowStart, k, parallel.MaxDegreeOfParallelism);
        Parallel.ForEach(Partitioner.Create(Enumerable.Range(0, bounds.Length - 1), EnumerablePartitionerOptions.NoBuffering), parallel,
            () => solvers.TryTake(out ImplicitRowSolver? reused) ? reused : new ImplicitRowSolver(k, kernel), (part, _, solver) =>
            {
                ReadOnlySpan<float> fixedRowsSpan = fixedFactors.Span;
                ReadOnlySpan<ushort> fixedPackedSpan = fixedPacked.Span;
                Span<float> solved = solve.Span;
                Span<ushort> solvedPacked = solvePacked.Span;
                for (int row = bounds[part]; row < bounds[part + 1]; row++)
                {
                    int from = rowStart[row], count = rowStart[row + 1] - from;
                    Span<float> xu = solved.Slice(row * k, k);
                    solver.Solve(gram, fixedRowsSpan, fixedPackedSpan, index.AsSpan(from, count), values.AsSpan(from, count), (float)Options.Alpha, Options.WeightByRating,
                        Options.ConjugateGradientSteps, xu);
                    if (!solvedPacked.IsEmpty)
                    {
                        OrderedDot.ToBfloat16(xu, solvedPacked.Slice(row * k, k));
                    }
                }

                return solver;
            }, solvers.Add);
    }

    /// <summary>
    /// Cuts the rows into contiguous ranges of about equal work (a row costs its ratings times k plus the k x k Gram products
    /// of its conjugate-gradient steps), 16 per thread, so that a range of heavy rows (a popular movie's tens of thousands of
    /// ratings) does not leave a core idle at the end of a half-iteration.
    /// </summary>
    internal static int[] BalancedRanges(int[] rowStart, int k, int threads)
    {
        int rows = rowStart.Length - 1;
        long perRow = Math.Max(1, k / 2), total = rowStart[rows] + (perRow * rows);
        int parts = (int)Math.Clamp(Math.Max(1, threads) * 16L, 1, Math.Max(1, rows));
        var bounds = new List<int>(parts + 1) { 0 };
        long done = 0;
        for (int row = 0; row < rows; row++)
        {
            done += rowStart[row + 1] - rowStart[row] + perRow;
            if (done * parts >= total * bounds.Count && row + 1 < rows)
            {
                bounds.Add(row + 1);
            }
        }

        bounds.Add(rows);
        return [.. bounds];
    }

    /// <summary>Y^T Y + reg I (k x k, row-major).</summary>
    /// <remarks>
    /// Each entry adds the rows' products in row order, as one <c>TensorPrimitives.MultiplyAdd</c> per row and column did; the
    /// rows are taken in blocks that stay in cache while every column of a thread's share adds them, instead of a pass over
    /// all rows per column. With the fused kernels (<paramref name="kernel"/>) a column's entries stay in registers over a
    /// block, and only the upper triangle (by vectors) is summed: entry (b, a) is the same sum of the same products as
    /// (a, b), so it is copied.
    /// </remarks>
    internal static float[] Gram(ReadOnlyMemory<float> factors, int rows, int k, float reg, OrderedDot? kernel, ParallelOptions parallel)
    {
        const int BlockRows = 256;
        float[] gram = new float[k * k];
        int parts = Math.Clamp(parallel.MaxDegreeOfParallelism, 1, k);
        Parallel.For(0, parts, parallel, part =>
        {
            int a0 = (int)((long)k * part / parts), a1 = (int)((long)k * (part + 1) / parts);
            ReadOnlySpan<float> all = factors.Span;
            for (int block = 0; block < rows; block += BlockRows)
            {
                int end = Math.Min(rows, block + BlockRows);
                if (kernel is not null)
                {
                    // Interleaved columns, so that the threads' shares of the triangle are about equal.
                    for (int a = part; a < k; a += parts)
                    {
                        kernel.AddRowProducts(all, block, end, a, gram.AsSpan(a * k, k));
                    }

                    continue;
                }

                for (int a = a0; a < a1; a++)
                {
                    Span<float> row = gram.AsSpan(a * k, k);
                    for (int n = block; n < end; n++)
                    {
                        ReadOnlySpan<float> f = all.Slice(n * k, k);
                        TensorPrimitives.MultiplyAdd(f, f[a], row, row);
                    }
                }
            }
        });

        if (kernel is not null)
        {
            for (int a = 0; a < k; a++)
            {
                for (int b = 0; b < a - (a % kernel.Width); b++)
                {
                    gram[(a * k) + b] = gram[(b * k) + a];
                }
            }
        }

        for (int a = 0; a < k; a++)
        {
            gram[(a * k) + a] += reg;
        }

        return gram;
    }
}

/// <summary>
/// One thread's solver of implicit-als rows: a row's fixed-side factors are gathered once into a contiguous buffer, and
/// its conjugate-gradient passes run over that buffer with the fused kernels of <see cref="OrderedDot"/> (where the
/// factor count suits them; otherwise with one <c>TensorPrimitives</c> call per rating). Both give the same floats as
/// solving with one <c>TensorPrimitives.Dot</c> and <c>MultiplyAdd</c> per rating straight from the factor matrix (or, with
/// a bfloat16 copy of it, from that copy widened to floats).
/// </summary>
internal sealed class ImplicitRowSolver
{
    private readonly int _k;
    private readonly OrderedDot? _kernel;
    private readonly float[] _r, _p, _ap;
    private float[] _rows = [], _confidence = [], _weight = [];

    /// <param name="k">Factors per row.</param>
    /// <param name="kernel">The fused kernels for rows of k floats, or null to solve with one <c>TensorPrimitives</c> call per rating.</param>
    public ImplicitRowSolver(int k, OrderedDot? kernel)
    {
        if (kernel is not null && kernel.Length != k)
        {
            throw new ArgumentException("The kernel is for another row length.", nameof(kernel));
        }

        _k = k;
        _kernel = kernel;
        _r = new float[k];
        _p = new float[k];
        _ap = new float[k];
    }

    /// <summary>
    /// A few warm-started conjugate-gradient steps on (Y^T Y + reg I + sum_i (c_i - 1) y_i y_i^T) x = sum_i c_i y_i, over the
    /// row's rated <paramref name="index"/> (rows of <paramref name="fixedFactors"/>) with c_i = 1 + alpha x (value or 1).
    /// </summary>
    public void Solve(float[] gram, ReadOnlySpan<float> fixedFactors, ReadOnlySpan<int> index, ReadOnlySpan<float> values, float alpha, bool weightByRating, int steps, Span<float> xu) =>
        Solve(gram, fixedFactors, default, index, values, alpha, weightByRating, steps, xu);

    /// <summary>
    /// As the other overload; where <paramref name="packedFactors"/> is not empty, the per-rating terms take the fixed rows from
    /// it (the bfloat16 copy of <paramref name="fixedFactors"/>, widened exactly) instead of from <paramref name="fixedFactors"/>.
    /// </summary>
    public void Solve(float[] gram, ReadOnlySpan<float> fixedFactors, ReadOnlySpan<ushort> packedFactors, ReadOnlySpan<int> index, ReadOnlySpan<float> values, float alpha,
        bool weightByRating, int steps, Span<float> xu)
    {
        bool packed = !packedFactors.IsEmpty;
        int k = _k, n = index.Length;
        if (_confidence.Length < n)
        {
            // Grown to the widest row seen, in steps, so that a thread's buffers are allocated a few times per fit.
            int size = Math.Max(n, Math.Min(_confidence.Length * 2, (1 << 26) / k));
            _rows = new float[size * k];
            _confidence = new float[size];
            _weight = new float[size];
        }

        Span<float> rows = _rows.AsSpan(0, n * k), confidence = _confidence.AsSpan(0, n), weight = _weight.AsSpan(0, n);
        for (int e = 0; e < n; e++)
        {
            confidence[e] = 1f + (alpha * (weightByRating ? values[e] : 1f));
            weight[e] = confidence[e] - 1f;
        }

        if (_kernel is null)
        {
            for (int e = 0; e < n; e++)
            {
                if (packed)
                {
                    OrderedDot.FromBfloat16(packedFactors.Slice(index[e] * k, k), rows.Slice(e * k, k));
                }
                else
                {
                    fixedFactors.Slice(index[e] * k, k).CopyTo(rows.Slice(e * k, k));
                }
            }
        }

        // r = b - A x, with b = sum_i c_ui y_i and A = Y^T Y + reg I + sum_i (c_ui - 1) y_i y_i^T.
        Span<float> r = _r, p = _p, ap = _ap;
        MultiplyGram(gram, xu, r);
        TensorPrimitives.Negate(r, r);
        if (_kernel is null)
        {
            Accumulate(rows, weight, confidence, xu, r);
        }
        else if (packed)
        {
            _kernel.GatherAccumulateRows(packedFactors, index, rows, weight, confidence, xu, r);
        }
        else
        {
            _kernel.GatherAccumulateRows(fixedFactors, index, rows, weight, confidence, xu, r);
        }

        r.CopyTo(p);
        float rsOld = TensorPrimitives.Dot(r, r);
        for (int step = 0; step < steps && rsOld > 1e-20f; step++)
        {
            MultiplyGram(gram, p, ap);
            Accumulate(rows, weight, default, p, ap);
            float step_ = rsOld / TensorPrimitives.Dot(p, ap);
            TensorPrimitives.MultiplyAdd(p, step_, xu, xu);
            TensorPrimitives.MultiplyAdd(ap, -step_, r, r);
            float rsNew = TensorPrimitives.Dot(r, r);
            TensorPrimitives.MultiplyAdd(p, rsNew / rsOld, r, p);
            rsOld = rsNew;
        }
    }

    private void MultiplyGram(float[] gram, ReadOnlySpan<float> v, Span<float> result)
    {
        if (_kernel is not null)
        {
            _kernel.MultiplyMatrix(gram, v, result);
            return;
        }

        for (int a = 0; a < _k; a++)
        {
            result[a] = TensorPrimitives.Dot(gram.AsSpan(a * _k, _k), v);
        }
    }

    // accumulator += sum_e y_e x s_e in rating order, s_e = offset_e - weight_e (y_e . v), or weight_e (y_e . v) without offsets.
    private void Accumulate(ReadOnlySpan<float> rows, ReadOnlySpan<float> weight, ReadOnlySpan<float> offset, ReadOnlySpan<float> v, Span<float> accumulator)
    {
        if (_kernel is not null)
        {
            _kernel.AccumulateRows(rows, weight, offset, v, accumulator);
            return;
        }

        int k = _k;
        for (int e = 0; e < weight.Length; e++)
        {
            ReadOnlySpan<float> y = rows.Slice(e * k, k);
            float d = TensorPrimitives.Dot(y, v);
            TensorPrimitives.MultiplyAdd(y, offset.IsEmpty ? weight[e] * d : offset[e] - (weight[e] * d), accumulator, accumulator);
        }
    }
}

/// <summary>
/// A ranking model from implicit feedback: <see cref="Score"/> is x_u . y_i. Its numbers are preferences, not
/// ratings, so rating predictions come from the baseline, and users the model has not seen get popularity.
/// </summary>
public sealed class ImplicitFactorizationModel : RecommenderModel, IFoldIn, IExplainable, ITopRanker
{
    /// <summary>The stable payload kind written into model files.</summary>
    public const string Kind = "implicit-factorization";

    private readonly float[] _userFactors;
    private readonly float[] _itemFactors;
    private readonly float[] _popularity;

    private readonly Lazy<double[]> _gram;
    private readonly Lazy<QuantizedFactors> _packed;

    internal ImplicitFactorizationModel(RatingMatrix train, BiasBaseline fallback, int factors, float[] userFactors, float[] itemFactors, float[] popularity,
        float alpha, float regularization, bool weightByRating)
        : base(ImplicitAlsTrainer.ModelName, train, fallback)
    {
        Alpha = alpha;
        Regularization = regularization;
        WeightByRating = weightByRating;
        _gram = new Lazy<double[]>(ComputeGram);
        _packed = new Lazy<QuantizedFactors>(() => new QuantizedFactors(_itemFactors, Train.ItemCount, Factors));
        if (factors <= 0 || userFactors.Length != train.UserCount * factors || itemFactors.Length != train.ItemCount * factors || popularity.Length != train.ItemCount)
        {
            throw new InvalidDataException("The factor arrays do not match the training matrix.");
        }

        Factors = factors;
        _userFactors = userFactors;
        _itemFactors = itemFactors;
        _popularity = popularity;
    }

    public int Factors { get; }

    /// <summary>Confidence scale of the fit (c = 1 + alpha r), needed to solve for a new user as training did.</summary>
    public float Alpha { get; }

    public float Regularization { get; }

    public bool WeightByRating { get; }

    /// <summary>User u's factors x_u.</summary>
    public ReadOnlySpan<float> UserFactors(int u) => _userFactors.AsSpan(u * Factors, Factors);

    /// <summary>Item i's factors y_i.</summary>
    public ReadOnlySpan<float> ItemFactors(int i) => _itemFactors.AsSpan(i * Factors, Factors);

    /// <summary>
    /// The closed-form user solve of implicit ALS with the item factors fixed: x = (YᵀY + λI + Σ (c_i − 1) y_i y_iᵀ)⁻¹ Σ c_i y_i
    /// over the history's movies, then x · y_j for every movie.
    /// </summary>
    public void ScoreHistory(UserHistory history, Span<float> scores)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (history.Count == 0)
        {
            ScoreUnknownUser(scores);
            return;
        }

        float[] xf = FoldIn(history);
        for (int i = 0; i < scores.Length; i++)
        {
            scores[i] = ExactScore(xf, i);
        }
    }

    public RankedTop Top(int u, int k, ReadOnlySpan<int> excludeSorted, Func<int, bool>? include) =>
        TopOf(_userFactors, u * Factors, k, excludeSorted, include);

    public RankedTop TopOfHistory(UserHistory history, int k, ReadOnlySpan<int> excludeSorted, Func<int, bool>? include)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (history.Count == 0)
        {
            float[] scores = new float[Train.ItemCount];
            ScoreUnknownUser(scores);
            return RankedTop.FromScores(scores, k, excludeSorted, include);
        }

        return TopOf(FoldIn(history), 0, k, excludeSorted, include);
    }

    // The user's factors from the closed-form solve, rounded to float as the item factors are.
    private float[] FoldIn(UserHistory history)
    {
        int k = Factors;
        double[] x = SolveUser(history, new double[k * k]);
        float[] xf = new float[k];
        for (int f = 0; f < k; f++)
        {
            xf[f] = (float)x[f];
        }

        return xf;
    }

    // Every item's score from the 8-bit copy (within its quantisation bound), then the items near the cut re-scored as Score does.
    private RankedTop TopOf(float[] factors, int start, int k, ReadOnlySpan<int> excludeSorted, Func<int, bool>? include) =>
        _packed.Value.Top(factors.AsSpan(start, Factors), 0, default, 0, k, excludeSorted, include, i => ExactScore(factors.AsSpan(start, Factors), i));

    // The one expression of a score: Score, ScoreHistory and the exact re-scoring of TopOf must give the same float.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private float ExactScore(ReadOnlySpan<float> user, int i) => TensorPrimitives.Dot(user, _itemFactors.AsSpan(i * Factors, Factors));

    /// <summary>
    /// As the <c>implicit</c> library's <c>explain</c>: with A the user's system matrix, score_j = Σ_i c_i (A⁻¹ y_j) · y_i, so each
    /// rated movie's term is its exact share of the fold-in score.
    /// </summary>
    public IReadOnlyList<Contribution> Explain(UserHistory history, int movieId, int max)
    {
        ArgumentNullException.ThrowIfNull(history);
        int j = Train.Items.IndexOf(movieId);
        if (j < 0 || history.Count == 0)
        {
            return [];
        }

        int k = Factors;
        double[] factor = new double[k * k];
        SolveUser(history, factor);
        double[] w = new double[k];
        ReadOnlySpan<float> yj = _itemFactors.AsSpan(j * k, k);
        for (int f = 0; f < k; f++)
        {
            w[f] = yj[f];
        }

        Cholesky.SolveFactored(factor, w, k);
        var terms = new Contribution[history.Count];
        for (int p = 0; p < terms.Length; p++)
        {
            ReadOnlySpan<float> yi = _itemFactors.AsSpan(history.Items[p] * k, k);
            double dot = 0;
            for (int f = 0; f < k; f++)
            {
                dot += w[f] * yi[f];
            }

            terms[p] = new Contribution(history.MovieId(p), (float)(Confidence(history.Ratings[p]) * dot));
        }

        return [.. terms.OrderByDescending(c => c.Weight).Take(max)];
    }

    private float Confidence(float rating) => 1f + (Alpha * (WeightByRating ? rating : 1f));

    /// <summary>Builds the user's system in <paramref name="a"/> and solves it; <paramref name="a"/> is left holding its Cholesky factor.</summary>
    private double[] SolveUser(UserHistory history, double[] a)
    {
        int k = Factors;
        _gram.Value.CopyTo(a, 0);
        double[] b = new double[k];
        for (int p = 0; p < history.Count; p++)
        {
            ReadOnlySpan<float> y = _itemFactors.AsSpan(history.Items[p] * k, k);
            double c = Confidence(history.Ratings[p]);
            for (int r = 0; r < k; r++)
            {
                b[r] += c * y[r];
                double cy = (c - 1) * y[r];
                for (int col = 0; col <= r; col++)
                {
                    a[(r * k) + col] += cy * y[col];
                }
            }
        }

        if (!Cholesky.Solve(a, b, k))
        {
            throw new InvalidOperationException("The implicit-als user system is not positive definite; the model's factors are corrupt.");
        }

        return b;
    }

    /// <summary>YᵀY + λI (lower triangle and diagonal), shared by every solve.</summary>
    private double[] ComputeGram()
    {
        int k = Factors;
        double[] gram = new double[k * k];
        for (int i = 0; i < Train.ItemCount; i++)
        {
            ReadOnlySpan<float> y = _itemFactors.AsSpan(i * k, k);
            for (int r = 0; r < k; r++)
            {
                for (int col = 0; col <= r; col++)
                {
                    gram[(r * k) + col] += (double)y[r] * y[col];
                }
            }
        }

        for (int r = 0; r < k; r++)
        {
            gram[(r * k) + r] += Regularization;
        }

        return gram;
    }

    public override void Score(int u, Span<float> scores)
    {
        ReadOnlySpan<float> xu = _userFactors.AsSpan(u * Factors, Factors);
        for (int i = 0; i < scores.Length; i++)
        {
            scores[i] = ExactScore(xu, i);
        }
    }

    protected internal override string FormatKind => Kind;

    protected internal override void WriteParameters(BinaryWriter writer)
    {
        writer.Write(Factors);
        ModelBinary.WriteArray<float>(writer, _userFactors);
        ModelBinary.WriteArray<float>(writer, _itemFactors);
        ModelBinary.WriteArray<float>(writer, _popularity);
        writer.Write(Alpha);
        writer.Write(Regularization);
        writer.Write(WeightByRating);
    }

    internal static ImplicitFactorizationModel Read(BinaryReader reader, RatingMatrix train, BiasBaseline fallback)
    {
        int factors = reader.ReadInt32();
        return new ImplicitFactorizationModel(train, fallback, factors, ModelBinary.ReadFloats(reader), ModelBinary.ReadFloats(reader), ModelBinary.ReadFloats(reader),
            reader.ReadSingle(), reader.ReadSingle(), reader.ReadBoolean());
    }

    protected override float EstimateCore(int u, int i) => Fallback.Estimate(u, i);

    protected internal override void ScoreUnknownUser(Span<float> scores) => _popularity.CopyTo(scores);
}
