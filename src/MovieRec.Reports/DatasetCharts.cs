using System.Globalization;
using MovieRec.Core.Data;

namespace MovieRec.Reports;

/// <summary>
/// The dataset charts of the report and the dashboard: rating distribution, the ratings-per-user and
/// ratings-per-movie long tails, the 20 most-rated movies and genre counts.
/// </summary>
public static class DatasetCharts
{
    public static Chart RatingDistribution(DatasetStatistics stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        float[] keys = [.. stats.RatingValues.Keys.Order()];
        return Charts.Bars(
            $"Rating distribution ({stats.Name})",
            "Rating",
            "Number of ratings",
            [.. keys.Select(k => k.ToString("0.0", CultureInfo.InvariantCulture))],
            [new BarSeries("ratings", [.. keys.Select(k => (double)stats.RatingValues[k])])]);
    }

    /// <summary>Ratings per user and per movie, sorted from most to fewest, on log-log axes.</summary>
    public static Chart LongTail(DatasetStatistics stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        return Charts.Lines(
            $"Long tail: ratings per user and per movie ({stats.Name})",
            "Rank (most ratings first, log scale)",
            "Number of ratings (log scale)",
            [Tail("per user", stats.RatingsPerUser), Tail("per movie", [.. stats.RatingsPerMovie.Values])],
            logX: true,
            logY: true);
    }

    public static Chart TopRated(DatasetStatistics stats, IEnumerable<Movie> movies, int count = 20)
    {
        ArgumentNullException.ThrowIfNull(stats);
        var titles = new Dictionary<int, string>();
        foreach (Movie m in movies)
        {
            titles[m.MovieId] = m.Title;
        }

        KeyValuePair<int, int>[] top = [.. stats.RatingsPerMovie.OrderByDescending(p => p.Value).ThenBy(p => p.Key).Take(count)];
        if (top.Length == 0)
        {
            top = [new(0, 0)];
        }

        return Charts.HorizontalBars(
            $"Top {top.Length} most-rated movies ({stats.Name})",
            "Number of ratings",
            "Movie",
            [.. top.Select(p => titles.TryGetValue(p.Key, out string? t) ? t : $"movie {p.Key}")],
            [.. top.Select(p => (double)p.Value)]);
    }

    public static Chart GenreCounts(IEnumerable<Movie> movies, string datasetName)
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

    private static LineSeries Tail(string name, IReadOnlyList<int> countsIn)
    {
        int[] counts = [.. countsIn];
        Array.Sort(counts);
        Array.Reverse(counts);
        return new LineSeries(name, [.. Enumerable.Range(1, counts.Length).Select(i => (double)i)], [.. counts.Select(c => (double)c)]);
    }
}
