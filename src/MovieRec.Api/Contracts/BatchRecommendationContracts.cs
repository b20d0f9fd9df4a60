using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace MovieRec.Api.Contracts;

[Description("Recommendations for many users of the data (or with live ratings) in one call: one list per id, as GET /recommend/user gives it.")]
public sealed record BatchRecommendationRequest
{
    [Description("MovieLens user ids, 1 to 1000; an id may repeat (each place gets its own entry). Unknown users give 404 naming them, unless allowFallback is set.")]
    [Length(1, Apis.BatchRecommendationApi.MaxUsers)]
    public required IReadOnlyList<int> UserIds { get; init; }

    [Description("How many movies per user, 1 to 100.")]
    [Range(1, Apis.ApiProblems.MaxN)]
    [DefaultValue(10)]
    public int N { get; init; } = 10;

    [Description("Model name (see GET /models); null or absent means the default model (MovieRec:DefaultModel). A batch never enrols users in experiments.")]
    public string? Model { get; init; }

    [Description("Where each page starts in the user's ranking, 0 to 10000.")]
    [Range(0, Apis.RecommendationApi.MaxOffset)]
    public int Offset { get; init; }

    [Description("Only movies of this genre (case-insensitive), e.g. Comedy.")]
    public string? Genre { get; init; }

    [Description("Leave out the movies each user has rated.")]
    [DefaultValue(true)]
    public bool ExcludeRated { get; init; } = true;

    [Description("Answer unknown users with the model's non-personal ranking instead of 404.")]
    public bool AllowFallback { get; init; }
}

[Description("One recommendation list per requested user id, in request order.")]
public sealed record BatchRecommendationResponse(
    [property: Description("Entry k answers userIds[k]; each is what GET /recommend/user gives for that user with the same n, offset, model, genre and excludeRated.")]
    IReadOnlyList<RecommendationResponse> Results);
