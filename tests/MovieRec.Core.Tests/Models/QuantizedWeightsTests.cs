using MovieRec.Core.Data;
using MovieRec.Core.Models;
using MovieRec.Core.Models.Ease;
using MovieRec.Core.Numerics;

namespace MovieRec.Core.Tests.Models;

/// <summary>
/// The 16-bit copy of EASE's weights behind its fast top-N: every float row sum within the interval it reports, and the
/// top-k the exact top-k where the quantisation reorders movies (columns scaled by a large weight elsewhere).
/// </summary>
public sealed class QuantizedWeightsTests
{
    public static TheoryData<int, float> Shapes => new()
    {
        { 1, 1f },
        { 17, 0.001f },
        { 64, 1f },
        { 150, 30f },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Every_float_row_sum_is_within_the_reported_interval(int m, float spread)
    {
        var random = new Random(m * 7 + 1);
        float[] weights = Weights(random, m, spread);
        var quantized = QuantizedWeights.Build(weights, m);
        Assert.Equal(0, quantized.Stride % 16);
        int[] sums = new int[quantized.Stride];
        float[] lower = new float[m], upper = new float[m];
        for (int trial = 0; trial < 30; trial++)
        {
            // Rows in any order (a history's), some repeated; n from 1 to a little over m.
            int n = 1 + random.Next(m + 3);
            int[] rows = [.. Enumerable.Range(0, n).Select(_ => random.Next(m))];
            quantized.Sum(rows, sums);
            quantized.Bounds(n, sums, lower, upper);
            Assert.All(sums[m..], s => Assert.Equal(0, s));
            for (int c = 0; c < m; c++)
            {
                float sum = 0f;
                foreach (int r in rows)
                {
                    sum += weights[(r * m) + c];
                }

                Assert.True(lower[c] <= sum && sum <= upper[c], $"column {c}: float sum {sum} outside [{lower[c]}, {upper[c]}]");
            }
        }
    }

    [Fact]
    public void The_top_k_is_the_exact_top_k_where_the_quantisation_reorders_movies()
    {
        // 60 movies; movies 0..3 are rated by user 1 only and carry one large weight into every other column, so the
        // other users' sums are of weights far below those columns' quantisation steps: their approximate order is
        // not the float order. Columns 41 and 42 copy column 40 (exact ties, broken by index).
        const int m = 60;
        var random = new Random(11);
        float[] weights = new float[m * m];
        for (int r = 0; r < m; r++)
        {
            for (int c = 0; c < m; c++)
            {
                weights[(r * m) + c] = r == c ? 0f : r < 4 && c % 2 == 0 ? 50f : (float)(random.NextDouble() * 0.01);
            }
        }

        for (int r = 0; r < m; r++)
        {
            weights[(r * m) + 41] = weights[(r * m) + 40];
            weights[(r * m) + 42] = weights[(r * m) + 40];
        }

        var ratings = new List<Rating>();
        for (int movie = 0; movie < 4; movie++)
        {
            ratings.Add(new Rating(1, movie + 1, 5f, 0));
        }

        for (int user = 2; user <= 40; user++)
        {
            for (int movie = 4; movie < m; movie++)
            {
                if (random.Next(4) == 0)
                {
                    ratings.Add(new Rating(user, movie + 1, 1 + random.Next(5), 0));
                }
            }
        }

        RatingMatrix train = RatingMatrix.Build([.. ratings]);
        Assert.Equal(m, train.ItemCount);
        var model = new EaseModel(train, BiasBaseline.Default(train), [.. Enumerable.Range(0, m)], weights, new float[m], 3f);
        ITopRanker ranker = model.Capabilities.TopRanker ?? throw new Xunit.Sdk.XunitException("ease has no fast top-N");
        float[] scores = new float[m];
        Func<int, bool> odd = i => i % 2 == 1;
        for (int u = 0; u < train.UserCount; u++)
        {
            model.Score(u, scores);
            foreach (int k in (int[])[1, 5, 10])
            {
                Same(u, RankedTop.FromScores(scores, k, train.ItemsOf(u), null), ranker.Top(u, k, train.ItemsOf(u), null));
                Same(u, RankedTop.FromScores(scores, k, train.ItemsOf(u), odd), ranker.Top(u, k, train.ItemsOf(u), odd));
                Same(u, RankedTop.FromScores(scores, k, default, null), ranker.Top(u, k, default, null));
            }
        }
    }

    private static void Same(int u, RankedTop expected, RankedTop actual)
    {
        if (!expected.Items.SequenceEqual(actual.Items) || !expected.Scores.SequenceEqual(actual.Scores))
        {
            throw new Xunit.Sdk.XunitException($"user index {u}: expected [{string.Join(", ", expected.Items.Zip(expected.Scores))}] "
                + $"but the fast top gave [{string.Join(", ", actual.Items.Zip(actual.Scores))}]");
        }
    }

    // Weights of mixed signs and magnitudes: per column a few large ones among many small, one column all zero, one
    // column with a single weight.
    private static float[] Weights(Random random, int m, float spread)
    {
        float[] weights = new float[m * m];
        for (int i = 0; i < weights.Length; i++)
        {
            double v = (random.NextDouble() - 0.5) * spread;
            weights[i] = (float)(random.Next(20) == 0 ? v * 1000 : v);
        }

        for (int r = 0; r < m; r++)
        {
            weights[r * m] = 0f;
            if (m > 1)
            {
                weights[(r * m) + 1] = r == 0 ? spread : 0f;
            }
        }

        return weights;
    }
}
