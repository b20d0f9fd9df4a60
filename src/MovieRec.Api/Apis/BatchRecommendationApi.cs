using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using MovieRec.Api.Contracts;
using MovieRec.Api.Extensions;
using MovieRec.Api.Hosting;
using MovieRec.Core.Models;

namespace MovieRec.Api.Apis;

/// <summary>
/// POST /recommend/batch: GET /recommend/user for up to <see cref="MaxUsers"/> users in one call, each entry identical to
/// the single call's answer: every user is ranked by <see cref="ServedBundle.Recommend"/>, the single call's own path,
/// in parallel over range partitions of the ids.
/// </summary>
public static class BatchRecommendationApi
{
    public const int MaxUsers = 1000;

    /// <summary>Unknown ids named in the 404's detail (the <c>userIds</c> extension names them all).</summary>
    private const int UnknownIdsInDetail = 20;

    private const int BatchRange = 8;

    internal static RouteGroupBuilder MapBatchRecommendation(this RouteGroupBuilder api)
    {
        api.MapPost("/batch", RecommendBatch).WithName("RecommendBatch")
            .WithSummary($"GET /recommend/user for up to {MaxUsers} users in one call: one list per id, in request order; no experiment enrolment")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    public static Results<Ok<BatchRecommendationResponse>, ValidationProblem, ProblemHttpResult> RecommendBatch(
        BatchRecommendationRequest request, ModelHost host, LiveFeedback feedback, IOptions<MovieRecOptions> options, HttpContext? context = null)
    {
        if (host.Current is not ServedBundle bundle)
        {
            return ApiProblems.NotReady();
        }

        IReadOnlyList<int>? ids = request.UserIds;
        if (ids is null || ids.Count is 0 or > MaxUsers)
        {
            return ApiProblems.Invalid("userIds", $"'userIds' must hold 1 to {MaxUsers} user ids; it held {ids?.Count ?? 0}.");
        }

        if ((ApiProblems.CheckN(request.N) ?? RecommendationApi.CheckOffset(request.Offset) ?? ApiProblems.CheckGenre(bundle, request.Genre))
            is ValidationProblem invalid)
        {
            return invalid;
        }

        if (!RecommendationApi.TryGetModel(bundle, request.Model, options.Value, out IRecommenderModel model, out ValidationProblem? unknownModel))
        {
            return unknownModel!;
        }

        context.SetAnsweringModel(model.Name);

        // Live ratings are read once per entry, so each list and its LiveVersion agree.
        var live = new UserLiveRatings?[ids.Count];
        var known = new bool[ids.Count];
        List<int>? unknown = null;
        HashSet<int>? unknownSet = null;
        for (int p = 0; p < ids.Count; p++)
        {
            live[p] = feedback.Get(ids[p]);
            known[p] = bundle.IsKnownUser(ids[p]) || live[p]?.HasRatings == true;
            if (!known[p] && !request.AllowFallback && (unknownSet ??= []).Add(ids[p]))
            {
                (unknown ??= []).Add(ids[p]);
            }
        }

        if (unknown is not null)
        {
            return UnknownUsers(unknown);
        }

        // Ranges of a few users: a user's cost varies tenfold with their history (item-kNN), so the default ranges (a sixth
        // of the batch each on 2 cores) could leave a core idle for the whole last range.
        var results = new RecommendationResponse[ids.Count];
        Parallel.ForEach(Partitioner.Create(0, ids.Count, BatchRange), range =>
        {
            for (int p = range.Item1; p < range.Item2; p++)
            {
                LiveRecommendation page = bundle.Recommend(model, ids[p], live[p], request.Offset, request.N, request.ExcludeRated, request.Genre);
                results[p] = RecommendationApi.UserResponse(bundle, model, ids[p], known[p], live[p], request.Offset, page);
            }
        });

        return TypedResults.Ok(new BatchRecommendationResponse(results));
    }

    private static ProblemHttpResult UnknownUsers(List<int> unknown)
    {
        string named = string.Join(", ", unknown.Take(UnknownIdsInDetail)) + (unknown.Count > UnknownIdsInDetail ? $" and {unknown.Count - UnknownIdsInDetail} more" : "");
        return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: unknown.Count == 1 ? "Unknown user" : "Unknown users",
            detail: $"{(unknown.Count == 1 ? "User" : "Users")} {named} {(unknown.Count == 1 ? "is" : "are")} not in the training data and "
                + $"{(unknown.Count == 1 ? "has" : "have")} no live ratings. Set allowFallback to answer them with the model's non-personal ranking.",
            extensions: new Dictionary<string, object?> { ["userIds"] = unknown });
    }
}
