using System.ComponentModel;

namespace MovieRec.Api.Contracts;

[Description("A catalogue entry with its rating statistics.")]
public sealed record MovieResponse(
    [property: Description("MovieLens movie id.")] int MovieId,
    [property: Description("Title as in the catalogue.")] string Title,
    [property: Description("Release year parsed from the title.")] int? Year,
    [property: Description("Genres.")] IReadOnlyList<string> Genres,
    [property: Description("Ratings in the training data.")] int RatingCount,
    [property: Description("Mean training rating, null without ratings.")] double? MeanRating,
    [property: Description("IMDb id without the 'tt' prefix (links.csv), null when unknown.")] string? ImdbId = null,
    [property: Description("TMDB movie id (links.csv), null when unknown.")] int? TmdbId = null);

[Description("One page of a catalogue search.")]
public sealed record MoviePage(
    [property: Description("1-based page number.")] int Page,
    [property: Description("Page size.")] int PageSize,
    [property: Description("Movies matching the search, over all pages.")] int Total,
    [property: Description("This page: best match first when there is a query, else by movie id.")] IReadOnlyList<MovieResponse> Items);

[Description("Movies like a given one.")]
public sealed record SimilarMoviesResponse(
    [property: Description("The movie asked about.")] int MovieId,
    [property: Description("The model that answered.")] string Model,
    [property: Description("The bundle that answered.")] string BundleId,
    [property: Description("Most similar first; Score is the similarity.")] IReadOnlyList<RankedMovie> Items);

[Description("A rating a user gave.")]
public sealed record UserRatingResponse(
    [property: Description("MovieLens movie id.")] int MovieId,
    [property: Description("Title, or null when the movie is not in the catalogue.")] string? Title,
    [property: Description("Release year.")] int? Year,
    [property: Description("Genres.")] IReadOnlyList<string> Genres,
    [property: Description("The rating.")] float Rating)
{
    [Description("dataset or live.")]
    public string Source { get; init; } = "dataset";
}

[Description("A user's ratings (dataset overlaid with live ratings), one page.")]
public sealed record UserRatingsResponse(
    [property: Description("MovieLens user id.")] int UserId,
    [property: Description("How many ratings in all pages.")] int Count,
    [property: Description("Mean rating.")] double MeanRating,
    [property: Description("This page: highest rating first, then by movie id.")] IReadOnlyList<UserRatingResponse> Ratings)
{
    [Description("1-based page.")]
    public int Page { get; init; } = 1;

    [Description("Ratings per page.")]
    public int PageSize { get; init; }

    [Description("Number of pages.")]
    public int Pages { get; init; }

    [Description("How many of the ratings are live (posted to the service).")]
    public int LiveRatings { get; init; }
}
