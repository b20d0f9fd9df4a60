using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace MovieRec.Api.Contracts;

[Description("A recommended or similar movie.")]
public sealed record RankedMovie(
    [property: Description("1 for the best.")] int Rank,
    [property: Description("MovieLens movie id.")] int MovieId,
    [property: Description("Title as in the catalogue.")] string Title,
    [property: Description("Release year parsed from the title.")] int? Year,
    [property: Description("Genres.")] IReadOnlyList<string> Genres,
    [property: Description("Ranking score (recommendations) or similarity (similar movies); higher is better.")] float Score)
{
    [Description("With explain=true: up to 3 of the user's rated movies that contributed most to Score, largest first.")]
    public IReadOnlyList<Explanation>? Because { get; init; }

    [Description("In an interleaving experiment: the variant whose list contributed this movie (team-draft).")]
    public string? Variant { get; init; }
}

[Description("A rated movie's share of a recommended movie's score.")]
public sealed record Explanation(
    [property: Description("The rated movie.")] int MovieId,
    [property: Description("Its title.")] string Title,
    [property: Description("Its additive share of the ranking score (implicit-als, ease, content, and the hybrid through its ranking model) or its similarity (item-knn).")] float Weight);

[Description("A ranked list of movies for a user or a visitor.")]
public sealed record RecommendationResponse(
    [property: Description("The user, or null for a visitor.")] int? UserId,
    [property: Description("The model asked for.")] string Model,
    [property: Description("The model that produced the list (differs from Model when a fallback answered).")] string AnsweredBy,
    [property: Description("How the list was made: model, fold-in, popularity, non-personal.")] string Method,
    [property: Description("Why a fallback answered, when one did.")] string? FallbackReason,
    [property: Description("The bundle that answered.")] string BundleId,
    [property: Description("Best first.")] IReadOnlyList<RankedMovie> Items)
{
    [Description("Rank of the first item minus one (the page start).")]
    public int Offset { get; init; }

    [Description("Sequence number of the user's latest live rating the list reflects (0: none).")]
    public long LiveVersion { get; init; }

    [Description("The experiment this list was served in, when the user or session is enrolled in one.")]
    public string? Experiment { get; init; }

    [Description("The experiment's variant that served the list ('interleave' for an interleaving experiment).")]
    public string? Variant { get; init; }

    [Description("Id of this list: send it with POST /events (impression, click) so outcomes count for the experiment.")]
    public string? RecommendationId { get; init; }
}

[Description("A rating a visitor gave.")]
public sealed record VisitorRating
{
    [Description("MovieLens movie id.")]
    public required int MovieId { get; init; }

    [Description("Rating on the served dataset's scale: 0.5 to 5 in steps of 0.5 for ml-latest-small, 1 to 5 for ml-100k.")]
    [Range(0.5, 5)]
    public required float Rating { get; init; }
}

[Description("Recommendations for a visitor who is not in the data, from the ratings they give now.")]
public sealed record VisitorRecommendationRequest
{
    [Description("The visitor's ratings, at most 1000 (none of them null); empty, null or absent gives the most popular movies.")]
    [MaxLength(Apis.RecommendationApi.MaxVisitorRatings)]
    public IReadOnlyList<VisitorRating>? Ratings { get; init; }

    [Description("How many movies, 1 to 100.")]
    [Range(1, Apis.ApiProblems.MaxN)]
    [DefaultValue(10)]
    public int N { get; init; } = 10;

    [Description("Model name (default MovieRec:DefaultModel); models that can place a new user fold the visitor in, others fall back to popularity.")]
    public string? Model { get; init; }

    [Description("Skip this many of the best movies (paging with n).")]
    public int Offset { get; init; }

    [Description("Add to each movie the rated movies that contributed most.")]
    public bool Explain { get; init; }

    [Description("Only movies of this genre.")]
    public string? Genre { get; init; }

    [Description("The visitor's session id (1-200 characters): it enrols the visitor in the running experiment when no model is named.")]
    [StringLength(200, MinimumLength = 1)]
    public string? SessionId { get; init; }

    [Description("Enrol in this experiment rather than the first active one (needs sessionId).")]
    public string? Experiment { get; init; }
}
