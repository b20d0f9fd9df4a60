using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using MovieRec.Api.Contracts;
using MovieRec.Api.Hosting;
using MovieRec.Core.Artifacts;
using MovieRec.Core.Models;
using MovieRec.Core.Models.Factorization;

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
            .WithSummary($"Load the models folder's current bundle (header {ApiKeyHeader}); on failure the old bundle keeps serving");
        return app;
    }

    public static Results<Ok<ModelsResponse>, ProblemHttpResult> GetModels(ModelHost host)
    {
        if (host.Current is not ServedBundle bundle)
        {
            return ApiProblems.NotReady();
        }

        BundleManifest m = bundle.Bundle.Manifest;
        ModelResponse[] models = [.. m.Models.Select(entry => new ModelResponse(
            entry.Name,
            ModelCatalog.All.FirstOrDefault(i => string.Equals(i.Name, entry.Name, StringComparison.OrdinalIgnoreCase))?.Description,
            entry.Options,
            entry.FitSeconds,
            entry.Holdout,
            bundle.SimilarModels.Contains(entry.Name),
            bundle.Bundle.Models[entry.Name] is MatrixFactorizationModel))];
        return TypedResults.Ok(new ModelsResponse(m.Id, m.CreatedAt, m.Dataset.Name, m.Dataset.Ratings, m.Dataset.Users, m.Dataset.Movies, models));
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
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status500InternalServerError, title: "Reload failed; the previous bundle keeps serving",
                detail: e.Message, extensions: new Dictionary<string, object?> { ["servingBundleId"] = host.Current?.Id });
        }
    }
}
