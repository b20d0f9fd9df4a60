using System.Numerics.Tensors;
using MovieRec.Core.Numerics;

namespace MovieRec.Core.Tests.Models;

/// <summary>
/// The 8-bit item factors behind the factorization models' fast top-N: every quantised dot product within the bound it
/// reports of the exact one, the vector kernel bit-for-bit the scalar one, and the top-k the exact top-k.
/// </summary>
public sealed class QuantizedFactorsTests
{
    public static TheoryData<int, int, float> Shapes => new()
    {
        { 1, 1, 1f },
        { 63, 7, 0.001f },
        { 64, 64, 1f },
        { 130, 200, 0.3f },
        { 200, 33, 100f },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Every_dot_product_is_within_the_reported_bound_and_both_kernels_agree(int count, int factors, float spread)
    {
        var random = new Random(count * 31 + factors);
        float[] items = Values(random, count * factors, spread);
        items.AsSpan(0, factors).Clear(); // an item whose factors are all zero
        var quantised = new QuantizedFactors(items, count, factors);
        float[] vector = new float[quantised.PaddedCount], scalar = new float[quantised.PaddedCount];
        for (int trial = 0; trial < 20; trial++)
        {
            float[] user = trial == 0 ? new float[factors] : Values(random, factors, trial % 2 == 0 ? spread : 1 / spread);
            double bound = quantised.Dots(user, vector, vectorized: true);
            Assert.Equal(bound, quantised.Dots(user, scalar, vectorized: false));
            Assert.Equal(scalar, vector);
            for (int i = 0; i < count; i++)
            {
                double exact = 0;
                for (int f = 0; f < factors; f++)
                {
                    exact += (double)user[f] * items[(i * factors) + f];
                }

                Assert.True(Math.Abs(vector[i] - exact) <= bound, $"item {i}: {vector[i]} vs {exact}, bound {bound}");
            }

            Assert.All(vector[count..], d => Assert.Equal(0f, d));
        }
    }

    [Fact]
    public void The_top_k_is_the_exact_top_k_ties_offsets_and_exclusions_included()
    {
        var random = new Random(7);
        const int count = 500, factors = 24;
        float[] items = Values(random, count * factors, 0.5f);
        // Duplicated items give exact ties, which the exact ranking breaks by index.
        items.AsSpan(10 * factors, factors).CopyTo(items.AsSpan(20 * factors, factors));
        items.AsSpan(10 * factors, factors).CopyTo(items.AsSpan(30 * factors, factors));
        float[] terms = Values(random, count, 0.2f);
        terms[20] = terms[10];
        terms[30] = terms[10];
        var quantised = new QuantizedFactors(items, count, factors);
        for (int trial = 0; trial < 50; trial++)
        {
            float[] user = Values(random, factors, 1f);
            items.AsSpan(10 * factors, factors).CopyTo(user); // item 10 (and its copies) score high
            float constant = 3.5f;
            float Exact(int i) => constant + terms[i] + TensorPrimitives.Dot(user, items.AsSpan(i * factors, factors));
            float[] scores = [.. Enumerable.Range(0, count).Select(Exact)];
            int[] exclude = [3, 30, 499];
            foreach (int k in (int[])[1, 3, 10, count])
            {
                RankedTop expected = RankedTop.FromScores(scores, k, exclude, null);
                RankedTop top = quantised.Top(user, constant, terms, constant + 0.2f, k, exclude, null, Exact);
                Assert.Equal(expected.Items, top.Items);
                Assert.Equal(expected.Scores, top.Scores);
            }
        }
    }

    [Fact]
    public void Factors_that_are_not_finite_are_refused()
    {
        float[] items = [1, float.NaN, 0, 1];
        Assert.Throws<ArgumentException>(() => new QuantizedFactors(items, 2, 2));
    }

    private static float[] Values(Random random, int length, float spread) =>
        [.. Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() - 0.5) * 2 * spread))];
}
