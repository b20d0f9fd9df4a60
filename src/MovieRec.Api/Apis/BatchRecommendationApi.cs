using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using MovieRec.Api.Contracts;
using MovieRec.Api.Extensions;
using MovieRec.Api.Hosting;
using MovieRec.Core.Data;
using MovieRec.Core.Models;

namespace MovieRec.Api.Apis;

/// <summary>
/// POST /recommend/batch: GET /recommend/user for up to <see cref="MaxUsers"/> users in one call, each entry identical to
/// the single call's answer. Users answered from the model's own rows go through the model's batch kernel where it has
/// one (<see cref="FactorBatchRanker"/>: one blocked matrix-matrix product); users with live ratings, unknown users and models without a kernel are answered one by
/// one by <see cref="ServedBundle.Recommend"/>, in parallel.
/// </summary>
public static class BatchRecommendationApi
{
    public const int MaxUsers = 1000;

    /// <summary>Unknown ids named in the 404's detail (the <c>userIds</c> extension names them all).</summary>
    private const int UnknownIdsInDetail = 20;

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

        var results = new RecommendationResponse[ids.Count];
        List<int> pending = RankWithKernel(bundle, model, request, ids, live, known, results);

        // Whatever no kernel answered: one user at a time, as GET /recommend/user does, over range partitions.
        if (pending.Count == 0)
        {
            return TypedResults.Ok(new BatchRecommendationResponse(results));
        }

        Parallel.ForEach(Partitioner.Create(0, pending.Count), range =>
        {
            for (int q = range.Item1; q < range.Item2; q++)
            {
                int p = pending[q];
                LiveRecommendation page = bundle.Recommend(model, ids[p], live[p], request.Offset, request.N, request.ExcludeRated, request.Genre);
                results[p] = RecommendationApi.UserResponse(bundle, model, ids[p], known[p], live[p], request.Offset, page);
            }
        });

        return TypedResults.Ok(new BatchRecommendationResponse(results));
    }

    /// <summary>
    /// Fills the entries the model's batch kernel answers (users of its training data without live ratings, whose single
    /// call scores the model's own row) and returns the positions left for one-by-one scoring.
    /// </summary>
    private static List<int> RankWithKernel(ServedBundle bundle, IRecommenderModel model, BatchRecommendationRequest request, IReadOnlyList<int> ids,
        UserLiveRatings?[] live, bool[] known, RecommendationResponse[] results)
    {
        var pending = new List<int>(ids.Count);
        FactorBatchRanker? ranker = FactorBatchRanker.For(model);
        RatingMatrix train = model.Train;
        var positions = new List<int>(ids.Count);
        var users = new List<int>(ids.Count);
        for (int p = 0; p < ids.Count; p++)
        {
            int u = ranker is null || live[p] is not null ? -1 : train.Users.IndexOf(ids[p]);
            if (u >= 0)
            {
                positions.Add(p);
                users.Add(u);
            }
            else
            {
                pending.Add(p);
            }
        }

        if (users.Count == 0)
        {
            return pending;
        }

        // The genre filter as ServedBundle applies it: on raw movie ids.
        Func<int, bool>? inGenre = request.Genre is null ? null : bundle.MoviesByGenre[request.Genre].Contains;
        Func<int, bool>? include = inGenre is null ? null : i => inGenre(train.Items.RawId(i));
        (int[] Items, float[] Scores)[] ranked = ranker!.Rank(users, request.Offset + request.N, request.ExcludeRated, include);
        for (int q = 0; q < positions.Count; q++)
        {
            (int[] top, float[] scores) = ranked[q];
            var items = new ScoredMovie[Math.Max(0, top.Length - request.Offset)];
            for (int r = 0; r < items.Length; r++)
            {
                items[r] = new ScoredMovie(train.Items.RawId(top[request.Offset + r]), scores[request.Offset + r]);
            }

            int p = positions[q];
            results[p] = RecommendationApi.UserResponse(bundle, model, ids[p], known[p], live[p], request.Offset, new LiveRecommendation(items, "model", null));
        }

        return pending;
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
