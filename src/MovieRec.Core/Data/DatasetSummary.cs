namespace MovieRec.Core.Data;

/// <summary>A genre and how many catalogue movies carry it.</summary>
public sealed record GenreCount(string Genre, int Movies);

/// <summary>Counts that describe a dataset (what <c>movierec data info</c> prints).</summary>
public sealed record DatasetSummary(
    string Name,
    MovieLensFormat Format,
    int Ratings,
    int Users,
    int Movies,
    int RatedMovies,
    int Tags,
    int Links,
    float MinRating,
    float MaxRating,
    double MeanRating,
    double Density,
    int MinRatingsPerUser,
    double MedianRatingsPerUser,
    int MaxRatingsPerUser,
    IReadOnlyList<GenreCount> Genres,
    int DuplicateRatings,
    int SkippedRows)
{
    public static DatasetSummary Of(MovieLensDataset dataset)
    {
        var perUser = new Dictionary<int, int>();
        var rated = new HashSet<int>();
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        double sum = 0;
        foreach (Rating r in dataset.Ratings)
        {
            perUser[r.UserId] = perUser.GetValueOrDefault(r.UserId) + 1;
            rated.Add(r.MovieId);
            min = Math.Min(min, r.Value);
            max = Math.Max(max, r.Value);
            sum += r.Value;
        }

        int[] counts = [.. perUser.Values];
        Array.Sort(counts);
        double median = counts.Length % 2 == 1
            ? counts[counts.Length / 2]
            : (counts[(counts.Length / 2) - 1] + counts[counts.Length / 2]) / 2.0;

        var genres = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (Movie m in dataset.Movies)
        {
            foreach (string g in m.Genres)
            {
                genres[g] = genres.GetValueOrDefault(g) + 1;
            }
        }

        // The catalogue is the movie file; a folder without one has only the movies that were rated.
        int catalogue = dataset.Movies.Count > 0 ? dataset.Movies.Select(m => m.MovieId).Distinct().Count() : rated.Count;
        return new DatasetSummary(
            dataset.Name,
            dataset.Format,
            dataset.Ratings.Length,
            perUser.Count,
            catalogue,
            rated.Count,
            dataset.Tags.Count,
            dataset.Links.Count,
            min,
            max,
            sum / dataset.Ratings.Length,
            (double)dataset.Ratings.Length / ((double)perUser.Count * rated.Count),
            counts[0],
            median,
            counts[^1],
            [.. genres.OrderByDescending(g => g.Value).ThenBy(g => g.Key, StringComparer.Ordinal).Select(g => new GenreCount(g.Key, g.Value))],
            dataset.Report.DuplicateRatings,
            dataset.Report.SkippedRows);
    }
}
