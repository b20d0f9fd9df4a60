using Microsoft.AspNetCore.Http.HttpResults;
using MovieRec.Api.Hosting;
using MovieRec.Core.Models;

namespace MovieRec.Api.Apis;

/// <summary>The RFC 7807 answers the endpoints share, each naming the field or id at fault.</summary>
public static class ApiProblems
{
    public const int MaxN = 100;

    public static ProblemHttpResult NotReady() => TypedResults.Problem(
        statusCode: StatusCodes.Status503ServiceUnavailable, title: "No model bundle is loaded yet",
        detail: "The service is loading or training its models, or its first start failed and is being retried; /health/ready says which.");

    /// <summary>404 for a user outside the training data; <paramref name="fallbackHint"/> only where the endpoint has <c>allowFallback</c>.</summary>
    public static ProblemHttpResult UnknownUser(int userId, bool fallbackHint = true) => TypedResults.Problem(
        statusCode: StatusCodes.Status404NotFound, title: "Unknown user",
        detail: fallbackHint
            ? $"User {userId} is not in the training data. Set allowFallback to get a non-personal answer."
            : $"User {userId} is not in the training data.",
        extensions: new Dictionary<string, object?> { ["userId"] = userId });

    public static ProblemHttpResult UnknownMovie(int movieId) => TypedResults.Problem(
        statusCode: StatusCodes.Status404NotFound, title: "Unknown movie",
        detail: $"Movie {movieId} is not in the catalogue.",
        extensions: new Dictionary<string, object?> { ["movieId"] = movieId });

    public static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, detail: message);

    /// <summary>
    /// The model by name, or a 400 listing the models of the bundle. A null name is a 400 too: endpoints resolve
    /// "no model named" first, from <c>MovieRec:DefaultModel</c> (<c>RecommendationApi.TryGetModel</c>, <see cref="TryGetSimilarModel"/>).
    /// </summary>
    public static bool TryGetModel(ServedBundle bundle, string? name, out IRecommenderModel model, out ValidationProblem? problem)
    {
        if (name is not null && bundle.Bundle.Models.TryGetValue(name, out IRecommenderModel? found))
        {
            model = found;
            problem = null;
            return true;
        }

        model = null!;
        problem = Invalid("model", $"Unknown model '{name}'. Available models: {string.Join(", ", bundle.ModelNames)}.");
        return false;
    }

    /// <summary>
    /// The model of <c>/movies/{id}/similar</c>: the named one, else the first of <c>MovieRec:DefaultModel</c>,
    /// <c>item-knn</c> (as <c>movierec similar</c>) and <c>svd</c> that has a notion of similar movies, else the bundle's
    /// first model that has one.
    /// </summary>
    public static bool TryGetSimilarModel(ServedBundle bundle, string? name, MovieRecOptions options, out IRecommenderModel model, out ValidationProblem? problem)
    {
        name ??= ((string[])[options.DefaultModel, "item-knn", "svd"]).FirstOrDefault(bundle.SimilarModels.Contains)
            ?? (bundle.SimilarModels.Count > 0 ? bundle.SimilarModels[0] : options.DefaultModel);
        return TryGetModel(bundle, name, out model, out problem);
    }

    /// <summary>Null when <paramref name="n"/> is within 1..100, else the 400 naming the field.</summary>
    public static ValidationProblem? CheckN(int n, string field = "n") =>
        n is < 1 or > MaxN ? Invalid(field, $"'{field}' must be between 1 and {MaxN}; it was {n}.") : null;

    /// <summary>Null when the genre is absent or in the catalogue, else the 400 listing the genres.</summary>
    public static ValidationProblem? CheckGenre(ServedBundle bundle, string? genre) =>
        genre is null || bundle.MoviesByGenre.ContainsKey(genre)
            ? null
            : Invalid("genre", $"Unknown genre '{genre}'. Genres: {string.Join(", ", bundle.Genres)}.");
}
