using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MovieRec.Core.Numerics;

/// <summary>
/// An 8-bit copy of an item-factor matrix for scoring every item against one user vector: each item's factors scaled
/// by its own largest magnitude to integers in [-127, 127], the user vector to 16-bit integers, and the dot products
/// summed exactly in 32-bit integers (AVX2 <c>vpmaddwd</c> over panels of <see cref="PanelItems"/> items, pairs of
/// factors side by side). A quarter of the float matrix streams through the cache per request. The quantised dot
/// products differ from the float ones by at most the bound <see cref="Dots(ReadOnlySpan{float}, Span{float})"/> returns, computed from the quantisation
/// errors of the user and of the items, so <see cref="Top"/> re-scores exactly the items within it of the cut and
/// returns the same top-k as the model's float scoring. Integer sums make the approximate scores the same on every
/// processor (the scalar path computes the same integers).
/// </summary>
public sealed class QuantizedFactors
{
    /// <summary>Items per panel: eight 32-bit lanes of eight vectors.</summary>
    public const int PanelItems = 64;

    private const int ItemLevels = 127;

    private readonly sbyte[] _packed; // panel, factor pair, item in panel, factor of the pair
    private readonly float[] _scales; // per item (padded): factor = scale * integer
    private readonly int _pairs;
    private readonly short _userLevels;

    public QuantizedFactors(ReadOnlySpan<float> rowMajor, int count, int factors)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(factors);
        if (rowMajor.Length != (long)count * factors)
        {
            throw new ArgumentException("The factor matrix does not hold count x factors values.", nameof(rowMajor));
        }

        Count = count;
        Factors = factors;
        _pairs = (factors + 1) / 2;
        Panels = (count + PanelItems - 1) / PanelItems;
        // |sum| <= 2 * pairs * 127 * userLevels must stay below 2^31.
        _userLevels = (short)Math.Min(short.MaxValue, int.MaxValue / (2L * _pairs * ItemLevels));
        _packed = new sbyte[(long)Panels * _pairs * PanelItems * 2];
        _scales = new float[Panels * PanelItems];
        double maxNorm = 0, maxError = 0;
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<float> row = rowMajor.Slice(i * factors, factors);
            float largest = TensorPrimitives.MaxMagnitude(row);
            largest = MathF.Abs(largest);
            if (!float.IsFinite(largest))
            {
                throw new ArgumentException($"Item {i} has a factor that is not finite.", nameof(rowMajor));
            }

            float scale = largest / ItemLevels;
            _scales[i] = scale;
            int panel = i / PanelItems, lane = i % PanelItems;
            long at = ((long)panel * _pairs * PanelItems * 2) + (lane * 2);
            double norm = 0, error = 0;
            for (int f = 0; f < factors; f++)
            {
                int level = scale == 0 ? 0 : Math.Clamp((int)MathF.Round(row[f] / scale), -ItemLevels, ItemLevels);
                _packed[at + ((f / 2) * PanelItems * 2) + (f % 2)] = (sbyte)level;
                double d = row[f] - ((double)scale * level);
                error += d * d;
                norm += (double)row[f] * row[f];
            }

            maxNorm = Math.Max(maxNorm, Math.Sqrt(norm));
            maxError = Math.Max(maxError, Math.Sqrt(error));
        }

        MaxNorm = maxNorm;
        MaxError = maxError;
    }

    public int Count { get; }

    public int Factors { get; }

    /// <summary>Panels of <see cref="PanelItems"/> items (the last padded with zeros).</summary>
    public int Panels { get; }

    /// <summary>Length a buffer for <see cref="Dots(ReadOnlySpan{float}, Span{float})"/> must have: the item count rounded up to whole panels.</summary>
    public int PaddedCount => Panels * PanelItems;

    /// <summary>The largest Euclidean norm of an item's float factors.</summary>
    public double MaxNorm { get; }

    /// <summary>The largest Euclidean norm of an item's quantisation error (float factors minus scale x integers).</summary>
    public double MaxError { get; }

    /// <summary>
    /// dots[i] ≈ user · item i for every item (dots holds <see cref="PaddedCount"/> values; the padding gets zeros), and
    /// the bound on |dots[i] − user · item i| for this user: |u − ũ| |p_i| + |ũ| |p_i − p̃_i| for the quantised user ũ and
    /// items p̃_i, plus float rounding of the final scaling.
    /// </summary>
    public double Dots(ReadOnlySpan<float> user, Span<float> dots) => Dots(user, dots, Avx2.IsSupported);

    /// <summary><see cref="Dots(ReadOnlySpan{float}, Span{float})"/> through the AVX2 kernel or the scalar one (tests compare them).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal double Dots(ReadOnlySpan<float> user, Span<float> dots, bool vectorized)
    {
        if (user.Length != Factors)
        {
            throw new ArgumentException("The user vector's length is not the factor count.", nameof(user));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(dots.Length, PaddedCount, nameof(dots));
        float largest = MathF.Abs(TensorPrimitives.MaxMagnitude(user));
        if (!float.IsFinite(largest))
        {
            return double.PositiveInfinity;
        }

        float userScale = largest / _userLevels;
        Span<int> pairs = _pairs <= 512 ? stackalloc int[_pairs] : new int[_pairs];
        pairs.Clear();
        double quantisedNorm = 0, userError = 0;
        for (int f = 0; f < 2 * _pairs; f++)
        {
            float value = f < Factors ? user[f] : 0;
            int level = userScale == 0 ? 0 : Math.Clamp((int)MathF.Round(value / userScale), -_userLevels, _userLevels);
            double q = (double)userScale * level, d = value - q;
            quantisedNorm += q * q;
            userError += d * d;
            pairs[f / 2] |= f % 2 == 0 ? (ushort)(short)level : level << 16;
        }

        if (vectorized && Avx2.IsSupported)
        {
            DotsAvx2(pairs, userScale, dots);
        }
        else
        {
            DotsScalar(pairs, userScale, dots);
        }

        double exactNorm = Math.Sqrt(userError) * MaxNorm, itemsError = Math.Sqrt(quantisedNorm) * MaxError;
        // The integer sum is exact; converting it and scaling by userScale * scale rounds three times (relative 2^-24 each)
        // a value at most |ũ| (|p_i| + error).
        double rounding = 4 * Math.ScaleB(1.0, -24) * Math.Sqrt(quantisedNorm) * (MaxNorm + MaxError);
        return (exactNorm + itemsError + rounding) * (1 + 1e-6);
    }

    /// <summary>
    /// The top k of score_i = constant + itemTerms[i] + user · item i (itemTerms may be empty), exactly as
    /// <see cref="TopK.Select"/> over <paramref name="exact"/> would rank them: every item scored from the quantised copy,
    /// then the items within the quantisation bound of the cut re-scored with <paramref name="exact"/>, the model's own
    /// formula. <paramref name="offsetMagnitude"/> bounds |constant| + |itemTerms[i]|.
    /// </summary>
    public RankedTop Top(ReadOnlySpan<float> user, float constant, ReadOnlySpan<float> itemTerms, float offsetMagnitude, int k,
        ReadOnlySpan<int> excludeSorted, Func<int, bool>? include, Func<int, float> exact)
    {
        ArgumentNullException.ThrowIfNull(exact);
        float[] buffer = ArrayPool<float>.Shared.Rent(PaddedCount);
        try
        {
            Span<float> approximate = buffer.AsSpan(0, PaddedCount);
            double bound = Dots(user, approximate);
            approximate = approximate[..Count];
            if (!itemTerms.IsEmpty)
            {
                TensorPrimitives.Add(approximate, itemTerms, approximate);
            }

            if (constant != 0)
            {
                TensorPrimitives.Add(approximate, constant, approximate);
            }

            // Adding the offsets rounds too, and the exact side is itself a float evaluation: the float bound of both.
            double tolerance = bound + (4.0 * (Factors + 8) * Math.ScaleB(1.0, -24) * (offsetMagnitude + (TensorPrimitives.Norm(user) * MaxNorm)));
            if (!double.IsFinite(tolerance) || tolerance >= float.MaxValue)
            {
                // Factors too large to bound: score every item exactly.
                for (int i = 0; i < approximate.Length; i++)
                {
                    approximate[i] = exact(i);
                }

                return RankedTop.FromScores(approximate, k, excludeSorted, include);
            }

            return TopK.SelectRefined(approximate, (float)(tolerance * (1 + 1e-6)), k, excludeSorted, include, exact);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    private void DotsAvx2(ReadOnlySpan<int> pairs, float userScale, Span<float> dots)
    {
        ref sbyte packed = ref MemoryMarshal.GetArrayDataReference(_packed);
        ref float scales = ref MemoryMarshal.GetArrayDataReference(_scales);
        ref float output = ref MemoryMarshal.GetReference(dots);
        int panelBytes = _pairs * PanelItems * 2;
        var userScales = Vector256.Create(userScale);
        for (int panel = 0; panel < Panels; panel++)
        {
            ref sbyte p = ref Unsafe.Add(ref packed, (nint)panel * panelBytes);
            Vector256<int> a0 = Vector256<int>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            for (int pr = 0; pr < pairs.Length; pr++)
            {
                Vector256<short> u = Vector256.Create(pairs[pr]).AsInt16();
                ref sbyte row = ref Unsafe.Add(ref p, pr * PanelItems * 2);
                a0 = Avx2.Add(a0, Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref row)), u));
                a1 = Avx2.Add(a1, Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref row, 16)), u));
                a2 = Avx2.Add(a2, Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref row, 32)), u));
                a3 = Avx2.Add(a3, Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref row, 48)), u));
                a4 = Avx2.Add(a4, Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref row, 64)), u));
                a5 = Avx2.Add(a5, Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref row, 80)), u));
                a6 = Avx2.Add(a6, Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref row, 96)), u));
                a7 = Avx2.Add(a7, Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref row, 112)), u));
            }

            int at = panel * PanelItems;
            Store(a0, ref scales, ref output, at, userScales);
            Store(a1, ref scales, ref output, at + 8, userScales);
            Store(a2, ref scales, ref output, at + 16, userScales);
            Store(a3, ref scales, ref output, at + 24, userScales);
            Store(a4, ref scales, ref output, at + 32, userScales);
            Store(a5, ref scales, ref output, at + 40, userScales);
            Store(a6, ref scales, ref output, at + 48, userScales);
            Store(a7, ref scales, ref output, at + 56, userScales);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector256<int> sums, ref float scales, ref float output, int at, Vector256<float> userScales) =>
        (Vector256.ConvertToSingle(sums) * (userScales * Vector256.LoadUnsafe(ref scales, (nuint)at))).StoreUnsafe(ref output, (nuint)at);

    private void DotsScalar(ReadOnlySpan<int> pairs, float userScale, Span<float> dots)
    {
        int panelBytes = _pairs * PanelItems * 2;
        for (int i = 0; i < PaddedCount; i++)
        {
            int panel = i / PanelItems, lane = i % PanelItems, sum = 0;
            long at = ((long)panel * panelBytes) + (lane * 2);
            for (int pr = 0; pr < pairs.Length; pr++)
            {
                long p = at + (pr * PanelItems * 2);
                sum += (_packed[p] * (short)pairs[pr]) + (_packed[p + 1] * (pairs[pr] >> 16));
            }

            dots[i] = sum * (userScale * _scales[i]);
        }
    }
}
