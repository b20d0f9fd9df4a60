namespace MovieRec.Core.Data;

/// <summary>A whole MovieLens dataset as read from one folder.</summary>
public sealed class MovieLensDataset
{
    public required string Folder { get; init; }

    /// <summary>The folder's name, e.g. "ml-latest-small".</summary>
    public required string Name { get; init; }

    public required MovieLensFormat Format { get; init; }

    /// <summary>The scale this format declares; every rating lies inside it.</summary>
    public required RatingScale Scale { get; init; }

    /// <summary>Ratings in file order, one per (user, movie).</summary>
    public required Rating[] Ratings { get; init; }

    public required IReadOnlyList<Movie> Movies { get; init; }

    public required IReadOnlyList<Tag> Tags { get; init; }

    public required IReadOnlyList<MovieLink> Links { get; init; }

    public required LoadReport Report { get; init; }

    /// <summary>The files that were read, for checksums and messages.</summary>
    public required IReadOnlyList<string> Files { get; init; }

    /// <summary>How many ratings the dataset read: <see cref="Ratings"/>' length, also after <see cref="WithoutRatings"/>.</summary>
    public int RatingCount => ReleasedRatingCount ?? Ratings.Length;

    private int? ReleasedRatingCount { get; init; }

    /// <summary>
    /// The same dataset without its ratings array (<see cref="RatingCount"/> still says how many it read), so a caller
    /// that has built its rating matrix can let the array go (25 M ratings: 600 MB).
    /// </summary>
    public MovieLensDataset WithoutRatings() => Copy([], RatingCount);

    /// <summary>The same dataset with other ratings (e.g. live feedback applied), everything else shared.</summary>
    public MovieLensDataset WithRatings(Rating[] ratings) => Copy(ratings, null);

    private MovieLensDataset Copy(Rating[] ratings, int? released) => new()
    {
        Folder = Folder,
        Name = Name,
        Format = Format,
        Scale = Scale,
        Ratings = ratings,
        Movies = Movies,
        Tags = Tags,
        Links = Links,
        Report = Report,
        Files = Files,
        ReleasedRatingCount = released,
    };
}
