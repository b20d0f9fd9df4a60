using Microsoft.AspNetCore.Http.HttpResults;
using MovieRec.Api.Contracts;
using MovieRec.Api.Extensions;
using MovieRec.Api.Hosting;
using MovieRec.Core.Experiments;

namespace MovieRec.Api.Apis;

/// <summary>GET /experiments and /experiments/{name} (statistics); POST/PUT/DELETE /admin/experiments (admin key).</summary>
public static class ExperimentApi
{
    public static IEndpointRouteBuilder MapExperimentApi(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder api = app.MapGroup("/experiments").WithTags("Experiments");
        api.MapGet("/", ListExperiments).WithName("ListExperiments")
            .WithSummary("The configured and stored experiments, with whether each is active");
        api.MapGet("/{name}", GetExperiment).WithName("GetExperiment")
            .WithSummary("Per-variant users, impressions, clicks, CTR with 95% intervals; lift; z-test, user-level and mSPRT p-values; sample-ratio check; preference share for interleaving; the winner only when significant");

        RouteGroupBuilder admin = app.MapGroup("/admin/experiments").WithTags("Experiments");
        admin.MapPost("/", CreateExperiment).WithName("CreateExperiment")
            .WithSummary("Creates an experiment (admin key in X-Api-Key); stored in the feedback database").RequireRole(ApiRoles.Admin);
        admin.MapPut("/{name}", ReplaceExperiment).WithName("ReplaceExperiment")
            .WithSummary("Creates or replaces an experiment (admin key); a stored definition overrides a configured one").RequireRole(ApiRoles.Admin);
        admin.MapDelete("/{name}", DeleteExperiment).WithName("DeleteExperiment")
            .WithSummary("Deletes a stored experiment (admin key); its served lists and events are kept").RequireRole(ApiRoles.Admin);
        return app;
    }

    public static Ok<ExperimentList> ListExperiments(ExperimentService experiments, TimeProvider time)
    {
        DateTimeOffset now = time.GetUtcNow();
        return TypedResults.Ok(new ExperimentList([.. experiments.All().Select(e => new ExperimentSummary(
            e.Definition.Name, e.Definition.Type, e.Definition.Allocation, e.Definition.IsActive(now),
            e.Source == ExperimentSource.Store ? "store" : "configuration", e.Definition.Variants)
        {
            Start = e.Definition.Start,
            End = e.Definition.End,
        })]));
    }

    public static async Task<Results<Ok<ExperimentReport>, ProblemHttpResult>> GetExperiment(string name, ExperimentService experiments, VariantModels variantModels,
        CancellationToken cancellationToken)
    {
        ExperimentReport? report = await experiments.ReportAsync(name, cancellationToken).ConfigureAwait(false);
        if (report is null || experiments.Find(name) is not (ExperimentDefinition definition, _))
        {
            return UnknownExperiment(name);
        }

        IReadOnlyList<VariantModelStatus> trained = variantModels.Status(definition);
        return TypedResults.Ok(trained.Count == 0 ? report : report with { VariantModels = trained });
    }

    public static async Task<Results<Created<ExperimentDefinition>, ValidationProblem, ProblemHttpResult>> CreateExperiment(
        ExperimentDefinition definition, ExperimentService experiments, ModelHost host, VariantModels variantModels, ApiKeyRing keys, CancellationToken cancellationToken)
    {
        if (AdminDisabled(keys, "POST /admin/experiments") is ProblemHttpResult disabled)
        {
            return disabled;
        }

        if (Validate(definition, host) is ValidationProblem invalid)
        {
            return invalid;
        }

        if (!experiments.IsAvailable)
        {
            return StoreNotReady();
        }

        if (experiments.Find(definition.Name) is not null
            || !await experiments.SaveAsync(definition, create: true, cancellationToken).ConfigureAwait(false))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Experiment exists",
                detail: $"An experiment named '{definition.Name}' exists; PUT /admin/experiments/{definition.Name} replaces it.");
        }

        variantModels.Prepare(definition);
        return TypedResults.Created($"/experiments/{definition.Name}", definition);
    }

    public static async Task<Results<Ok<ExperimentDefinition>, ValidationProblem, ProblemHttpResult>> ReplaceExperiment(
        string name, ExperimentDefinition definition, ExperimentService experiments, ModelHost host, VariantModels variantModels, ApiKeyRing keys,
        CancellationToken cancellationToken)
    {
        if (AdminDisabled(keys, "PUT /admin/experiments") is ProblemHttpResult disabled)
        {
            return disabled;
        }

        definition = definition with { Name = string.IsNullOrEmpty(definition.Name) ? name : definition.Name };
        if (!string.Equals(definition.Name, name, StringComparison.Ordinal))
        {
            return ApiProblems.Invalid("name", $"'name' ('{definition.Name}') differs from the name in the path ('{name}').");
        }

        if (Validate(definition, host) is ValidationProblem invalid)
        {
            return invalid;
        }

        if (!experiments.IsAvailable)
        {
            return StoreNotReady();
        }

        await experiments.SaveAsync(definition, create: false, cancellationToken).ConfigureAwait(false);
        variantModels.Prepare(definition);
        return TypedResults.Ok(definition);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteExperiment(
        string name, ExperimentService experiments, ApiKeyRing keys, CancellationToken cancellationToken)
    {
        if (AdminDisabled(keys, "DELETE /admin/experiments") is ProblemHttpResult disabled)
        {
            return disabled;
        }

        if (experiments.Find(name) is not (_, ExperimentSource source))
        {
            return UnknownExperiment(name);
        }

        if (!experiments.IsAvailable)
        {
            return StoreNotReady();
        }

        if (source == ExperimentSource.Configuration)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Experiment is configured",
                detail: $"'{name}' is defined in configuration (MovieRec:Experiments); remove it there, or PUT an ended window to stop it.");
        }

        await experiments.DeleteAsync(name, cancellationToken).ConfigureAwait(false);
        return TypedResults.NoContent();
    }

    /// <summary>As POST /admin/retrain: with no key configured at all, experiment administration is off rather than open.</summary>
    private static ProblemHttpResult? AdminDisabled(ApiKeyRing keys, string what) => keys.IsOpen
        ? TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Experiment administration is disabled",
            detail: $"No API key is configured (MovieRec:ApiKeys:<name>:Key with the admin role, or MovieRec:AdminApiKey), so {what} is disabled.")
        : null;

    private static ValidationProblem? Validate(ExperimentDefinition? definition, ModelHost host)
    {
        if (definition is null)
        {
            return ApiProblems.Invalid("body", "A JSON experiment definition is required.");
        }

        Func<string, bool> known = host.Current is ServedBundle bundle ? bundle.Bundle.Models.ContainsKey : _ => true;
        IReadOnlyList<(string Field, string Message)> errors = definition.Validate(known);
        if (errors.Count == 0)
        {
            return null;
        }

        var byField = errors.GroupBy(e => e.Field).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray());
        return TypedResults.ValidationProblem(byField, detail: errors[0].Message);
    }

    private static ProblemHttpResult StoreNotReady() => TypedResults.Problem(
        statusCode: StatusCodes.Status503ServiceUnavailable, title: "The feedback store is not open yet",
        detail: "Experiments are kept in the feedback store, which is still opening; see /health/ready.");

    private static ProblemHttpResult UnknownExperiment(string name) => TypedResults.Problem(
        statusCode: StatusCodes.Status404NotFound, title: "Unknown experiment", detail: $"There is no experiment named '{name}'.",
        extensions: new Dictionary<string, object?> { ["experiment"] = name });
}
