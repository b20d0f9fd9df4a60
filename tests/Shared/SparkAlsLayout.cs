using MovieRec.Core.Artifacts;

namespace MovieRec.Tests.Shared;

/// <summary>
/// Writes the folder Spark's <c>ALSModel.save</c> writes (metadata/part-00000, userFactors/ and itemFactors/ as
/// part-*.parquet in Spark's schema, plus the _SUCCESS and .crc files Spark leaves), with seeded random factors.
/// </summary>
public sealed class SparkAlsLayout
{
    private SparkAlsLayout(string folder, int[] userIds, float[] userFactors, int[] itemIds, float[] itemFactors, int rank)
    {
        Folder = folder;
        UserIds = userIds;
        UserFactors = userFactors;
        ItemIds = itemIds;
        ItemFactors = itemFactors;
        Rank = rank;
    }

    public string Folder { get; }

    public int[] UserIds { get; }

    public float[] UserFactors { get; }

    public int[] ItemIds { get; }

    public float[] ItemFactors { get; }

    public int Rank { get; }

    /// <summary>Users 1..<paramref name="users"/> and the given movie ids; user factors split over two part files as Spark does.</summary>
    public static SparkAlsLayout Write(string folder, int users, int[] itemIds, int rank = 10, int seed = 11)
    {
        var random = new Random(seed);
        int[] userIds = [.. Enumerable.Range(1, users)];
        float[] userFactors = [.. Enumerable.Range(0, users * rank).Select(_ => (float)(random.NextDouble() - 0.5))];
        float[] itemFactors = [.. Enumerable.Range(0, itemIds.Length * rank).Select(_ => (float)(random.NextDouble() - 0.5))];
        int half = users / 2;
        string userDir = Path.Combine(folder, SparkAls.UserFactorsFolder), itemDir = Path.Combine(folder, SparkAls.ItemFactorsFolder);
        SparkAls.WriteFactorsAsync(Path.Combine(userDir, "part-00000-3f1c-c000.snappy.parquet"), userIds[..half], userFactors[..(half * rank)], rank).GetAwaiter().GetResult();
        SparkAls.WriteFactorsAsync(Path.Combine(userDir, "part-00001-3f1c-c000.snappy.parquet"), userIds[half..], userFactors[(half * rank)..], rank).GetAwaiter().GetResult();
        SparkAls.WriteFactorsAsync(Path.Combine(itemDir, "part-00000-8a2e-c000.snappy.parquet"), itemIds, itemFactors, rank).GetAwaiter().GetResult();
        Directory.CreateDirectory(Path.Combine(folder, "metadata"));
        File.WriteAllText(Path.Combine(folder, "metadata", "part-00000"),
            $$$"""{"class":"org.apache.spark.ml.recommendation.ALSModel","timestamp":1700000000000,"sparkVersion":"3.5.1","uid":"als_5e1d2c","paramMap":{"rank":{{{rank}}},"userCol":"userId","itemCol":"movieId"},"defaultParamMap":{"rank":10}}""");
        foreach (string dir in (string[])[userDir, itemDir, Path.Combine(folder, "metadata")])
        {
            File.WriteAllText(Path.Combine(dir, "_SUCCESS"), string.Empty);
            File.WriteAllText(Path.Combine(dir, ".part-00000.crc"), "crc");
        }

        return new SparkAlsLayout(folder, userIds, userFactors, itemIds, itemFactors, rank);
    }

    /// <summary>The <paramref name="n"/> movie ids with the largest p_u . q_i, computed directly, skipping <paramref name="exclude"/>.</summary>
    public int[] DotProductTop(int userId, int n, ISet<int>? exclude = null)
    {
        int u = Array.IndexOf(UserIds, userId);
        var scored = new List<(int Id, double Score)>();
        for (int i = 0; i < ItemIds.Length; i++)
        {
            if (exclude?.Contains(ItemIds[i]) == true)
            {
                continue;
            }

            double dot = 0;
            for (int f = 0; f < Rank; f++)
            {
                dot += UserFactors[(u * Rank) + f] * ItemFactors[(i * Rank) + f];
            }

            scored.Add((ItemIds[i], dot));
        }

        return [.. scored.OrderByDescending(s => s.Score).Take(n).Select(s => s.Id)];
    }
}
