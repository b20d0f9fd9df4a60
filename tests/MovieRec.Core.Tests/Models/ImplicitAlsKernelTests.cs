using System.Numerics.Tensors;
using MovieRec.Core.Data;
using MovieRec.Core.Models;
using MovieRec.Core.Models.Factorization;
using MovieRec.Core.Numerics;

namespace MovieRec.Core.Tests.Models;

/// <summary>
/// The fused implicit-als kernels against a straightforward reference: the same floats as one <c>TensorPrimitives</c>
/// call per rating (so published implicit-als figures stay), and the conjugate-gradient solve a textbook double-precision
/// conjugate gradient gives.
/// </summary>
public sealed class ImplicitAlsKernelTests
{
    public static TheoryData<int> Lengths => [8, 16, 24, 48, 64, 128, 144, 256, 384];

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Ordered_dot_is_tensor_primitives_dot_bit_for_bit(int k)
    {
        OrderedDot? kernel = OrderedDot.For(k);
        if (kernel is null)
        {
            Assert.True(OrderedDot.WidestWidth == 0 || k % OrderedDot.WidestWidth != 0, $"no kernel for {k} floats at vector width {OrderedDot.WidestWidth}");
            return;
        }

        var random = new Random(k);
        for (int trial = 0; trial < 200; trial++)
        {
            float[] a = Vector(random, k, 1), b = Vector(random, k, 1);
            Assert.Equal(TensorPrimitives.Dot(a, b), kernel.Dot(a, b));
        }
    }

    [Fact]
    public void Sum16_is_vector512_sum_of_each_vector_bit_for_bit()
    {
        if (!System.Runtime.Intrinsics.X86.Avx512F.IsSupported)
        {
            return;
        }

        var random = new Random(16);
        var sums = new System.Runtime.Intrinsics.Vector512<float>[16];
        for (int trial = 0; trial < 500; trial++)
        {
            for (int j = 0; j < 16; j++)
            {
                // Magnitudes spread over many binades, so that another order of the additions rounds differently.
                sums[j] = System.Runtime.Intrinsics.Vector512.Create([.. Enumerable.Range(0, 16).Select(_ => (float)(((random.NextDouble() * 2) - 1) * Math.Pow(2, random.Next(-20, 20))))]);
            }

            System.Runtime.Intrinsics.Vector512<float> all = OrderedDot.Sum16(sums);
            for (int j = 0; j < 16; j++)
            {
                Assert.Equal(System.Runtime.Intrinsics.Vector512.Sum(sums[j]), all[j]);
            }
        }
    }

    [Fact]
    public void Chunk_order_beyond_eight_vectors_starts_at_the_second_vector()
    {
        Assert.Equal([0, 1, 2, 3], OrderedDot.ChunkOrder(4));
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8, 0], OrderedDot.ChunkOrder(9));
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 0, 17, 18], OrderedDot.ChunkOrder(19));
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Fused_row_passes_are_one_tensor_primitives_call_per_row_bit_for_bit(int k)
    {
        OrderedDot? kernel = OrderedDot.For(k);
        if (kernel is null)
        {
            return;
        }

        var random = new Random(100 + k);
        int n = 37, matrixRows = 90;
        float[] matrix = Vector(random, matrixRows * k, 0.3f), v = Vector(random, k, 0.3f), weight = Vector(random, n, 4), offset = Vector(random, n, 5);
        int[] index = [.. Enumerable.Range(0, n).Select(_ => random.Next(matrixRows))];

        foreach (bool residual in new[] { true, false })
        {
            float[] expected = Vector(random, k, 1), fused = [.. expected], gatheredFused = [.. expected], gathered = new float[n * k], contiguous = new float[n * k];
            for (int e = 0; e < n; e++)
            {
                ReadOnlySpan<float> y = matrix.AsSpan(index[e] * k, k);
                y.CopyTo(contiguous.AsSpan(e * k, k));
                float d = TensorPrimitives.Dot(y, v);
                TensorPrimitives.MultiplyAdd(y, residual ? offset[e] - (weight[e] * d) : weight[e] * d, expected, expected);
            }

            kernel.AccumulateRows(contiguous, weight, residual ? offset : default, v, fused);
            kernel.GatherAccumulateRows(matrix, index, gathered, weight, residual ? offset : default, v, gatheredFused);

            Assert.Equal(expected, fused);
            Assert.Equal(expected, gatheredFused);
            Assert.Equal(contiguous, gathered);
        }

        float[] gram = Vector(random, k * k, 1), product = new float[k];
        kernel.MultiplyMatrix(gram, v, product);
        for (int a = 0; a < k; a++)
        {
            Assert.Equal(TensorPrimitives.Dot(gram.AsSpan(a * k, k), v), product[a]);
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Gram_of_the_fused_kernel_is_one_multiply_add_per_row_and_column_bit_for_bit(int k)
    {
        // 700 rows: blocks of 256 and a partial one; magnitudes over many binades, so that another order of the additions
        // (or a fused multiply-add) rounds differently somewhere.
        var random = new Random(300 + k);
        int rows = 700;
        float[] factors = new float[rows * k];
        for (int i = 0; i < factors.Length; i++)
        {
            factors[i] = (float)(((random.NextDouble() * 2) - 1) * Math.Pow(2, random.Next(-8, 3)));
        }

        float[] expected = Gram(factors, rows, k, 2.5f);
        foreach (int threads in new[] { 1, 3 })
        {
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads };
            Assert.Equal(expected, ImplicitAlsTrainer.Gram(factors, rows, k, 2.5f, OrderedDot.For(k), parallel));
            Assert.Equal(expected, ImplicitAlsTrainer.Gram(factors, rows, k, 2.5f, null, parallel));
        }
    }

    [Fact]
    public void Huge_page_floats_start_as_zeros_and_hold_what_is_written()
    {
        using var floats = new HugePageMemory<float>(3 * 1000 * 1000);
        Assert.Equal(3_000_000, floats.Span.Length);
        Assert.True(floats.Span.IndexOfAnyExcept(0f) < 0);
        floats.Span[2_999_999] = 5f;
        Assert.Equal(5f, floats.Memory.Span[^1]);
        ((IDisposable)floats).Dispose();
        Assert.Throws<ObjectDisposedException>(() => floats.Span.Length);
    }

    [Fact]
    public void Bfloat16_rounds_to_the_nearest_even_and_widens_exactly()
    {
        // Ties: 1 + 2^-8 lies halfway between 1 and 1 + 2^-7 (goes to 1, even); 1 + 3 x 2^-8 between 1 + 2^-7 and 1 + 2^-6 (goes up, even).
        float[] cases = [1f, 1f + MathF.Pow(2, -8), 1f + (3 * MathF.Pow(2, -8)), 1f + MathF.Pow(2, -8) + MathF.Pow(2, -20), -2.5f, 0f, -0f, 1e-40f, -3.3e38f];
        float[] expected = [1f, 1f, 1f + MathF.Pow(2, -6), 1f + MathF.Pow(2, -7), -2.5f, 0f, -0f, Nearest(1e-40f), Nearest(-3.3e38f)];

        // 1,000 values over many binades (the vector path and its scalar tail) against a rounding by comparing the neighbours.
        var random = new Random(5);
        float[] source = [.. cases, .. Enumerable.Range(0, 1000).Select(_ => (float)(((random.NextDouble() * 2) - 1) * Math.Pow(2, random.Next(-30, 30))))];
        ushort[] packed = new ushort[source.Length];
        float[] widened = new float[source.Length];
        OrderedDot.ToBfloat16(source, packed);
        OrderedDot.FromBfloat16(packed, widened);

        for (int i = 0; i < cases.Length; i++)
        {
            Assert.Equal(BitConverter.SingleToUInt32Bits(expected[i]), BitConverter.SingleToUInt32Bits(widened[i]));
        }

        for (int i = 0; i < source.Length; i++)
        {
            Assert.Equal(Nearest(source[i]), widened[i]);
            Assert.Equal(0u, BitConverter.SingleToUInt32Bits(widened[i]) & 0xFFFF);
        }

        // The bfloat16 nearest to f: of the two neighbours that keep 16 bits, the closer, on a tie the one with an even last bit.
        static float Nearest(float f)
        {
            uint bits = BitConverter.SingleToUInt32Bits(f);
            float down = BitConverter.UInt32BitsToSingle(bits & 0xFFFF0000u), up = BitConverter.UInt32BitsToSingle((bits & 0xFFFF0000u) + 0x10000u);
            double toDown = Math.Abs((double)f - down), toUp = Math.Abs((double)up - f);
            return toDown < toUp ? down : toUp < toDown ? up : ((BitConverter.SingleToUInt32Bits(down) >> 16) & 1) == 0 ? down : up;
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void A_gather_from_bfloat16_is_the_float_gather_over_the_widened_rows_bit_for_bit(int k)
    {
        OrderedDot? kernel = OrderedDot.For(k);
        if (kernel is null)
        {
            return;
        }

        var random = new Random(200 + k);
        int n = 37, matrixRows = 90;
        float[] matrix = Vector(random, matrixRows * k, 0.3f), v = Vector(random, k, 0.3f), weight = Vector(random, n, 4), offset = Vector(random, n, 5);
        int[] index = [.. Enumerable.Range(0, n).Select(_ => random.Next(matrixRows))];
        ushort[] packed = new ushort[matrix.Length];
        float[] widened = new float[matrix.Length];
        OrderedDot.ToBfloat16(matrix, packed);
        OrderedDot.FromBfloat16(packed, widened);
        Assert.NotEqual(matrix, widened);

        foreach (bool residual in new[] { true, false })
        {
            float[] start = Vector(random, k, 1), expected = [.. start], fromPacked = [.. start], gatheredFloat = new float[n * k], gatheredPacked = new float[n * k];
            kernel.GatherAccumulateRows(widened, index, gatheredFloat, weight, residual ? offset : default, v, expected);
            kernel.GatherAccumulateRows(packed, index, gatheredPacked, weight, residual ? offset : default, v, fromPacked);

            Assert.Equal(expected, fromPacked);
            Assert.Equal(gatheredFloat, gatheredPacked);
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => kernel.GatherAccumulateRows(packed, [1, matrixRows], new float[2 * k], [1f, 1f], default, v, new float[k]));
    }

    [Fact]
    public void A_fit_from_bfloat16_copies_is_another_model_that_ranks_as_the_float_fit_does()
    {
        RatingMatrix ratings = RatingMatrix.Build(Fixtures.SyntheticRatings(users: 300, movies: 200));
        var options = new ImplicitAlsOptions { Factors = 64, Iterations = 8 };
        var plain = (ImplicitFactorizationModel)new ImplicitAlsTrainer(options).Fit(ratings, new TrainingOptions { Threads = 2 });
        var packed = (ImplicitFactorizationModel)new ImplicitAlsTrainer(options with { Bfloat16 = true }).Fit(ratings, new TrainingOptions { Threads = 2 });

        double difference = 0, norm = 0;
        int overlap = 0;
        float[] a = new float[ratings.ItemCount], b = new float[ratings.ItemCount];
        for (int u = 0; u < ratings.UserCount; u++)
        {
            for (int f = 0; f < 64; f++)
            {
                difference += Math.Pow(plain.UserFactors(u)[f] - packed.UserFactors(u)[f], 2);
                norm += Math.Pow(plain.UserFactors(u)[f], 2);
            }

            plain.Score(u, a);
            packed.Score(u, b);
            overlap += Top(a).Intersect(Top(b)).Count();
        }

        // Not the float model (the option is used), but within bfloat16's rounding of it, with nearly the same top 10s.
        Assert.True(difference > 0);
        Assert.True(Math.Sqrt(difference / norm) < 0.01, $"relative difference of the user factors {Math.Sqrt(difference / norm)}");
        Assert.True(overlap >= 0.95 * 10 * ratings.UserCount, $"{overlap} of {10 * ratings.UserCount} top-10 entries shared");

        static IEnumerable<int> Top(float[] scores) => Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i]).Take(10);
    }

    [Fact]
    public void A_gather_index_outside_the_matrix_is_refused()
    {
        OrderedDot? kernel = OrderedDot.For(64);
        if (kernel is null)
        {
            return;
        }

        float[] matrix = new float[3 * 64], acc = new float[64];
        Assert.Throws<ArgumentOutOfRangeException>(() => kernel.GatherAccumulateRows(matrix, [1, 3], new float[128], [1f, 1f], default, new float[64], acc));
    }

    [Theory]
    [InlineData(64, false)]
    [InlineData(48, true)]
    [InlineData(128, false)]
    [InlineData(256, true)]
    [InlineData(20, false)]
    public void Row_solve_matches_a_reference_conjugate_gradient(int k, bool weightByRating)
    {
        var random = new Random(7 * k);
        int fixedRows = 300, n = 120, steps = 3;
        float alpha = 3, reg = 2;
        float[] fixedFactors = Vector(random, fixedRows * k, 0.3f), start = Vector(random, k, 0.05f);
        int[] index = [.. Enumerable.Range(0, fixedRows).OrderBy(_ => random.Next()).Take(n).Order()];
        float[] values = [.. Enumerable.Range(0, n).Select(_ => (random.Next(1, 11) / 2f))];
        float[] gram = Gram(fixedFactors, fixedRows, k, reg);

        float[] fused = [.. start], perRating = [.. start];
        new ImplicitRowSolver(k, OrderedDot.For(k)).Solve(gram, fixedFactors, index, values, alpha, weightByRating, steps, fused);
        new ImplicitRowSolver(k, null).Solve(gram, fixedFactors, index, values, alpha, weightByRating, steps, perRating);

        // The fused kernels and one TensorPrimitives call per rating give the same floats.
        Assert.Equal(perRating, fused);

        // From a bfloat16 copy: the same floats as solving over the widened rows, by either path, and not those of the float rows.
        ushort[] packed = new ushort[fixedFactors.Length];
        float[] widened = new float[fixedFactors.Length];
        OrderedDot.ToBfloat16(fixedFactors, packed);
        OrderedDot.FromBfloat16(packed, widened);
        float[] fusedPacked = [.. start], perRatingPacked = [.. start], overWidened = [.. start];
        new ImplicitRowSolver(k, OrderedDot.For(k)).Solve(gram, fixedFactors, packed, index, values, alpha, weightByRating, steps, fusedPacked);
        new ImplicitRowSolver(k, null).Solve(gram, fixedFactors, packed, index, values, alpha, weightByRating, steps, perRatingPacked);
        new ImplicitRowSolver(k, null).Solve(gram, widened, index, values, alpha, weightByRating, steps, overWidened);
        Assert.Equal(overWidened, fusedPacked);
        Assert.Equal(overWidened, perRatingPacked);
        Assert.NotEqual(fused, fusedPacked);

        // A textbook conjugate gradient in double precision over the explicit k x k system, the same steps from the same start.
        double[] a = new double[k * k], b = new double[k];
        for (int r = 0; r < k; r++)
        {
            for (int c = 0; c < k; c++)
            {
                a[(r * k) + c] = gram[(r * k) + c];
            }
        }

        for (int e = 0; e < n; e++)
        {
            double confidence = 1 + (alpha * (weightByRating ? values[e] : 1));
            ReadOnlySpan<float> y = fixedFactors.AsSpan(index[e] * k, k);
            for (int r = 0; r < k; r++)
            {
                b[r] += confidence * y[r];
                for (int c = 0; c < k; c++)
                {
                    a[(r * k) + c] += (confidence - 1) * y[r] * y[c];
                }
            }
        }

        double[] reference = ReferenceConjugateGradient(a, b, [.. start.Select(f => (double)f)], k, steps);
        double scale = reference.Max(Math.Abs);
        for (int f = 0; f < k; f++)
        {
            Assert.True(Math.Abs(fused[f] - reference[f]) <= 1e-3 * scale, $"factor {f}: {fused[f]} vs reference {reference[f]} (scale {scale})");
        }

        // Enough steps solve the system: the residual of the fused solve falls far below that of its start.
        float[] solved = [.. start];
        new ImplicitRowSolver(k, OrderedDot.For(k)).Solve(gram, fixedFactors, index, values, alpha, weightByRating, 4 * k, solved);
        Assert.True(Residual(a, b, solved, k) < 1e-3 * Residual(a, b, start, k), $"residual {Residual(a, b, solved, k)} vs {Residual(a, b, start, k)} at the start");
    }

    [Fact]
    public void Balanced_ranges_cover_every_row_once_and_split_heavy_rows_evenly()
    {
        // 1,000 rows: the first 10 hold 1,000 ratings each, the rest 1 each.
        int[] rowStart = new int[1001];
        for (int row = 0; row < 1000; row++)
        {
            rowStart[row + 1] = rowStart[row] + (row < 10 ? 1000 : 1);
        }

        int[] bounds = ImplicitAlsTrainer.BalancedRanges(rowStart, 8, 2);

        Assert.Equal(0, bounds[0]);
        Assert.Equal(1000, bounds[^1]);
        Assert.True(bounds.Zip(bounds.Skip(1)).All(p => p.First < p.Second), string.Join(",", bounds));
        Assert.True(bounds.Length - 1 >= 10, $"{bounds.Length - 1} ranges");

        // No range holds more than two heavy rows' worth of work, though the heavy rows are all at the start.
        long[] work = [.. bounds.Zip(bounds.Skip(1)).Select(p => (long)(rowStart[p.Second] - rowStart[p.First]) + (4L * (p.Second - p.First)))];
        Assert.True(work.Max() <= 2 * 1004, string.Join(",", work));
    }

    private static float[] Gram(float[] factors, int rows, int k, float reg)
    {
        float[] gram = new float[k * k];
        for (int n = 0; n < rows; n++)
        {
            ReadOnlySpan<float> f = factors.AsSpan(n * k, k);
            for (int a = 0; a < k; a++)
            {
                TensorPrimitives.MultiplyAdd(f, f[a], gram.AsSpan(a * k, k), gram.AsSpan(a * k, k));
            }
        }

        for (int a = 0; a < k; a++)
        {
            gram[(a * k) + a] += reg;
        }

        return gram;
    }

    private static double[] ReferenceConjugateGradient(double[] a, double[] b, double[] x, int k, int steps)
    {
        double[] r = new double[k], p = new double[k], ap = new double[k];
        for (int i = 0; i < k; i++)
        {
            r[i] = b[i];
            for (int j = 0; j < k; j++)
            {
                r[i] -= a[(i * k) + j] * x[j];
            }

            p[i] = r[i];
        }

        double rsOld = r.Sum(v => v * v);
        for (int step = 0; step < steps; step++)
        {
            for (int i = 0; i < k; i++)
            {
                ap[i] = 0;
                for (int j = 0; j < k; j++)
                {
                    ap[i] += a[(i * k) + j] * p[j];
                }
            }

            double alpha = rsOld / p.Zip(ap).Sum(t => t.First * t.Second);
            for (int i = 0; i < k; i++)
            {
                x[i] += alpha * p[i];
                r[i] -= alpha * ap[i];
            }

            double rsNew = r.Sum(v => v * v);
            for (int i = 0; i < k; i++)
            {
                p[i] = r[i] + (rsNew / rsOld * p[i]);
            }

            rsOld = rsNew;
        }

        return x;
    }

    private static double Residual(double[] a, double[] b, float[] x, int k)
    {
        double sum = 0;
        for (int i = 0; i < k; i++)
        {
            double r = b[i];
            for (int j = 0; j < k; j++)
            {
                r -= a[(i * k) + j] * x[j];
            }

            sum += r * r;
        }

        return Math.Sqrt(sum);
    }

    private static float[] Vector(Random random, int length, float scale)
    {
        float[] v = new float[length];
        for (int i = 0; i < length; i++)
        {
            v[i] = (float)((random.NextDouble() * 2) - 1) * scale;
        }

        return v;
    }
}
