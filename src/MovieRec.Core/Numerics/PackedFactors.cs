using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace MovieRec.Core.Numerics;

/// <summary>
/// A copy of an item-factor matrix (row-major, one row of <see cref="Factors"/> per item) packed for scoring every item
/// against one user vector: items in panels of <see cref="PanelItems"/>, each panel factor-major, so one pass streams the
/// matrix once through eight independent SIMD accumulators instead of one short dot product per item. The dot products
/// it gives are approximate only in float rounding (a different summation order); <see cref="Tolerance"/> bounds the
/// difference from any other float evaluation, which lets a caller re-score the few items near a cut exactly.
/// </summary>
public sealed class PackedFactors
{
    /// <summary>Items per panel: eight 8-lane vectors, enough independent sums to hide the multiply-add latency.</summary>
    public const int PanelItems = 64;

    private const int Lanes = 8;

    private readonly float[] _packed;

    public PackedFactors(ReadOnlySpan<float> rowMajor, int count, int factors)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(factors);
        if (rowMajor.Length != (long)count * factors)
        {
            throw new ArgumentException("The factor matrix does not hold count x factors values.", nameof(rowMajor));
        }

        Count = count;
        Factors = factors;
        Panels = (count + PanelItems - 1) / PanelItems;
        _packed = new float[Panels * PanelItems * factors];
        float maxNorm = 0;
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<float> row = rowMajor.Slice(i * factors, factors);
            int panel = i / PanelItems, lane = i % PanelItems;
            int at = (panel * PanelItems * factors) + lane;
            for (int f = 0; f < factors; f++)
            {
                _packed[at + (f * PanelItems)] = row[f];
            }

            maxNorm = MathF.Max(maxNorm, TensorPrimitives.Norm(row));
        }

        MaxNorm = maxNorm;
    }

    public int Count { get; }

    public int Factors { get; }

    /// <summary>Panels of <see cref="PanelItems"/> items (the last padded with zeros).</summary>
    public int Panels { get; }

    /// <summary>The largest Euclidean norm of an item's factors.</summary>
    public float MaxNorm { get; }

    /// <summary>Length a buffer for <see cref="Dots"/> must have: the item count rounded up to whole panels.</summary>
    public int PaddedCount => Panels * PanelItems;

    /// <summary>
    /// A bound on |a − b| for a = offset + this class's dot product of an item and b = the same sum evaluated any other
    /// way in float (another order, with or without fused multiply-adds, the offset terms added one by one), given the
    /// sum of the offset terms' magnitudes and the user vector's norm. Twice the textbook bound of each side.
    /// </summary>
    public float Tolerance(float offsetMagnitude, float userNorm) =>
        4f * (Factors + 8) * MathF.ScaleB(1f, -24) * (offsetMagnitude + (userNorm * MaxNorm));

    /// <summary>
    /// The top k of score_i = constant + itemTerms[i] + user · item i (itemTerms may be empty), exactly as
    /// <see cref="TopK.Select"/> over <paramref name="exact"/> would rank them: every item scored from the packed copy,
    /// then the items near the cut re-scored with <paramref name="exact"/>, the model's own formula.
    /// <paramref name="offsetMagnitude"/> bounds |constant| + |itemTerms[i]| (for <see cref="Tolerance"/>).
    /// </summary>
    public RankedTop Top(ReadOnlySpan<float> user, float constant, ReadOnlySpan<float> itemTerms, float offsetMagnitude, int k,
        ReadOnlySpan<int> excludeSorted, Func<int, bool>? include, Func<int, float> exact)
    {
        ArgumentNullException.ThrowIfNull(exact);
        float tolerance = Tolerance(offsetMagnitude, TensorPrimitives.Norm(user));
        float[] buffer = ArrayPool<float>.Shared.Rent(PaddedCount);
        try
        {
            Span<float> approximate = buffer.AsSpan(0, PaddedCount);
            Dots(user, approximate);
            approximate = approximate[..Count];
            if (!itemTerms.IsEmpty)
            {
                TensorPrimitives.Add(approximate, itemTerms, approximate);
            }

            if (constant != 0)
            {
                TensorPrimitives.Add(approximate, constant, approximate);
            }

            if (!float.IsFinite(tolerance))
            {
                // Factors too large to bound the rounding: score every item exactly.
                for (int i = 0; i < approximate.Length; i++)
                {
                    approximate[i] = exact(i);
                }

                return RankedTop.FromScores(approximate, k, excludeSorted, include);
            }

            return TopK.SelectRefined(approximate, tolerance, k, excludeSorted, include, exact);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    /// <summary>dots[i] = user · item i for every item (dots holds <see cref="PaddedCount"/> values; the padding gets zeros).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Dots(ReadOnlySpan<float> user, Span<float> dots)
    {
        if (user.Length != Factors)
        {
            throw new ArgumentException("The user vector's length is not the factor count.", nameof(user));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(dots.Length, PaddedCount, nameof(dots));
        int k = Factors;
        ref float packed = ref MemoryMarshal.GetArrayDataReference(_packed);
        ref float u = ref MemoryMarshal.GetReference(user);
        ref float output = ref MemoryMarshal.GetReference(dots);
        for (int panel = 0; panel < Panels; panel++)
        {
            ref float p = ref Unsafe.Add(ref packed, panel * PanelItems * k);
            Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            for (int f = 0; f < k; f++)
            {
                Vector256<float> x = Vector256.Create(Unsafe.Add(ref u, f));
                ref float row = ref Unsafe.Add(ref p, f * PanelItems);
                a0 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref row), a0);
                a1 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref row, Lanes), a1);
                a2 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref row, 2 * Lanes), a2);
                a3 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref row, 3 * Lanes), a3);
                a4 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref row, 4 * Lanes), a4);
                a5 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref row, 5 * Lanes), a5);
                a6 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref row, 6 * Lanes), a6);
                a7 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref row, 7 * Lanes), a7);
            }

            ref float o = ref Unsafe.Add(ref output, panel * PanelItems);
            a0.StoreUnsafe(ref o);
            a1.StoreUnsafe(ref o, Lanes);
            a2.StoreUnsafe(ref o, 2 * Lanes);
            a3.StoreUnsafe(ref o, 3 * Lanes);
            a4.StoreUnsafe(ref o, 4 * Lanes);
            a5.StoreUnsafe(ref o, 5 * Lanes);
            a6.StoreUnsafe(ref o, 6 * Lanes);
            a7.StoreUnsafe(ref o, 7 * Lanes);
        }
    }
}
