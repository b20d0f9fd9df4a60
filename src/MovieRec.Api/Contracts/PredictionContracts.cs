using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace MovieRec.Api.Contracts;

[Description("A rating to predict.")]
public sealed record PredictRequest
{
    [Description("MovieLens user id.")]
    public required int UserId { get; init; }

    [Description("MovieLens movie id.")]
    public required int MovieId { get; init; }

    [Description("Model name (see GET /models); null or absent means the default model (MovieRec:DefaultModel).")]
    public string? Model { get; init; }

    [Description("Answer unknown users or movies with the model's baseline fallback instead of 404.")]
    public bool AllowFallback { get; init; }
}

[Description("A (user, movie) pair of a batch.")]
public sealed record PredictPair
{
    [Description("MovieLens user id.")]
    public required int UserId { get; init; }

    [Description("MovieLens movie id.")]
    public required int MovieId { get; init; }
}

[Description("Many ratings to predict with one model.")]
public sealed record PredictBatchRequest
{
    [Description("The pairs, 1 to 1000; none of them null.")]
    [Length(1, Apis.PredictionApi.MaxBatch)]
    public required IReadOnlyList<PredictPair> Pairs { get; init; }

    [Description("Model name (see GET /models); null or absent means the default model (MovieRec:DefaultModel).")]
    public string? Model { get; init; }

    [Description("Answer unknown users or movies with the model's baseline fallback instead of 404.")]
    public bool AllowFallback { get; init; }
}

[Description("A predicted rating, clipped to the rating scale.")]
public sealed record PredictionResponse(
    [property: Description("MovieLens user id.")] int UserId,
    [property: Description("MovieLens movie id.")] int MovieId,
    [property: Description("The model that answered.")] string Model,
    [property: Description("Predicted rating.")] float Rating,
    [property: Description("Whether a baseline fallback answered instead of the model.")] bool IsFallback,
    [property: Description("Why the fallback answered, when it did.")] string? FallbackReason);

[Description("Predictions in the order of the request's pairs.")]
public sealed record PredictBatchResponse(
    [property: Description("The model that answered.")] string Model,
    [property: Description("The bundle that answered.")] string BundleId,
    [property: Description("One prediction per pair.")] IReadOnlyList<PredictionResponse> Predictions);
