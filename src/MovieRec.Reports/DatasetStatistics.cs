using MovieRec.Core.Data;

namespace MovieRec.Reports;

/// <summary>
/// The counts the dataset charts draw: ratings per value, per user and per movie. Built from a list of ratings (the
/// report) or from a bundle's rating matrix (the dashboard), without copying the ratings.
/// </summary>
public sealed record DatasetStatistics(
    string Name,
    IReadOnlyDictionary<float, int> RatingValues,
    IReadOnlyList<int> RatingsPerUser,
    IReadOnlyDictionary<int, int> RatingsPerMovie)
{
    public static DatasetStatistics From(string name, IReadOnlyList<Rating> ratings)
    {
        ArgumentNullException.ThrowIfNull(ratings);
        var values = new SortedDictionary<float, int>();
        var users = new Dictionary<int, int>();
        var movies = new Dictionary<int, int>();
        foreach (Rating r in ratings)
        {
            values[r.Value] = values.GetValueOrDefault(r.Value) + 1;
            users[r.UserId] = users.GetValueOrDefault(r.UserId) + 1;
            movies[r.MovieId] = movies.GetValueOrDefault(r.MovieId) + 1;
        }

        return new DatasetStatistics(name, values, [.. users.Values], movies);
    }

    public static DatasetStatistics From(string name, RatingMatrix ratings)
    {
        ArgumentNullException.ThrowIfNull(ratings);
        var values = new SortedDictionary<float, int>();
        foreach (float v in ratings.UserValues)
        {
            values[v] = values.GetValueOrDefault(v) + 1;
        }

        int[] users = new int[ratings.UserCount];
        for (int u = 0; u < users.Length; u++)
        {
            users[u] = ratings.UserRatingCount(u);
        }

        var movies = new Dictionary<int, int>(ratings.ItemCount);
        for (int i = 0; i < ratings.ItemCount; i++)
        {
            movies[ratings.Items.RawId(i)] = ratings.ItemRatingCount(i);
        }

        return new DatasetStatistics(name, values, users, movies);
    }
}
