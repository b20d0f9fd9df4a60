using System.Globalization;
using MovieRec.Core.Data;

namespace MovieRec.Reports;

/// <summary>
/// The dataset charts of the report and the dashboard: rating distribution, the ratings-per-user and
/// ratings-per-movie long tails, the 20 most-rated movies and genre counts.
/// </summary>
public static class DatasetCharts
{
    public static Chart RatingDistribution(IReadOnlyList<Rating> ratings, string datasetName)
    {
        var counts = new SortedDictionary<float, int>();
        foreach (Rating r in ratings)
        {
            counts[r.Value] = counts.GetValueOrDefault(r.Value) + 1;
        }

        return Charts.Bars(
            $"Rating distribution ({datasetName})",
            "Rating",
            "Number of ratings",
            [.. counts.Keys.Select(k => k.ToString("0.0", CultureInfo.InvariantCulture))],
            [new BarSeries("ratings", [.. counts.Values.Select(c => (double)c)])]);
    }

    /// <summary>Ratings per user and per movie, sorted from most to fewest, on log-log axes.</summary>
    public static Chart LongTail(IReadOnlyList<Rating> ratings, string datasetName)
    {
        return Charts.Lines(
            $"Long tail: ratings per user and per movie ({datasetName})",
            "Rank (most ratings first, log scale)",
            "Number of ratings (log scale)",
            [Tail("per user", ratings, r => r.UserId), Tail("per movie", ratings, r => r.MovieId)],
            logX: true,
            logY: true);
    }

    public static Chart TopRated(IReadOnlyList<Rating> ratings, IReadOnlyList<Movie> movies, string datasetName, int count = 20)
    {
        var titles = new Dictionary<int, string>(movies.Count);
        foreach (Movie m in movies)
        {
            titles[m.MovieId] = m.Title;
        }

        KeyValuePair<int, int>[] top = [.. CountBy(ratings, r => r.MovieId)
            .OrderByDescending(p => p.Value).ThenBy(p => p.Key).Take(count)];
        return Charts.HorizontalBars(
            $"Top {top.Length} most-rated movies ({datasetName})",
            "Number of ratings",
            "Movie",
            [.. top.Select(p => titles.TryGetValue(p.Key, out string? t) ? t : $"movie {p.Key}")],
            [.. top.Select(p => (double)p.Value)]);
    }

    public static Chart GenreCounts(IReadOnlyList<Movie> movies, string datasetName)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (Movie m in movies)
        {
            foreach (string g in m.Genres)
            {
                counts[g] = counts.GetValueOrDefault(g) + 1;
            }
        }

        KeyValuePair<string, int>[] sorted = [.. counts.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal)];
        if (sorted.Length == 0)
        {
            sorted = [new("(no genres)", 0)];
        }

        return Charts.Bars(
            $"Movies per genre ({datasetName})",
            "Genre",
            "Number of movies",
            [.. sorted.Select(p => p.Key)],
            [new BarSeries("movies", [.. sorted.Select(p => (double)p.Value)])]);
    }

    private static LineSeries Tail(string name, IReadOnlyList<Rating> ratings, Func<Rating, int> key)
    {
        int[] counts = [.. CountBy(ratings, key).Values];
        Array.Sort(counts);
        Array.Reverse(counts);
        return new LineSeries(name, [.. Enumerable.Range(1, counts.Length).Select(i => (double)i)], [.. counts.Select(c => (double)c)]);
    }

    private static Dictionary<int, int> CountBy(IReadOnlyList<Rating> ratings, Func<Rating, int> key)
    {
        var counts = new Dictionary<int, int>();
        foreach (Rating r in ratings)
        {
            int k = key(r);
            counts[k] = counts.GetValueOrDefault(k) + 1;
        }

        return counts;
    }
}
