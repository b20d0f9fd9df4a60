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

    /// <summary>Users scored together against a panel: 12 accumulators, enough to keep both FMA pipes busy, in 16 registers.</summary>
    private const int UserTile = 6;

    /// <summary>Users sharing one pass over all the item panels (24 rows of 9.7k scores, about 1 MB, stay near L2).</summary>
    private const int UserBlock = 24;

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
            // One panel (K x 16 floats) stays in L1 while every tile of the block passes over it.
            ref float panel = ref Unsafe.Add(ref panels, p * k * PanelWidth);
            for (int t = 0; t < count; t += UserTile)
            {
                // A short last tile repeats its last user; the extra rows are not stored.
                int n = Math.Min(UserTile, count - t);
                ref float x0 = ref MemoryMarshal.GetReference(UserRow(users[first + t]));
                ref float x1 = ref MemoryMarshal.GetReference(UserRow(users[first + t + Math.Min(1, n - 1)]));
                ref float x2 = ref MemoryMarshal.GetReference(UserRow(users[first + t + Math.Min(2, n - 1)]));
                ref float x3 = ref MemoryMarshal.GetReference(UserRow(users[first + t + Math.Min(3, n - 1)]));
                ref float x4 = ref MemoryMarshal.GetReference(UserRow(users[first + t + Math.Min(4, n - 1)]));
                ref float x5 = ref MemoryMarshal.GetReference(UserRow(users[first + t + Math.Min(5, n - 1)]));
                Vector256<float> a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default;
                Vector256<float> a3 = default, b3 = default, a4 = default, b4 = default, a5 = default, b5 = default;
                for (int f = 0; f < k; f++)
                {
                    Vector256<float> lo = Vector256.LoadUnsafe(ref panel, (nuint)(f * PanelWidth));
                    Vector256<float> hi = Vector256.LoadUnsafe(ref panel, (nuint)((f * PanelWidth) + 8));
                    var s = Vector256.Create(Unsafe.Add(ref x0, f));
                    a0 = Vector256.MultiplyAddEstimate(s, lo, a0);
                    b0 = Vector256.MultiplyAddEstimate(s, hi, b0);
                    s = Vector256.Create(Unsafe.Add(ref x1, f));
                    a1 = Vector256.MultiplyAddEstimate(s, lo, a1);
                    b1 = Vector256.MultiplyAddEstimate(s, hi, b1);
                    s = Vector256.Create(Unsafe.Add(ref x2, f));
                    a2 = Vector256.MultiplyAddEstimate(s, lo, a2);
                    b2 = Vector256.MultiplyAddEstimate(s, hi, b2);
                    s = Vector256.Create(Unsafe.Add(ref x3, f));
                    a3 = Vector256.MultiplyAddEstimate(s, lo, a3);
                    b3 = Vector256.MultiplyAddEstimate(s, hi, b3);
                    s = Vector256.Create(Unsafe.Add(ref x4, f));
                    a4 = Vector256.MultiplyAddEstimate(s, lo, a4);
                    b4 = Vector256.MultiplyAddEstimate(s, hi, b4);
                    s = Vector256.Create(Unsafe.Add(ref x5, f));
                    a5 = Vector256.MultiplyAddEstimate(s, lo, a5);
                    b5 = Vector256.MultiplyAddEstimate(s, hi, b5);
                }

                ref float o = ref Unsafe.Add(ref output, (t * stride) + (p * PanelWidth));
                Store(ref o, 0, a0, b0);
                if (n > 1)
                {
                    Store(ref o, stride, a1, b1);
                }

                if (n > 2)
                {
                    Store(ref o, 2 * stride, a2, b2);
                }

                if (n > 3)
                {
                    Store(ref o, 3 * stride, a3, b3);
                }

                if (n > 4)
                {
                    Store(ref o, 4 * stride, a4, b4);
                }

                if (n > 5)
                {
                    Store(ref o, 5 * stride, a5, b5);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(ref float row, int at, Vector256<float> lo, Vector256<float> hi)
    {
        lo.StoreUnsafe(ref row, (nuint)at);
        hi.StoreUnsafe(ref row, (nuint)(at + 8));
    }

    /// <summary>One user's exact top-k from their row of product scores (see the class remarks), in one pass over the row.</summary>
    private (int[] Items, float[] Scores) Select(int u, Span<float> row, int k, bool excludeRated, bool[]? allowed)
    {
        // NaN marks what is not eligible.
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

        // Each of the two dot products is within γ_K Σ|x_f y_f| <= γ_K |x| |y| of the exact one (γ_K ~ K u, u = 2^-24), and
        // the bias additions round once more each; ε doubles that bound, and the two sides together differ by at most 2ε.
        float offset = _mf is null ? 0 : _mf.GlobalMean + _mf.UserBias(u);
        float scale = (UserRowNorm(u) * _maxItemNorm) + MathF.Abs(offset) + _maxAbsItemBias;
        float margin = 2f * 2f * (((2 * _factors) + 8) * (1f / (1 << 24))) * scale;
        if (!float.IsFinite(margin))
        {
            // Infinite or NaN factors: no bound holds, so every eligible item is re-scored.
            margin = float.PositiveInfinity;
        }

        // A min-heap of the k best product scores so far; an item is a candidate when it is within the margin of the
        // k-th best seen before it (that floor only rises, so the final floor keeps every item of the true top-k).
        bool bounded = k <= row.Length;
        Span<float> heap = !bounded ? default : k <= 256 ? stackalloc float[k] : new float[k];
        int size = 0;
        float floor = float.NegativeInfinity;
        var candidates = new List<int>(Math.Min(row.Length, k + 32));
        for (int i = 0; i < row.Length; i++)
        {
            float s = _mf is null ? row[i] : offset + _mf.ItemBias(i) + row[i];
            if (!(s >= floor))
            {
                continue; // below the floor, or NaN
            }

            row[i] = s;
            candidates.Add(i);
            if (!bounded)
            {
                continue;
            }

            if (size < k)
            {
                heap[size] = s;
                SiftUp(heap, size++);
            }
            else if (s > heap[0])
            {
                heap[0] = s;
                SiftDown(heap, size);
            }
            else
            {
                continue;
            }

            if (size == k)
            {
                floor = heap[0] - margin;
            }
        }

        var exact = new List<(int Item, float Score)>(Math.Min(candidates.Count, k + 32));
        foreach (int i in candidates)
        {
            if (row[i] >= floor)
            {
                float score = Exact(u, i);
                if (!float.IsNaN(score))
                {
                    exact.Add((i, score));
                }
            }
        }

        exact.Sort(static (a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Item.CompareTo(b.Item));
        int take = Math.Min(k, exact.Count);
        int[] items = new int[take];
        float[] scores = new float[take];
        for (int r = 0; r < take; r++)
        {
            (items[r], scores[r]) = exact[r];
        }

        return (items, scores);
    }

    private float UserRowNorm(int u) => TensorPrimitives.Norm(UserRow(u));

    private static void SiftUp(Span<float> heap, int pos)
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

    private static void SiftDown(Span<float> heap, int size)
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
