using MovieRec.Core.Numerics;

namespace MovieRec.Core.Tests.Data;

public sealed class TopKTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(10, 2)]
    [InlineData(50, 3)]
    [InlineData(500, 4)]
    public void Matches_a_full_sort_with_ties_to_the_lower_index(int k, int seed)
    {
        var random = new Random(seed);
        float[] scores = new float[300];
        for (int i = 0; i < scores.Length; i++)
        {
            scores[i] = random.Next(0, 40) / 4f; // many ties
        }

        int[] exclude = [.. Enumerable.Range(0, 300).Where(i => i % 7 == 0)];
        int[] expected = [.. Enumerable.Range(0, 300).Where(i => i % 7 != 0 && i % 5 != 0)
            .OrderByDescending(i => scores[i]).ThenBy(i => i).Take(k)];

        int[] actual = TopK.Select(scores, k, exclude, i => i % 5 != 0);

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Skips_nan_and_handles_k_zero()
    {
        Assert.Empty(TopK.Select([1f, 2f], 0));
        Assert.Equal([2, 0], TopK.Select([1f, float.NaN, 3f], 5));
    }
}
