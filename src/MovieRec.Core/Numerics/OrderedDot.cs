using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MovieRec.Core.Numerics;

/// <summary>
/// Dot products and multiply-adds over factor rows that give the same floats as <see cref="TensorPrimitives.Dot{T}(ReadOnlySpan{T}, ReadOnlySpan{T})"/>
/// and <see cref="TensorPrimitives.MultiplyAdd{T}(ReadOnlySpan{T}, T, ReadOnlySpan{T}, Span{T})"/>, bit for bit, but fused into loops
/// over many rows, so that a hot loop pays no call, length check or dispatch per row. <c>TensorPrimitives.Dot</c> multiplies
/// vector by vector and adds the products into one vector accumulator in a fixed chunk order (which depends on the length
/// only, never on alignment, for float), then sums the accumulator's lanes; <see cref="For"/> records that order for one
/// length, and the methods here add in it. Used where the length is a multiple of the widest accelerated vector
/// (<see cref="Width"/>); <see cref="For"/> returns null otherwise and callers keep <c>TensorPrimitives</c>.
/// The multiply-add is <c>(x * s) + z</c> per element, not fused, as <c>TensorPrimitives.MultiplyAdd</c>.
/// </summary>
internal sealed class OrderedDot
{
    private OrderedDot(int length, int width, int[] order)
    {
        Length = length;
        Width = width;
        Order = order;
    }

    /// <summary>Floats per vector of the widest accelerated vector type (16 or 8), 0 when neither 512 nor 256 bits is.</summary>
    public static int WidestWidth =>
        Vector512.IsHardwareAccelerated && Vector512<float>.IsSupported ? Vector512<float>.Count
        : Vector256.IsHardwareAccelerated && Vector256<float>.IsSupported ? Vector256<float>.Count
        : 0;

    /// <summary>The row length.</summary>
    public int Length { get; }

    /// <summary>Floats per vector (16 or 8).</summary>
    public int Width { get; }

    /// <summary>Chunks of <see cref="Width"/> floats in the order <c>TensorPrimitives.Dot</c> adds them.</summary>
    public int[] Order { get; }

    /// <summary>True when the chunks are added first to last, as for lengths up to 8 vectors.</summary>
    public bool Sequential => Order.AsSpan().SequenceEqual(SequentialOrder(Order.Length));

    /// <summary>The kernels for rows of <paramref name="length"/> floats, or null where the length is no multiple of the vector width.</summary>
    public static OrderedDot? For(int length)
    {
        int width = WidestWidth;
        if (width == 0 || length <= 0 || length % width != 0)
        {
            return null;
        }

        return new OrderedDot(length, width, ChunkOrder(length / width));
    }

    /// <summary>
    /// The order in which <c>TensorPrimitives.Dot</c> (its vectorised aggregation) adds the chunks of a row of
    /// <paramref name="chunks"/> vectors: up to 8 vectors, first to last; above, blocks of 8 from the second vector on while
    /// 8 remain, then the first vector, then the rest in order.
    /// </summary>
    internal static int[] ChunkOrder(int chunks)
    {
        if (chunks <= 8)
        {
            return SequentialOrder(chunks);
        }

        var order = new List<int>(chunks);
        int next = 1, remaining = chunks - 1;
        while (remaining >= 8)
        {
            for (int c = 0; c < 8; c++)
            {
                order.Add(next++);
            }

            remaining -= 8;
        }

        order.Add(0);
        while (next < chunks)
        {
            order.Add(next++);
        }

        return [.. order];
    }

    private static int[] SequentialOrder(int chunks)
    {
        int[] order = new int[chunks];
        for (int c = 0; c < chunks; c++)
        {
            order[c] = c;
        }

        return order;
    }

    /// <summary><c>TensorPrimitives.Dot(a, b)</c> over the first <see cref="Length"/> floats of each.</summary>
    public float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length < Length || b.Length < Length)
        {
            throw new ArgumentException("The spans are shorter than the row length.");
        }

        return Width == 16
            ? Dot512(ref MemoryMarshal.GetReference(a), ref MemoryMarshal.GetReference(b), Order)
            : Dot256(ref MemoryMarshal.GetReference(a), ref MemoryMarshal.GetReference(b), Order);
    }

    /// <summary><paramref name="result"/>[a] = <c>TensorPrimitives.Dot</c>(row a of the row-major <paramref name="matrix"/>, <paramref name="v"/>).</summary>
    [SkipLocalsInit]
    public void MultiplyMatrix(ReadOnlySpan<float> matrix, ReadOnlySpan<float> v, Span<float> result)
    {
        int k = Length;
        if (v.Length < k || matrix.Length < result.Length * k)
        {
            throw new ArgumentException("The matrix, vector and result do not match.");
        }

        ref float m = ref MemoryMarshal.GetReference(matrix);
        ref float x = ref MemoryMarshal.GetReference(v);
        int a = 0;
        if (Width == 16 && Avx512F.IsSupported)
        {
            // 16 rows at a time, their accumulators' lanes summed together (Sum16) rather than one Vector512.Sum each.
            Span<Vector512<float>> sums = stackalloc Vector512<float>[16];
            ref float r = ref MemoryMarshal.GetReference(result);
            for (; a + 16 <= result.Length; a += 16)
            {
                if (k == 64)
                {
                    Vector512<float> v0 = Vector512.LoadUnsafe(ref x, 0), v1 = Vector512.LoadUnsafe(ref x, 16), v2 = Vector512.LoadUnsafe(ref x, 32), v3 = Vector512.LoadUnsafe(ref x, 48);
                    for (int j = 0; j < 16; j++)
                    {
                        ref float row = ref Unsafe.Add(ref m, (nint)(a + j) * 64);
                        sums[j] = Dot4(Vector512.LoadUnsafe(ref row, 0), Vector512.LoadUnsafe(ref row, 16), Vector512.LoadUnsafe(ref row, 32), Vector512.LoadUnsafe(ref row, 48), v0, v1, v2, v3);
                    }
                }
                else
                {
                    for (int j = 0; j < 16; j++)
                    {
                        sums[j] = Accumulator512(ref Unsafe.Add(ref m, (nint)(a + j) * k), ref x, Order);
                    }
                }

                Sum16(sums).StoreUnsafe(ref r, (nuint)a);
            }
        }

        for (; a < result.Length; a++)
        {
            ref float row = ref Unsafe.Add(ref m, (nint)a * k);
            result[a] = Width == 16 ? Dot512(ref row, ref x, Order) : Dot256(ref row, ref x, Order);
        }
    }

    /// <summary>
    /// Adds, for each row n in [<paramref name="from"/>, <paramref name="to"/>) of the row-major <paramref name="rows"/>, row n x
    /// row n's entry <paramref name="a"/> to <paramref name="gramRow"/> as <c>TensorPrimitives.MultiplyAdd(row, row[a], gramRow, gramRow)</c>
    /// would, in row order, but only from the vector that holds column <paramref name="a"/> on (the upper triangle of a
    /// symmetric Gram matrix, whose other entries are the same floats: each entry is a sum of the same products in the same
    /// order). The columns stay in registers over all the rows instead of a load and a store per row.
    /// </summary>
    public void AddRowProducts(ReadOnlySpan<float> rows, int from, int to, int a, Span<float> gramRow)
    {
        int k = Length;
        if ((uint)a >= (uint)k || gramRow.Length < k || from < 0 || to < from || rows.Length < (long)to * k)
        {
            throw new ArgumentException("The rows, column and Gram row do not match.");
        }

        ref float m = ref MemoryMarshal.GetReference(rows);
        ref float g = ref MemoryMarshal.GetReference(gramRow);
        int c = a - (a % Width);
        if (Width == 16)
        {
            for (; c + 64 <= k; c += 64)
            {
                ref float acc = ref Unsafe.Add(ref g, c);
                Vector512<float> g0 = Vector512.LoadUnsafe(ref acc, 0), g1 = Vector512.LoadUnsafe(ref acc, 16), g2 = Vector512.LoadUnsafe(ref acc, 32), g3 = Vector512.LoadUnsafe(ref acc, 48);
                for (int n = from; n < to; n++)
                {
                    ref float row = ref Unsafe.Add(ref m, (nint)n * k);
                    var s = Vector512.Create(Unsafe.Add(ref row, a));
                    ref float y = ref Unsafe.Add(ref row, c);
                    g0 = (Vector512.LoadUnsafe(ref y, 0) * s) + g0;
                    g1 = (Vector512.LoadUnsafe(ref y, 16) * s) + g1;
                    g2 = (Vector512.LoadUnsafe(ref y, 32) * s) + g2;
                    g3 = (Vector512.LoadUnsafe(ref y, 48) * s) + g3;
                }

                g0.StoreUnsafe(ref acc, 0);
                g1.StoreUnsafe(ref acc, 16);
                g2.StoreUnsafe(ref acc, 32);
                g3.StoreUnsafe(ref acc, 48);
            }

            for (; c < k; c += 16)
            {
                Vector512<float> g0 = Vector512.LoadUnsafe(ref g, (nuint)c);
                for (int n = from; n < to; n++)
                {
                    ref float row = ref Unsafe.Add(ref m, (nint)n * k);
                    g0 = (Vector512.LoadUnsafe(ref row, (nuint)c) * Vector512.Create(Unsafe.Add(ref row, a))) + g0;
                }

                g0.StoreUnsafe(ref g, (nuint)c);
            }
        }
        else
        {
            for (; c < k; c += 8)
            {
                Vector256<float> g0 = Vector256.LoadUnsafe(ref g, (nuint)c);
                for (int n = from; n < to; n++)
                {
                    ref float row = ref Unsafe.Add(ref m, (nint)n * k);
                    g0 = (Vector256.LoadUnsafe(ref row, (nuint)c) * Vector256.Create(Unsafe.Add(ref row, a))) + g0;
                }

                g0.StoreUnsafe(ref g, (nuint)c);
            }
        }
    }

    /// <summary>
    /// For each row e of the row-major <paramref name="rows"/> (<paramref name="weight"/>.Length rows of <see cref="Length"/> floats),
    /// with d = <c>TensorPrimitives.Dot</c>(row e, <paramref name="v"/>), adds row e x s_e to <paramref name="accumulator"/> as
    /// <c>TensorPrimitives.MultiplyAdd(row, s_e, accumulator, accumulator)</c>, in row order, where
    /// s_e = <paramref name="offset"/>[e] - <paramref name="weight"/>[e] x d, or s_e = <paramref name="weight"/>[e] x d when
    /// <paramref name="offset"/> is empty.
    /// </summary>
    public void AccumulateRows(ReadOnlySpan<float> rows, ReadOnlySpan<float> weight, ReadOnlySpan<float> offset, ReadOnlySpan<float> v, Span<float> accumulator)
    {
        int k = Length, n = weight.Length;
        if (rows.Length < n * k || v.Length < k || accumulator.Length < k || (!offset.IsEmpty && offset.Length != n))
        {
            throw new ArgumentException("The rows, weights, vector and accumulator do not match.");
        }

        Accumulate(ref MemoryMarshal.GetReference(rows), default, default, weight, offset, v, accumulator);
    }

    // The gather's arguments fit together and every index is a row of a matrix of that many values.
    private void CheckGather(int values, ReadOnlySpan<int> index, Span<float> gathered, ReadOnlySpan<float> weight, ReadOnlySpan<float> offset,
        ReadOnlySpan<float> v, Span<float> accumulator)
    {
        int k = Length, n = weight.Length, rows = values / k;
        if (index.Length != n || gathered.Length < n * k || v.Length < k || accumulator.Length < k || (!offset.IsEmpty && offset.Length != n))
        {
            throw new ArgumentException("The index, rows, weights, vector and accumulator do not match.");
        }

        foreach (int i in index)
        {
            if ((uint)i >= (uint)rows)
            {
                throw new ArgumentOutOfRangeException(nameof(index), i, "A row index is outside the matrix.");
            }
        }
    }

    /// <summary>
    /// As <see cref="AccumulateRows"/> over the rows <paramref name="index"/> of the row-major <paramref name="matrix"/>, which it
    /// also copies, in order, into <paramref name="gathered"/>: one pass both gathers a row's factors and uses them, so the
    /// memory reads of the next rows overlap the arithmetic of this one.
    /// </summary>
    public void GatherAccumulateRows(ReadOnlySpan<float> matrix, ReadOnlySpan<int> index, Span<float> gathered, ReadOnlySpan<float> weight, ReadOnlySpan<float> offset,
        ReadOnlySpan<float> v, Span<float> accumulator)
    {
        CheckGather(matrix.Length, index, gathered, weight, offset, v, accumulator);

        Accumulate(ref MemoryMarshal.GetReference(matrix), index, gathered, weight, offset, v, accumulator);
    }

    /// <summary>
    /// As <see cref="GatherAccumulateRows(ReadOnlySpan{float}, ReadOnlySpan{int}, Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float})"/>
    /// over a matrix held as bfloat16 (<see cref="ToBfloat16"/>): each gathered row is widened to floats exactly
    /// (<see cref="FromBfloat16"/>), so the result is that of the float method over the widened matrix, bit for bit, from half
    /// the bytes.
    /// </summary>
    public void GatherAccumulateRows(ReadOnlySpan<ushort> matrix, ReadOnlySpan<int> index, Span<float> gathered, ReadOnlySpan<float> weight, ReadOnlySpan<float> offset,
        ReadOnlySpan<float> v, Span<float> accumulator)
    {
        CheckGather(matrix.Length, index, gathered, weight, offset, v, accumulator);
        int k = Length, n = weight.Length;
        if (Width == 16 && Length == 64)
        {
            Accumulate512x4(ref Unsafe.NullRef<float>(), ref MemoryMarshal.GetReference(matrix), index, gathered, weight, offset, v, accumulator);
            return;
        }

        // Other lengths: widen the rows into the buffer, then one pass over it.
        for (int e = 0; e < n; e++)
        {
            FromBfloat16(matrix.Slice(index[e] * k, k), gathered.Slice(e * k, k));
        }

        Accumulate(ref MemoryMarshal.GetReference(gathered), default, default, weight, offset, v, accumulator);
    }

    /// <summary>The bfloat16 nearest each float (ties to even): its upper 16 bits after rounding; finite inputs only.</summary>
    public static void ToBfloat16(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        if (destination.Length < source.Length)
        {
            throw new ArgumentException("The destination is shorter than the source.", nameof(destination));
        }

        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            ref uint from = ref Unsafe.As<float, uint>(ref MemoryMarshal.GetReference(source));
            ref ushort to = ref MemoryMarshal.GetReference(destination);
            for (; i + 32 <= source.Length; i += 32)
            {
                Vector512<uint> a = Vector512.LoadUnsafe(ref from, (nuint)i), b = Vector512.LoadUnsafe(ref from, (nuint)(i + 16));
                a = (a + Vector512.Create(0x7FFFu) + ((a >> 16) & Vector512<uint>.One)) >> 16;
                b = (b + Vector512.Create(0x7FFFu) + ((b >> 16) & Vector512<uint>.One)) >> 16;
                Vector512.Narrow(a, b).StoreUnsafe(ref to, (nuint)i);
            }
        }

        for (; i < source.Length; i++)
        {
            uint bits = BitConverter.SingleToUInt32Bits(source[i]);
            destination[i] = (ushort)((bits + 0x7FFFu + ((bits >> 16) & 1)) >> 16);
        }
    }

    /// <summary>The float each bfloat16 stands for, exactly (its bits as the upper half of the float's).</summary>
    public static void FromBfloat16(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        if (destination.Length < source.Length)
        {
            throw new ArgumentException("The destination is shorter than the source.", nameof(destination));
        }

        for (int i = 0; i < source.Length; i++)
        {
            destination[i] = BitConverter.UInt32BitsToSingle((uint)source[i] << 16);
        }
    }

    // rows: the contiguous rows, or with an index the matrix the index points into (rows then copied into gathered).
    private void Accumulate(ref float rows, ReadOnlySpan<int> index, Span<float> gathered, ReadOnlySpan<float> weight, ReadOnlySpan<float> offset,
        ReadOnlySpan<float> v, Span<float> accumulator)
    {
        if (Width == 16 && Length == 64)
        {
            Accumulate512x4(ref rows, ref Unsafe.NullRef<ushort>(), index, gathered, weight, offset, v, accumulator);
        }
        else if (Width == 16)
        {
            Accumulate512(ref rows, index, gathered, weight, offset, v, accumulator);
        }
        else
        {
            Accumulate256(ref rows, index, gathered, weight, offset, v, accumulator);
        }
    }

    private const int PrefetchDistance = 8;

    // Asks for a row's four cache lines ahead of its use; a hint only, which retires at once where a load would wait.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Prefetch(ref float row)
    {
        if (Sse.IsSupported)
        {
            float* p = (float*)Unsafe.AsPointer(ref row);
            Sse.Prefetch0(p);
            Sse.Prefetch0(p + 16);
            Sse.Prefetch0(p + 32);
            Sse.Prefetch0(p + 48);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot512(ref float a, ref float b, int[] order) => Vector512.Sum(Accumulator512(ref a, ref b, order));

    // The vector TensorPrimitives.Dot sums the lanes of at its end.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Accumulator512(ref float a, ref float b, int[] order)
    {
        Vector512<float> sum = Vector512<float>.Zero;
        foreach (int c in order)
        {
            nuint at = (nuint)(c * 16);
            sum += Vector512.LoadUnsafe(ref a, at) * Vector512.LoadUnsafe(ref b, at);
        }

        // TensorPrimitives adds its masked last vector, all identity here, last.
        return sum + Vector512<float>.Zero;
    }

    /// <summary>
    /// Lane j of the result is <c>Vector512.Sum(sums[j])</c>, bit for bit, for 16 vectors at once. Vector512.Sum adds a
    /// vector's 16 lanes as a balanced tree over neighbours: ((l0 + l1) + (l2 + l3)) per 128-bit quarter, then the quarters
    /// pairwise, (q0 + q1) + (q2 + q3). Here every level of that tree is one shuffle pair and one add for all 16 vectors
    /// together (30 shuffles and 15 adds, against 16 x 22 instructions for 16 Vector512.Sum calls).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Sum16(ReadOnlySpan<Vector512<float>> sums)
    {
        // Neighbouring lanes: per 128-bit quarter (a0 + a1, a2 + a3, b0 + b1, b2 + b3).
        Vector512<float> p0 = Pairs(sums[0], sums[1]), p1 = Pairs(sums[2], sums[3]), p2 = Pairs(sums[4], sums[5]), p3 = Pairs(sums[6], sums[7]);
        Vector512<float> p4 = Pairs(sums[8], sums[9]), p5 = Pairs(sums[10], sums[11]), p6 = Pairs(sums[12], sums[13]), p7 = Pairs(sums[14], sums[15]);

        // Quarters: per 128-bit quarter q of the inputs (a_q, b_q, c_q, d_q).
        Vector512<float> q0 = Pairs(p0, p1), q1 = Pairs(p2, p3), q2 = Pairs(p4, p5), q3 = Pairs(p6, p7);

        // Quarter pairs, then the two halves: 128-bit lanes (abcd_01, abcd_23, efgh_01, efgh_23), then (abcd, efgh, ijkl, mnop).
        return Halves(Halves(q0, q1), Halves(q2, q3));
    }

    // Per 128-bit lane: (x0 + x1, x2 + x3, y0 + y1, y2 + y3).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Pairs(Vector512<float> x, Vector512<float> y) =>
        Avx512F.Shuffle(x, y, 0b10_00_10_00) + Avx512F.Shuffle(x, y, 0b11_01_11_01);

    // 128-bit lanes: (x0 + x1, x2 + x3, y0 + y1, y2 + y3).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Halves(Vector512<float> x, Vector512<float> y) =>
        Avx512F.Shuffle4x128(x, y, 0b10_00_10_00) + Avx512F.Shuffle4x128(x, y, 0b11_01_11_01);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot256(ref float a, ref float b, int[] order)
    {
        Vector256<float> sum = Vector256<float>.Zero;
        foreach (int c in order)
        {
            nuint at = (nuint)(c * 8);
            sum += Vector256.LoadUnsafe(ref a, at) * Vector256.LoadUnsafe(ref b, at);
        }

        sum += Vector256<float>.Zero;
        return Vector256.Sum(sum);
    }

    // 64 floats in four 512-bit vectors: v and the accumulator stay in registers over all rows. Rows go 16 at a time: their
    // dot products first (the lanes summed by Sum16), then their multiply-adds in row order.
    [SkipLocalsInit]
    // packed: with an index, the matrix as bfloat16 (rows is then unused), or a null reference.
    private static void Accumulate512x4(ref float rows, ref ushort packed, ReadOnlySpan<int> index, Span<float> gathered, ReadOnlySpan<float> weight, ReadOnlySpan<float> offset,
        ReadOnlySpan<float> v, Span<float> accumulator)
    {
        bool bfloat = !Unsafe.IsNullRef(ref packed);
        ref float x = ref MemoryMarshal.GetReference(v);
        ref float acc = ref MemoryMarshal.GetReference(accumulator);
        ref float copy = ref MemoryMarshal.GetReference(gathered);

        // The rows as the multiply-adds read them: the gathered copy, or the contiguous rows themselves.
        ref float contiguous = ref index.IsEmpty ? ref rows : ref copy;
        bool residual = !offset.IsEmpty, gather = !index.IsEmpty;
        int n = weight.Length, e = 0;
        Span<Vector512<float>> sums = stackalloc Vector512<float>[16];
        Span<float> scales = stackalloc float[16];

        // Each phase loads the vectors it keeps in registers, so that none is kept on the stack across the other.
        for (; Avx512F.IsSupported && e + 16 <= n; e += 16)
        {
            Vector512<float> v0 = Vector512.LoadUnsafe(ref x, 0), v1 = Vector512.LoadUnsafe(ref x, 16), v2 = Vector512.LoadUnsafe(ref x, 32), v3 = Vector512.LoadUnsafe(ref x, 48);
            for (int j = 0; j < 16; j++)
            {
                Row4 y = bfloat ? PackedRowAt(ref packed, index, e + j) : new Row4(ref RowAt(ref rows, index, e + j, gather));
                Vector512<float> y0 = y.Y0, y1 = y.Y1, y2 = y.Y2, y3 = y.Y3;
                if (gather)
                {
                    ref float to = ref Unsafe.Add(ref copy, (nint)(e + j) * 64);
                    y0.StoreUnsafe(ref to, 0);
                    y1.StoreUnsafe(ref to, 16);
                    y2.StoreUnsafe(ref to, 32);
                    y3.StoreUnsafe(ref to, 48);
                }

                sums[j] = Dot4(y0, y1, y2, y3, v0, v1, v2, v3);
            }

            Vector512<float> d = Sum16(sums), w = Vector512.Create(weight.Slice(e, 16));
            (residual ? Vector512.Create(offset.Slice(e, 16)) - (w * d) : w * d).CopyTo(scales);
            Vector512<float> a0 = Vector512.LoadUnsafe(ref acc, 0), a1 = Vector512.LoadUnsafe(ref acc, 16), a2 = Vector512.LoadUnsafe(ref acc, 32), a3 = Vector512.LoadUnsafe(ref acc, 48);
            ref float block = ref Unsafe.Add(ref contiguous, (nint)e * 64);
            for (int j = 0; j < 16; j++)
            {
                ref float y = ref Unsafe.Add(ref block, j * 64);
                var s = Vector512.Create(scales[j]);
                a0 = (Vector512.LoadUnsafe(ref y, 0) * s) + a0;
                a1 = (Vector512.LoadUnsafe(ref y, 16) * s) + a1;
                a2 = (Vector512.LoadUnsafe(ref y, 32) * s) + a2;
                a3 = (Vector512.LoadUnsafe(ref y, 48) * s) + a3;
            }

            a0.StoreUnsafe(ref acc, 0);
            a1.StoreUnsafe(ref acc, 16);
            a2.StoreUnsafe(ref acc, 32);
            a3.StoreUnsafe(ref acc, 48);
        }

        for (; e < n; e++)
        {
            Row4 y = bfloat ? PackedRowAt(ref packed, index, e) : new Row4(ref RowAt(ref rows, index, e, gather));
            Vector512<float> y0 = y.Y0, y1 = y.Y1, y2 = y.Y2, y3 = y.Y3;
            if (gather)
            {
                ref float to = ref Unsafe.Add(ref copy, (nint)e * 64);
                y0.StoreUnsafe(ref to, 0);
                y1.StoreUnsafe(ref to, 16);
                y2.StoreUnsafe(ref to, 32);
                y3.StoreUnsafe(ref to, 48);
            }

            float d = Vector512.Sum(Dot4(y0, y1, y2, y3, Vector512.LoadUnsafe(ref x, 0), Vector512.LoadUnsafe(ref x, 16), Vector512.LoadUnsafe(ref x, 32), Vector512.LoadUnsafe(ref x, 48)));
            var s = Vector512.Create(residual ? offset[e] - (weight[e] * d) : weight[e] * d);
            ((y0 * s) + Vector512.LoadUnsafe(ref acc, 0)).StoreUnsafe(ref acc, 0);
            ((y1 * s) + Vector512.LoadUnsafe(ref acc, 16)).StoreUnsafe(ref acc, 16);
            ((y2 * s) + Vector512.LoadUnsafe(ref acc, 32)).StoreUnsafe(ref acc, 32);
            ((y3 * s) + Vector512.LoadUnsafe(ref acc, 48)).StoreUnsafe(ref acc, 48);
        }
    }

    // A row of 64 floats in four vectors.
    private readonly struct Row4
    {
        public readonly Vector512<float> Y0, Y1, Y2, Y3;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Row4(ref float y)
        {
            Y0 = Vector512.LoadUnsafe(ref y, 0);
            Y1 = Vector512.LoadUnsafe(ref y, 16);
            Y2 = Vector512.LoadUnsafe(ref y, 32);
            Y3 = Vector512.LoadUnsafe(ref y, 48);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Row4(Vector512<ushort> low, Vector512<ushort> high)
        {
            Y0 = (Vector512.WidenLower(low) << 16).AsSingle();
            Y1 = (Vector512.WidenUpper(low) << 16).AsSingle();
            Y2 = (Vector512.WidenLower(high) << 16).AsSingle();
            Y3 = (Vector512.WidenUpper(high) << 16).AsSingle();
        }
    }

    // The bfloat16 matrix row index[e], widened (asking for the row PrefetchDistance ahead as well: two cache lines).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Row4 PackedRowAt(ref ushort packed, ReadOnlySpan<int> index, int e)
    {
        if (e + PrefetchDistance < index.Length && Sse.IsSupported)
        {
            ushort* p = (ushort*)Unsafe.AsPointer(ref Unsafe.Add(ref packed, (nint)index[e + PrefetchDistance] * 64));
            Sse.Prefetch0(p);
            Sse.Prefetch0(p + 32);
        }

        ref ushort row = ref Unsafe.Add(ref packed, (nint)index[e] * 64);
        return new Row4(Vector512.LoadUnsafe(ref row, 0), Vector512.LoadUnsafe(ref row, 32));
    }

    // Row e of the contiguous rows, or the matrix row index[e] (asking for the row PrefetchDistance ahead as well).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref float RowAt(ref float rows, ReadOnlySpan<int> index, int e, bool gather)
    {
        if (!gather)
        {
            return ref Unsafe.Add(ref rows, (nint)e * 64);
        }

        if (e + PrefetchDistance < index.Length)
        {
            Prefetch(ref Unsafe.Add(ref rows, (nint)index[e + PrefetchDistance] * 64));
        }

        return ref Unsafe.Add(ref rows, (nint)index[e] * 64);
    }

    // The accumulator of TensorPrimitives.Dot for 64 floats (4 vectors, first to last).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Dot4(Vector512<float> y0, Vector512<float> y1, Vector512<float> y2, Vector512<float> y3,
        Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3)
    {
        Vector512<float> sum = Vector512<float>.Zero + (y0 * v0);
        sum += y1 * v1;
        sum += y2 * v2;
        sum += y3 * v3;
        return sum + Vector512<float>.Zero;
    }

    private void Accumulate512(ref float rows, ReadOnlySpan<int> index, Span<float> gathered, ReadOnlySpan<float> weight, ReadOnlySpan<float> offset,
        ReadOnlySpan<float> v, Span<float> accumulator)
    {
        int k = Length;
        ref float x = ref MemoryMarshal.GetReference(v);
        ref float acc = ref MemoryMarshal.GetReference(accumulator);
        bool residual = !offset.IsEmpty, gather = !index.IsEmpty;
        ref float y = ref rows;
        for (int e = 0; e < weight.Length; e++)
        {
            if (gather)
            {
                ref float source = ref Unsafe.Add(ref rows, (nint)index[e] * k);
                y = ref Unsafe.Add(ref MemoryMarshal.GetReference(gathered), (nint)e * k);
                MemoryMarshal.CreateReadOnlySpan(ref source, k).CopyTo(MemoryMarshal.CreateSpan(ref y, k));
            }

            float d = Dot512(ref y, ref x, Order);
            var s = Vector512.Create(residual ? offset[e] - (weight[e] * d) : weight[e] * d);
            for (nuint at = 0; at < (nuint)k; at += 16)
            {
                ((Vector512.LoadUnsafe(ref y, at) * s) + Vector512.LoadUnsafe(ref acc, at)).StoreUnsafe(ref acc, at);
            }

            if (!gather)
            {
                y = ref Unsafe.Add(ref y, k);
            }
        }
    }

    private void Accumulate256(ref float rows, ReadOnlySpan<int> index, Span<float> gathered, ReadOnlySpan<float> weight, ReadOnlySpan<float> offset,
        ReadOnlySpan<float> v, Span<float> accumulator)
    {
        int k = Length;
        ref float x = ref MemoryMarshal.GetReference(v);
        ref float acc = ref MemoryMarshal.GetReference(accumulator);
        bool residual = !offset.IsEmpty, gather = !index.IsEmpty;
        ref float y = ref rows;
        for (int e = 0; e < weight.Length; e++)
        {
            if (gather)
            {
                ref float source = ref Unsafe.Add(ref rows, (nint)index[e] * k);
                y = ref Unsafe.Add(ref MemoryMarshal.GetReference(gathered), (nint)e * k);
                MemoryMarshal.CreateReadOnlySpan(ref source, k).CopyTo(MemoryMarshal.CreateSpan(ref y, k));
            }

            float d = Dot256(ref y, ref x, Order);
            var s = Vector256.Create(residual ? offset[e] - (weight[e] * d) : weight[e] * d);
            for (nuint at = 0; at < (nuint)k; at += 8)
            {
                ((Vector256.LoadUnsafe(ref y, at) * s) + Vector256.LoadUnsafe(ref acc, at)).StoreUnsafe(ref acc, at);
            }

            if (!gather)
            {
                y = ref Unsafe.Add(ref y, k);
            }
        }
    }
}
