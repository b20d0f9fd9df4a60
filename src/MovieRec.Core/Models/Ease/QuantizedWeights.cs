using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace MovieRec.Core.Models.Ease;

/// <summary>
/// A 16-bit copy of EASE's m x m float weights B for a first pass over a user's rows (half the bytes of the floats).
/// Column c is scaled by s_c = max_r |B[r, c]| / 32767 and rounded, so |B[r, c] - s_c q[r, c]| is at most s_c / 2, and
/// the sum of any n rows is exact in 32-bit integers (n * 32767 stays below 2^31 for n up to 65,536; m is at most 20,000).
/// <see cref="Bounds"/> turns the integer sums into an interval around the float sum that <see cref="EaseModel"/> computes
/// (row by row in float), so only the movies whose interval reaches the k-th best need their float sums.
/// </summary>
internal sealed class QuantizedWeights
{
    private const double Levels = 32767;

    // 2^-21: covers the rounding of the scale to float, of the integer sum to float, of their product and of the
    // interval's ends (each at most 2^-24 relative, four of them).
    private const float ScalingError = 1f / (1 << 21);

    private readonly short[] _values;
    private readonly float[] _scale;
    private readonly float[] _halfStep;
    private readonly float[] _absoluteSum;

    private QuantizedWeights(int columns, int stride, short[] values, float[] scale, float[] halfStep, float[] absoluteSum)
    {
        Columns = columns;
        Stride = stride;
        _values = values;
        _scale = scale;
        _halfStep = halfStep;
        _absoluteSum = absoluteSum;
    }

    /// <summary>Columns (the selected movies).</summary>
    public int Columns { get; }

    /// <summary>Row length in the copy: the columns rounded up to a multiple of 16 (the padding is zero).</summary>
    public int Stride { get; }

    /// <summary>Quantises the row-major m x m <paramref name="weights"/>.</summary>
    public static QuantizedWeights Build(float[] weights, int m)
    {
        int stride = (m + 15) & ~15;
        double[] largest = new double[m];
        double[] absolute = new double[m];
        for (int r = 0; r < m; r++)
        {
            ReadOnlySpan<float> row = weights.AsSpan(r * m, m);
            for (int c = 0; c < m; c++)
            {
                double a = Math.Abs((double)row[c]);
                largest[c] = Math.Max(largest[c], a);
                absolute[c] += a;
            }
        }

        float[] scale = new float[stride];
        float[] halfStep = new float[stride];
        float[] absoluteSum = new float[stride];
        double[] step = new double[m];
        for (int c = 0; c < m; c++)
        {
            step[c] = largest[c] / Levels;
            scale[c] = (float)step[c];

            // Upper bounds in reals: rounding B / s to an integer is off by at most half a step, plus the division's own
            // rounding (2^-53 of at most 32767 steps); the margins also cover the conversions to float.
            halfStep[c] = (float)(step[c] * (0.5 + 1e-9) * (1 + 1e-6));
            absoluteSum[c] = (float)(absolute[c] * (1 + 1e-6));
        }

        short[] values = new short[(long)m * stride];
        Parallel.For(0, m, r =>
        {
            ReadOnlySpan<float> row = weights.AsSpan(r * m, m);
            Span<short> target = values.AsSpan(r * stride, m);
            for (int c = 0; c < m; c++)
            {
                target[c] = step[c] == 0 ? (short)0 : (short)Math.Clamp(Math.Round(row[c] / step[c]), -Levels, Levels);
            }
        });

        return new QuantizedWeights(m, stride, values, scale, halfStep, absoluteSum);
    }

    /// <summary>sums[c] = the sum over <paramref name="rows"/> of q[r, c] (exact); <paramref name="sums"/> holds at least <see cref="Stride"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Sum(ReadOnlySpan<int> rows, Span<int> sums)
    {
        int stride = Stride;
        sums = sums[..stride];
        sums.Clear();
        ref int acc = ref MemoryMarshal.GetReference(sums);
        ref short first = ref MemoryMarshal.GetArrayDataReference(_values);
        int p = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            // Four rows per pass over the sums: integer sums do not depend on the order.
            for (; p + 4 <= rows.Length; p += 4)
            {
                ref short r0 = ref Unsafe.Add(ref first, (nint)rows[p] * stride);
                ref short r1 = ref Unsafe.Add(ref first, (nint)rows[p + 1] * stride);
                ref short r2 = ref Unsafe.Add(ref first, (nint)rows[p + 2] * stride);
                ref short r3 = ref Unsafe.Add(ref first, (nint)rows[p + 3] * stride);
                for (nuint c = 0; c < (nuint)stride; c += 16)
                {
                    (Vector256<int> l0, Vector256<int> h0) = Vector256.Widen(Vector256.LoadUnsafe(ref r0, c));
                    (Vector256<int> l1, Vector256<int> h1) = Vector256.Widen(Vector256.LoadUnsafe(ref r1, c));
                    (Vector256<int> l2, Vector256<int> h2) = Vector256.Widen(Vector256.LoadUnsafe(ref r2, c));
                    (Vector256<int> l3, Vector256<int> h3) = Vector256.Widen(Vector256.LoadUnsafe(ref r3, c));
                    (Vector256.LoadUnsafe(ref acc, c) + ((l0 + l1) + (l2 + l3))).StoreUnsafe(ref acc, c);
                    (Vector256.LoadUnsafe(ref acc, c + 8) + ((h0 + h1) + (h2 + h3))).StoreUnsafe(ref acc, c + 8);
                }
            }

            for (; p < rows.Length; p++)
            {
                ref short r0 = ref Unsafe.Add(ref first, (nint)rows[p] * stride);
                for (nuint c = 0; c < (nuint)stride; c += 16)
                {
                    (Vector256<int> l0, Vector256<int> h0) = Vector256.Widen(Vector256.LoadUnsafe(ref r0, c));
                    (Vector256.LoadUnsafe(ref acc, c) + l0).StoreUnsafe(ref acc, c);
                    (Vector256.LoadUnsafe(ref acc, c + 8) + h0).StoreUnsafe(ref acc, c + 8);
                }
            }

            return;
        }

        for (; p < rows.Length; p++)
        {
            ReadOnlySpan<short> row = _values.AsSpan(rows[p] * stride, stride);
            for (int c = 0; c < stride; c++)
            {
                sums[c] += row[c];
            }
        }
    }

    /// <summary>
    /// For each column, an interval [lower, upper] that holds the float sum of the same n rows' float weights added one
    /// row at a time in any order: the scaled integer sum, widened by the quantisation (n half steps), the float sum's own
    /// rounding (gamma_n = n u / (1 - n u), u = 2^-24, times the column's absolute sum, which bounds the n terms' absolute
    /// sum) and the scaling's rounding.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Bounds(int n, ReadOnlySpan<int> sums, Span<float> lower, Span<float> upper)
    {
        int m = Columns;
        double u = 1.0 / (1 << 24);
        float gamma = (float)(n * u / (1 - (n * u)) * (1 + 1e-6));
        float rows = n;
        const float Margin = 1 + 1e-5f;
        int c = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref int sum = ref MemoryMarshal.GetReference(sums);
            ref float scale = ref MemoryMarshal.GetArrayDataReference(_scale);
            ref float half = ref MemoryMarshal.GetArrayDataReference(_halfStep);
            ref float absolute = ref MemoryMarshal.GetArrayDataReference(_absoluteSum);
            ref float low = ref MemoryMarshal.GetReference(lower);
            ref float high = ref MemoryMarshal.GetReference(upper);
            for (; c <= m - Vector256<float>.Count; c += Vector256<float>.Count)
            {
                Vector256<float> a = Vector256.LoadUnsafe(ref scale, (nuint)c) * Vector256.ConvertToSingle(Vector256.LoadUnsafe(ref sum, (nuint)c));
                Vector256<float> t = ((Vector256.Create(rows) * Vector256.LoadUnsafe(ref half, (nuint)c))
                    + (Vector256.Create(gamma) * Vector256.LoadUnsafe(ref absolute, (nuint)c))
                    + (Vector256.Create(ScalingError) * Vector256.Abs(a))) * Vector256.Create(Margin);
                (a - t).StoreUnsafe(ref low, (nuint)c);
                (a + t).StoreUnsafe(ref high, (nuint)c);
            }
        }

        for (; c < m; c++)
        {
            float a = _scale[c] * (float)sums[c];
            float t = ((rows * _halfStep[c]) + (gamma * _absoluteSum[c]) + (ScalingError * Math.Abs(a))) * Margin;
            lower[c] = a - t;
            upper[c] = a + t;
        }
    }
}
