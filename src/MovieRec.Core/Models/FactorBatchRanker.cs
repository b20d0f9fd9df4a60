using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using MovieRec.Core.Data;
using MovieRec.Core.Models.Factorization;
using MovieRec.Core.Models.Hybrid;

namespace MovieRec.Core.Models;

/// <summary>
/// Top-k for many of a factorization model's own users at once: one blocked matrix-matrix product (users x factors) *
/// (factors x items) over item panels packed factor-major, then per user a bounded top-k with the rated items left out.
/// </summary>
/// <remarks>
/// The product sums in another order than the model's per-item dot product, so its scores can differ from
/// <see cref="IRecommenderModel.Score"/> in the last bits, and near-ties could reorder. The answer is therefore made exact:
/// with ε a bound on that difference (from the user's and the largest item's norm), every item of the true top-k has a
/// product score at least T − 2ε, where T is the k-th best product score; those few candidates are re-scored with the
/// model's own per-item formula and ranked as <see cref="Numerics.TopK.Select"/> ranks (higher score, then lower index).
/// So each list, and each score in it, is bit for bit what a single user's scoring gives.
/// </remarks>
public sealed class FactorBatchRanker
{
    /// <summary>Items per packed panel: two <see cref="Vector256{T}"/> of floats.</summary>
    private const int PanelWidth = 16;

    /// <summary>Users scored together against a panel (8 accumulators in registers).</summary>
    private const int UserTile = 4;

    /// <summary>Users sharing one pass over all the item panels (their score rows stay in L2).</summary>
    private const int UserBlock = 32;

    private static readonly ConditionalWeakTable<IRecommenderModel, FactorBatchRanker?> Rankers = [];

    private readonly MatrixFactorizationModel? _mf;
    private readonly ImplicitFactorizationModel? _implicit;
    private readonly int _factors;
    private readonly int _items;
    private readonly int _panels;
    private readonly Lazy<float[]> _packed;
    private readonly float _maxItemNorm;
    private readonly float _maxAbsItemBias;

    private FactorBatchRanker(RatingMatrix train, MatrixFactorizationModel? mf, ImplicitFactorizationModel? implicitModel)
    {
        Train = train;
        _mf = mf;
        _implicit = implicitModel;
        _factors = mf?.Factors ?? implicitModel!.Factors;
        _items = train.ItemCount;
        _panels = (_items + PanelWidth - 1) / PanelWidth;
        _packed = new Lazy<float[]>(Pack);
        float maxNorm = 0, maxBias = 0;
        for (int i = 0; i < _items; i++)
        {
            maxNorm = MathF.Max(maxNorm, TensorPrimitives.Norm(ItemRow(i)));
            maxBias = MathF.Max(maxBias, mf is null ? 0 : MathF.Abs(mf.ItemBias(i)));
        }

        _maxItemNorm = maxNorm;
        _maxAbsItemBias = maxBias;
    }

    /// <summary>The matrix whose users and items the ranks are in (the served model's).</summary>
    public RatingMatrix Train { get; }

    /// <summary>
    /// The batch ranker of a model, or null where it has none: svd, svd++ and als (<see cref="MatrixFactorizationModel"/>),
    /// implicit-als, and a hybrid whose ranking model is one of those. Built once per model.
    /// </summary>
    public static FactorBatchRanker? For(IRecommenderModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Rankers.GetValue(model, Create);
    }

    private static FactorBatchRanker? Create(IRecommenderModel model) => model switch
    {
        MatrixFactorizationModel mf => new FactorBatchRanker(mf.Train, mf, null),
        ImplicitFactorizationModel implicitModel => new FactorBatchRanker(implicitModel.Train, null, implicitModel),
        // The hybrid ranks with its ranking model's Score, over the same training matrix.
        HybridModel { RankingModel: MatrixFactorizationModel mf } hybrid when ReferenceEquals(mf.Train, hybrid.Train) =>
            new FactorBatchRanker(hybrid.Train, mf, null),
        HybridModel { RankingModel: ImplicitFactorizationModel implicitModel } hybrid when ReferenceEquals(implicitModel.Train, hybrid.Train) =>
            new FactorBatchRanker(hybrid.Train, null, implicitModel),
        _ => null,
    };

    /// <summary>
    /// For each of <paramref name="users"/> (dense indices of <see cref="Train"/>), the dense indices of the <paramref name="k"/>
    /// best items and their scores, exactly as <see cref="Numerics.TopK.Select"/> over the model's <c>Score(u)</c> gives them:
    /// best first, ties to the lower index, NaN skipped, the user's rated items skipped when <paramref name="excludeRated"/>,
    /// and items <paramref name="include"/> rejects skipped. Runs in parallel over blocks of users.
    /// </summary>
    public (int[] Items, float[] Scores)[] Rank(IReadOnlyList<int> users, int k, bool excludeRated, Func<int, bool>? include = null)
    {
        ArgumentNullException.ThrowIfNull(users);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        var results = new (int[] Items, float[] Scores)[users.Count];
        for (int j = 0; j < users.Count; j++)
        {
            if ((uint)users[j] >= (uint)Train.UserCount)
            {
                throw new ArgumentOutOfRangeException(nameof(users), users[j], "Not a user of the training matrix.");
            }
        }

        if (k == 0 || users.Count == 0)
        {
            Array.Fill(results, ([], []));
            return results;
        }

        bool[]? allowed = null;
        if (include is not null)
        {
            allowed = new bool[_items];
            for (int i = 0; i < _items; i++)
            {
                allowed[i] = include(i);
            }
        }

        float[] packed = _packed.Value;
        int blocks = (users.Count + UserBlock - 1) / UserBlock;
        Parallel.For(0, blocks, b =>
        {
            int first = b * UserBlock, count = Math.Min(UserBlock, users.Count - first);
            int stride = _panels * PanelWidth;
            float[] rows = ArrayPool<float>.Shared.Rent(count * stride);
            try
            {
                Multiply(users, first, count, packed, rows, stride);
                for (int j = 0; j < count; j++)
                {
                    int u = users[first + j];
                    results[first + j] = Select(u, rows.AsSpan(j * stride, _items), k, excludeRated, allowed);
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(rows);
            }
        });

        return results;
    }

    private ReadOnlySpan<float> UserRow(int u) => _mf is not null ? _mf.UserFactors(u) : _implicit!.UserFactors(u);

    private ReadOnlySpan<float> ItemRow(int i) => _mf is not null ? _mf.ItemFactors(i) : _implicit!.ItemFactors(i);

    /// <summary>The model's own score of one item, with the same operations in the same order as its <c>Score(u)</c>.</summary>
    private float Exact(int u, int i) => _mf is not null
        ? _mf.GlobalMean + _mf.UserBias(u) + _mf.ItemBias(i) + TensorPrimitives.Dot(_mf.UserFactors(u), _mf.ItemFactors(i))
        : TensorPrimitives.Dot(_implicit!.UserFactors(u), _implicit.ItemFactors(i));

    /// <summary>Item factors as panels of <see cref="PanelWidth"/> items, factor-major within a panel, zero-padded.</summary>
    private float[] Pack()
    {
        int k = _factors;
        float[] packed = new float[_panels * k * PanelWidth];
        for (int i = 0; i < _items; i++)
        {
            ReadOnlySpan<float> row = ItemRow(i);
            int panel = i / PanelWidth, lane = i % PanelWidth, at = panel * k * PanelWidth;
            for (int f = 0; f < k; f++)
            {
                packed[at + (f * PanelWidth) + lane] = row[f];
            }
        }

        return packed;
    }

    /// <summary>rows[j, i] = x_{users[first + j]} . y_i (no biases) for every item, padded to whole panels.</summary>
    private void Multiply(IReadOnlyList<int> users, int first, int count, float[] packed, float[] rows, int stride)
    {
        int k = _factors;
        ref float panels = ref MemoryMarshal.GetArrayDataReference(packed);
        ref float output = ref MemoryMarshal.GetArrayDataReference(rows);
        for (int p = 0; p < _panels; p++)
        {
            ref float panel = ref Unsafe.Add(ref panels, p * k * PanelWidth);
            for (int t = 0; t < count; t += UserTile)
            {
                // A short last tile repeats its last user; the extra rows are not stored.
                int n = Math.Min(UserTile, count - t);
                ref float x0 = ref MemoryMarshal.GetReference(UserRow(users[first + t]));
                ref float x1 = ref MemoryMarshal.GetReference(UserRow(users[first + t + Math.Min(1, n - 1)]));
                ref float x2 = ref MemoryMarshal.GetReference(UserRow(users[first + t + Math.Min(2, n - 1)]));
                ref float x3 = ref MemoryMarshal.GetReference(UserRow(users[first + t + Math.Min(3, n - 1)]));
                Vector256<float> a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default, a3 = default, b3 = default;
                for (int f = 0; f < k; f++)
                {
                    Vector256<float> lo = Vector256.LoadUnsafe(ref panel, (nuint)(f * PanelWidth));
                    Vector256<float> hi = Vector256.LoadUnsafe(ref panel, (nuint)((f * PanelWidth) + 8));
                    var s0 = Vector256.Create(Unsafe.Add(ref x0, f));
                    var s1 = Vector256.Create(Unsafe.Add(ref x1, f));
                    var s2 = Vector256.Create(Unsafe.Add(ref x2, f));
                    var s3 = Vector256.Create(Unsafe.Add(ref x3, f));
                    a0 = Vector256.MultiplyAddEstimate(s0, lo, a0);
                    b0 = Vector256.MultiplyAddEstimate(s0, hi, b0);
                    a1 = Vector256.MultiplyAddEstimate(s1, lo, a1);
                    b1 = Vector256.MultiplyAddEstimate(s1, hi, b1);
                    a2 = Vector256.MultiplyAddEstimate(s2, lo, a2);
                    b2 = Vector256.MultiplyAddEstimate(s2, hi, b2);
                    a3 = Vector256.MultiplyAddEstimate(s3, lo, a3);
                    b3 = Vector256.MultiplyAddEstimate(s3, hi, b3);
                }

                nuint at = (nuint)((t * stride) + (p * PanelWidth));
                a0.StoreUnsafe(ref output, at);
                b0.StoreUnsafe(ref output, at + 8);
                if (n > 1)
                {
                    a1.StoreUnsafe(ref output, at + (nuint)stride);
                    b1.StoreUnsafe(ref output, at + (nuint)stride + 8);
                }

                if (n > 2)
                {
                    a2.StoreUnsafe(ref output, at + (nuint)(2 * stride));
                    b2.StoreUnsafe(ref output, at + (nuint)(2 * stride) + 8);
                }

                if (n > 3)
                {
                    a3.StoreUnsafe(ref output, at + (nuint)(3 * stride));
                    b3.StoreUnsafe(ref output, at + (nuint)(3 * stride) + 8);
                }
            }
        }
    }

    /// <summary>One user's exact top-k from their row of product scores (see the class remarks).</summary>
    private (int[] Items, float[] Scores) Select(int u, Span<float> row, int k, bool excludeRated, bool[]? allowed)
    {
        // Product score = offset + item bias + dot, added in the model's order; NaN marks what is not eligible.
        float offset = _mf is null ? 0 : _mf.GlobalMean + _mf.UserBias(u);
        if (_mf is not null)
        {
            for (int i = 0; i < row.Length; i++)
            {
                row[i] = offset + _mf.ItemBias(i) + row[i];
            }
        }

        if (excludeRated)
        {
            foreach (int i in Train.ItemsOf(u))
            {
                row[i] = float.NaN;
            }
        }

        if (allowed is not null)
        {
            for (int i = 0; i < row.Length; i++)
            {
                if (!allowed[i])
                {
                    row[i] = float.NaN;
                }
            }
        }

        // The k-th best product score among the eligible items (a min-heap of values).
        int heapSize = Math.Min(k, row.Length);
        float[] heap = ArrayPool<float>.Shared.Rent(Math.Max(1, heapSize));
        int size = 0;
        for (int i = 0; i < row.Length; i++)
        {
            float s = row[i];
            if (float.IsNaN(s))
            {
                continue;
            }

            if (size < heapSize)
            {
                heap[size] = s;
                SiftUp(heap, size++);
            }
            else if (s > heap[0])
            {
                heap[0] = s;
                SiftDown(heap, size);
            }
        }

        float threshold = float.NegativeInfinity;
        if (size == k)
        {
            // Each of the two dot products is within γ_K Σ|x_f y_f| <= γ_K |x| |y| of the exact one (γ_K ~ K u, u = 2^-24),
            // and the bias additions round once more each: the bound is doubled for safety.
            float scale = (UserRowNorm(u) * _maxItemNorm) + MathF.Abs(offset) + _maxAbsItemBias;
            float epsilon = 2f * (((2 * _factors) + 8) * (1f / (1 << 24))) * scale;
            threshold = heap[0] - (2 * epsilon);
            if (!float.IsFinite(threshold))
            {
                // Infinite or NaN factors: no bound holds, so every eligible item is re-scored.
                threshold = float.NegativeInfinity;
            }
        }

        ArrayPool<float>.Shared.Return(heap);

        var candidates = new List<(int Item, float Score)>(k + 16);
        for (int i = 0; i < row.Length; i++)
        {
            if (row[i] >= threshold)
            {
                float exact = Exact(u, i);
                if (!float.IsNaN(exact))
                {
                    candidates.Add((i, exact));
                }
            }
        }

        candidates.Sort(static (a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Item.CompareTo(b.Item));
        int take = Math.Min(k, candidates.Count);
        int[] items = new int[take];
        float[] scores = new float[take];
        for (int r = 0; r < take; r++)
        {
            (items[r], scores[r]) = candidates[r];
        }

        return (items, scores);
    }

    private float UserRowNorm(int u) => TensorPrimitives.Norm(UserRow(u));

    private static void SiftUp(float[] heap, int pos)
    {
        while (pos > 0)
        {
            int parent = (pos - 1) / 2;
            if (heap[parent] <= heap[pos])
            {
                break;
            }

            (heap[parent], heap[pos]) = (heap[pos], heap[parent]);
            pos = parent;
        }
    }

    private static void SiftDown(float[] heap, int size)
    {
        int pos = 0;
        while (true)
        {
            int left = (2 * pos) + 1;
            if (left >= size)
            {
                break;
            }

            int least = left + 1 < size && heap[left + 1] < heap[left] ? left + 1 : left;
            if (heap[pos] <= heap[least])
            {
                break;
            }

            (heap[pos], heap[least]) = (heap[least], heap[pos]);
            pos = least;
        }
    }
}
