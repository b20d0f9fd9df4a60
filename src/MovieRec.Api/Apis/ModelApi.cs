using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using MovieRec.Api.Contracts;
using MovieRec.Api.Extensions;
using MovieRec.Api.Hosting;
using MovieRec.Core.Artifacts;
using MovieRec.Core.Models;

namespace MovieRec.Api.Apis;

/// <summary>GET /models and POST /admin/reload.</summary>
public static class ModelApi
{
    public const string ApiKeyHeader = "X-Api-Key";

    public static IEndpointRouteBuilder MapModelApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/models").WithTags("Models")
            .MapGet("/", GetModels).WithName("GetModels").WithSummary("The bundle being served: version, dataset, models with options and metrics");
        app.MapGroup("/admin").WithTags("Admin")
            .MapPost("/reload", Reload).WithName("Reload")
            .WithSummary($"Load the models folder's current bundle (header {ApiKeyHeader}); on failure the old bundle keeps serving")
            .RequiresApiKey()
            .ProducesProblem(StatusCodes.Status500InternalServerError);
        app.MapGroup("/admin").WithTags("Admin")
            .MapPost("/retrain", Retrain).WithName("Retrain")
            .WithSummary("Train a new bundle from the dataset and all live ratings and swap it in (admin key; wait=true answers when done); one at a time")
            .WithMetadata(new Extensions.RequiresRole(Extensions.ApiRoles.Admin));
        return app;
    }

    public static async Task<Results<Ok<RetrainStatus>, Accepted<RetrainStatus>, ProblemHttpResult>> Retrain(
        Retrainer retrainer, Extensions.ApiKeyRing keys, bool wait = false)
    {
        if (keys.IsOpen)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Retrain is disabled",
                detail: "No API key is configured (MovieRec:ApiKeys:<name>:Key with the admin role, or MovieRec:AdminApiKey), so POST /admin/retrain is disabled.");
        }

        Task<RetrainStatus>? run = retrainer.TryStart("POST /admin/retrain");
        if (run is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "A retrain is already running",
                detail: $"A retrain started at {retrainer.Status.StartedAt:O} is running; one runs at a time. See GET /models.",
                extensions: new Dictionary<string, object?> { ["startedAt"] = retrainer.Status.StartedAt });
        }

        return wait ? TypedResults.Ok(await run.ConfigureAwait(false)) : TypedResults.Accepted("/models", retrainer.Status);
    }

    public static Results<Ok<ModelsResponse>, ProblemHttpResult> GetModels(ModelHost host, LiveFeedback feedback, Retrainer retrainer, IOptions<MovieRecOptions> options)
    {
        if (host.Current is not ServedBundle bundle)
        {
            return ApiProblems.NotReady();
        }

        BundleManifest m = bundle.Bundle.Manifest;
        ModelResponse[] models = [.. m.Models.Select(entry =>
        {
            ModelInfo? info = ModelRegistry.All.FirstOrDefault(i => string.Equals(i.Name, entry.Name, StringComparison.OrdinalIgnoreCase));
            ModelCapabilities capabilities = bundle.Capabilities[entry.Name];
            return new ModelResponse(entry.Name, info?.Description, DeclaredOptions(entry.Options, info), entry.FitSeconds, entry.Holdout,
                capabilities.SimilarItems is not null, capabilities.FoldIn is not null);
        })];
        _ = RecommendationApi.TryGetModel(bundle, null, options.Value, out IRecommenderModel defaultModel, out _);
        return TypedResults.Ok(new ModelsResponse(m.Id, m.CreatedAt, m.Dataset.Name, m.Dataset.Ratings, m.Dataset.Users, m.Dataset.Movies, models)
        {
            DefaultModel = defaultModel?.Name,
            FeedbackWatermark = m.Feedback,
            LiveFeedback = new LiveFeedbackResponse(feedback.Provider, feedback.LastSequence, feedback.LiveRatingCount, feedback.Users.Count,
                feedback.LastSequence - (m.Feedback?.LastSequence ?? 0)),
            Retrain = retrainer.Status,
        });
    }

    /// <summary>
    /// Only the options the model's algorithm declares: bundles written before the registry recorded every property of
    /// the options record, including ones that do not apply to the algorithm.
    /// </summary>
    private static JsonElement? DeclaredOptions(JsonElement? recorded, ModelInfo? info)
    {
        if (recorded is not { ValueKind: JsonValueKind.Object } options || info is null)
        {
            return recorded;
        }

        var kept = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (JsonProperty property in options.EnumerateObject())
        {
            if (info.Algorithm.Option(property.Name) is not null)
            {
                kept[property.Name] = property.Value;
            }
        }

        return JsonSerializer.SerializeToElement(kept);
    }

    public static async Task<Results<Ok<ReloadResponse>, ProblemHttpResult>> Reload(
        HttpRequest request, ModelHost host, IOptions<MovieRecOptions> options, CancellationToken cancellationToken)
    {
        string? key = options.Value.AdminApiKey;
        if (string.IsNullOrEmpty(key))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Reload is disabled",
                detail: "No admin API key is configured (MovieRec:AdminApiKey), so POST /admin/reload is disabled.");
        }

        string? given = request.Headers[ApiKeyHeader];
        if (given is null || !System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
                System.Text.Encoding.UTF8.GetBytes(given), System.Text.Encoding.UTF8.GetBytes(key)))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Missing or wrong API key",
                detail: $"POST /admin/reload needs the admin API key in the {ApiKeyHeader} header.");
        }

        try
        {
            ReloadOutcome outcome = await host.ReloadAsync(cancellationToken).ConfigureAwait(false);
            return TypedResults.Ok(new ReloadResponse(outcome.PreviousBundleId, outcome.BundleId, outcome.LoadSeconds));
        }
#pragma warning disable CA1031 // Whatever stops the new bundle loading, the answer is the same: the old one keeps serving.
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
#pragma warning restore CA1031
        {
            string? serving = host.Current?.Id;
            return TypedResults.Problem(statusCode: StatusCodes.Status500InternalServerError,
                title: serving is null ? "Reload failed; no bundle is serving" : "Reload failed; the previous bundle keeps serving",
                detail: e.Message, extensions: new Dictionary<string, object?> { ["servingBundleId"] = serving });
        }
    }
}
