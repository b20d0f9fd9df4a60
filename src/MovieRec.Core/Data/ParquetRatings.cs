using Parquet;
using Parquet.Schema;

namespace MovieRec.Core.Data;

/// <summary>
/// Ratings as Parquet for Spark (and anything else that reads Parquet): columns <c>userId</c> int32,
/// <c>movieId</c> int32, <c>rating</c> float, <c>timestamp</c> int64 (Unix seconds), all required, in row groups of
/// a million ratings, V1 data pages.
/// </summary>
public static class ParquetRatings
{
    public const string FileName = "ratings.parquet";
    private const int RowGroup = 1_000_000;

    /// <summary>Writes <paramref name="ratings"/> to <c>&lt;folder&gt;/ratings.parquet</c>; returns the file.</summary>
    public static string Write(string folder, ReadOnlyMemory<Rating> ratings) => WriteAsync(folder, ratings).GetAwaiter().GetResult();

    /// <summary>Reads a file written by <see cref="Write"/> (or by Spark or DuckDB with the same columns).</summary>
    public static Rating[] Read(string path) => ReadAsync(path).GetAwaiter().GetResult();

    private static async Task<string> WriteAsync(string folder, ReadOnlyMemory<Rating> ratings)
    {
        var user = new DataField<int>("userId", nullable: false);
        var movie = new DataField<int>("movieId", nullable: false);
        var value = new DataField<float>("rating", nullable: false);
        var time = new DataField<long>("timestamp", nullable: false);
        var schema = new ParquetSchema(user, movie, value, time);
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, FileName);
        string staged = path + ".tmp";
        await using (FileStream stream = File.Create(staged))
        {
            await using ParquetWriter writer = await ParquetWriter.CreateAsync(schema, stream);
            int n = Math.Min(RowGroup, Math.Max(1, ratings.Length));
            int[] users = new int[n], movies = new int[n];
            float[] values = new float[n];
            long[] times = new long[n];
            for (int start = 0; start < ratings.Length; start += RowGroup)
            {
                int count = Math.Min(RowGroup, ratings.Length - start);
                ReadOnlySpan<Rating> span = ratings.Span.Slice(start, count);
                for (int r = 0; r < count; r++)
                {
                    users[r] = span[r].UserId;
                    movies[r] = span[r].MovieId;
                    values[r] = span[r].Value;
                    times[r] = span[r].Timestamp;
                }

                using ParquetRowGroupWriter group = writer.CreateRowGroup();
                await group.WriteAsync<int>(user, users.AsMemory(0, count));
                await group.WriteAsync<int>(movie, movies.AsMemory(0, count));
                await group.WriteAsync<float>(value, values.AsMemory(0, count));
                await group.WriteAsync<long>(time, times.AsMemory(0, count));
            }
        }

        File.Move(staged, path, overwrite: true);
        return path;
    }

    private static async Task<Rating[]> ReadAsync(string path)
    {
        await using ParquetReader reader = await ParquetReader.CreateAsync(path);
        DataField[] fields = reader.Schema.GetDataFields();
        DataField Field(string name) => fields.FirstOrDefault(f => f.Name == name) ?? throw new InvalidDataException($"{path} has no '{name}' column.");
        DataField user = Field("userId"), movie = Field("movieId"), value = Field("rating"), time = Field("timestamp");
        var result = new List<Rating>();
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            using ParquetRowGroupReader group = reader.OpenRowGroupReader(g);
            int n = checked((int)group.RowCount);
            int[] users = new int[n], movies = new int[n];
            float[] values = new float[n];
            long[] times = new long[n];
            await group.ReadAsync<int>(user, users, null);
            await group.ReadAsync<int>(movie, movies, null);
            await group.ReadAsync<float>(value, values, null);
            await group.ReadAsync<long>(time, times, null);
            for (int r = 0; r < n; r++)
            {
                result.Add(new Rating(users[r], movies[r], values[r], times[r]));
            }
        }

        return [.. result];
    }
}
