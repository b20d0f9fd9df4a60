using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using MovieRec.Api.Contracts;
using MovieRec.Api.Extensions;
using MovieRec.Api.Hosting;
using MovieRec.Core.Models;

namespace MovieRec.Api.Apis;

/// <summary>POST /predict and /predict/batch.</summary>
public static class PredictionApi
{
    public const int MaxBatch = 1000;

    public static IEndpointRouteBuilder MapPredictionApi(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder api = app.MapGroup("/predict").WithTags("Predictions");
        api.AddEndpointFilter(ScoringGate.Filter);
        api.MapPost("/", Predict).WithName("Predict").WithSummary("Predict the rating a user would give a movie")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/batch", PredictBatch).WithName("PredictBatch").WithSummary($"Predict many (user, movie) pairs with one model (at most {MaxBatch})")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    public static Results<Ok<PredictionResponse>, ValidationProblem, ProblemHttpResult> Predict(PredictRequest request, ModelHost host, IOptions<MovieRecOptions>? options = null, HttpContext? context = null)
    {
        if (host.Current is not ServedBundle bundle)
        {
            return ApiProblems.NotReady();
        }

        if (!RecommendationApi.TryGetModel(bundle, request.Model, options?.Value ?? new MovieRecOptions(), out IRecommenderModel model, out ValidationProblem? invalid))
        {
            return invalid!;
        }

        if (!request.AllowFallback && Unknown(bundle, request.UserId, request.MovieId) is ProblemHttpResult notFound)
        {
            return notFound;
        }

        context.SetAnsweringModel(model.Name);
        return TypedResults.Ok(ToResponse(model.Predict(request.UserId, request.MovieId), model.Name));
    }

    public static Results<Ok<PredictBatchResponse>, ValidationProblem, ProblemHttpResult> PredictBatch(PredictBatchRequest request, ModelHost host, IOptions<MovieRecOptions>? options = null, HttpContext? context = null)
    {
        if (host.Current is not ServedBundle bundle)
        {
            return ApiProblems.NotReady();
        }

        if (request.Pairs is null || request.Pairs.Count is 0 or > MaxBatch)
        {
            return ApiProblems.Invalid("pairs", $"'pairs' must hold 1 to {MaxBatch} pairs; it held {request.Pairs?.Count ?? 0}.");
        }

        // JSON null elements deserialize as null whatever the element type says.
        for (int p = 0; p < request.Pairs.Count; p++)
        {
            if (request.Pairs[p] is null)
            {
                return ApiProblems.Invalid($"pairs[{p}]", $"'pairs[{p}]' is null; every pair must be an object with userId and movieId.");
            }
        }

        if (!RecommendationApi.TryGetModel(bundle, request.Model, options?.Value ?? new MovieRecOptions(), out IRecommenderModel model, out ValidationProblem? invalid))
        {
            return invalid!;
        }

        var predictions = new PredictionResponse[request.Pairs.Count];
        for (int p = 0; p < predictions.Length; p++)
        {
            PredictPair pair = request.Pairs[p];
            if (!request.AllowFallback && Unknown(bundle, pair.UserId, pair.MovieId) is ProblemHttpResult notFound)
            {
                return notFound;
            }

            predictions[p] = ToResponse(model.Predict(pair.UserId, pair.MovieId), model.Name);
        }

        context.SetAnsweringModel(model.Name);
        return TypedResults.Ok(new PredictBatchResponse(model.Name, bundle.Id, predictions));
    }

    private static ProblemHttpResult? Unknown(ServedBundle bundle, int userId, int movieId) =>
        !bundle.IsKnownUser(userId) ? ApiProblems.UnknownUser(userId)
        : !bundle.IsKnownMovie(movieId) ? ApiProblems.UnknownMovie(movieId)
        : null;

    private static PredictionResponse ToResponse(Prediction p, string model) =>
        new(p.UserId, p.MovieId, model, p.Rating, p.IsFallback, p.FallbackReason);
}
