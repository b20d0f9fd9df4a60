using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using MovieRec.Api.Contracts;
using MovieRec.Api.Extensions;
using MovieRec.Api.Hosting;
using MovieRec.Core.Data;
using MovieRec.Core.Feedback;

namespace MovieRec.Api.Apis;

/// <summary>Live feedback: ratings (single, batch, delete) and events, written durably before the answer.</summary>
public static partial class FeedbackApi
{
    public const int MaxBatch = 10_000;

    public static IEndpointRouteBuilder MapFeedbackApi(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder users = app.MapGroup("/users").WithTags("Feedback");
        users.MapPost("/{userId:int}/ratings", Rate).WithName("RateMovie")
            .WithSummary("Store (or replace) a user's rating; the user's next recommendations follow it").RequireRole(ApiRoles.Write);
        users.MapDelete("/{userId:int}/ratings/{movieId:int}", DeleteRating).WithName("DeleteRating")
            .WithSummary("Remove a user's rating (live or from the dataset)").RequireRole(ApiRoles.Write);
        app.MapPost("/ratings/batch", RateBatch).WithTags("Feedback").WithName("RateBatch")
            .WithSummary($"Store up to {MaxBatch:N0} ratings all or nothing; a bad row fails the batch with a 400 naming it")
            .RequireRole(ApiRoles.Write).WithMetadata(new BatchBodyLimit());
        app.MapPost("/events", RecordEvent).WithTags("Feedback").WithName("RecordEvent")
            .WithSummary("Record an interaction (impression, click, watch, ...), optionally with the recommendation list it came from")
            .RequireRole(ApiRoles.Write);
        return app;
    }

    public static async Task<Results<Ok<RatingWrittenResponse>, ValidationProblem, ProblemHttpResult>> Rate(
        int userId, RatingRequest request, ModelHost host, LiveFeedback feedback, ServiceMetrics metrics, CancellationToken cancellationToken)
    {
        Results<Ok<RatingWrittenResponse>, ValidationProblem, ProblemHttpResult> result =
            await StoreRatingAsync(userId, request, host, feedback, cancellationToken).ConfigureAwait(false);
        CountRatings(metrics, result.Result, 1);
        return result;
    }

    public static async Task<Results<Ok<BatchWrittenResponse>, ValidationProblem, ProblemHttpResult>> RateBatch(
        BatchRatingsRequest request, ModelHost host, LiveFeedback feedback, ServiceMetrics metrics, CancellationToken cancellationToken)
    {
        Results<Ok<BatchWrittenResponse>, ValidationProblem, ProblemHttpResult> result =
            await StoreBatchAsync(request, host, feedback, cancellationToken).ConfigureAwait(false);
        CountRatings(metrics, result.Result, request.Ratings?.Count ?? 0);
        return result;
    }

    private static async Task<Results<Ok<RatingWrittenResponse>, ValidationProblem, ProblemHttpResult>> StoreRatingAsync(
        int userId, RatingRequest request, ModelHost host, LiveFeedback feedback, CancellationToken cancellationToken)
    {
        if (host.Current is not ServedBundle bundle)
        {
            return ApiProblems.NotReady();
        }

        if (CheckUser(userId, "userId") is ValidationProblem badUser)
        {
            return badUser;
        }

        if (Check(bundle, request.MovieId, request.Rating, request.Timestamp, "") is { } problem)
        {
            return problem.NotFound ? ApiProblems.UnknownMovie(request.MovieId!.Value) : problem.Invalid!;
        }

        bool newUser = !bundle.IsKnownUser(userId) && feedback.Get(userId)?.HasRatings != true;
        var write = new RatingWrite(userId, request.MovieId!.Value, request.Rating!.Value, request.Timestamp ?? DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        LiveRating stored = await feedback.UpsertAsync(write, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new RatingWrittenResponse(userId, write.MovieId, write.Rating, write.Timestamp, stored.Sequence, newUser));
    }

    private static async Task<Results<Ok<BatchWrittenResponse>, ValidationProblem, ProblemHttpResult>> StoreBatchAsync(
        BatchRatingsRequest request, ModelHost host, LiveFeedback feedback, CancellationToken cancellationToken)
    {
        if (host.Current is not ServedBundle bundle)
        {
            return ApiProblems.NotReady();
        }

        IReadOnlyList<BatchRatingRow>? rows = request.Ratings;
        if (rows is null || rows.Count == 0)
        {
            return ApiProblems.Invalid("ratings", "'ratings' must hold at least one row.");
        }

        if (rows.Count > MaxBatch)
        {
            return ApiProblems.Invalid("ratings", $"'ratings' holds {rows.Count:N0} rows; a batch takes at most {MaxBatch:N0}.");
        }

        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var writes = new RatingWrite[rows.Count];
        for (int k = 0; k < rows.Count; k++)
        {
            BatchRatingRow? row = rows[k];
            string at = $"ratings[{k}]";
            if (row is null)
            {
                return ApiProblems.Invalid(at, $"Row {k} is null.");
            }

            if (CheckUser(row.UserId, $"{at}.userId") is ValidationProblem badUser)
            {
                return badUser;
            }

            if (Check(bundle, row.MovieId, row.Rating, row.Timestamp, at) is { } problem)
            {
                return problem.Invalid ?? ApiProblems.Invalid($"{at}.movieId", $"Row {k}: movie {row.MovieId} is not in the catalogue.");
            }

            writes[k] = new RatingWrite(row.UserId!.Value, row.MovieId!.Value, row.Rating!.Value, row.Timestamp ?? now);
        }

        long last = await feedback.UpsertManyAsync(writes, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new BatchWrittenResponse(writes.Length, writes.Select(w => w.UserId).Distinct().Count(), last));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteRating(
        int userId, int movieId, ModelHost host, LiveFeedback feedback, ServiceMetrics metrics, CancellationToken cancellationToken)
    {
        if (host.Current is not ServedBundle bundle)
        {
            return ApiProblems.NotReady();
        }

        LiveRating? live = feedback.Get(userId)?.Find(movieId);
        bool inData = HasDatasetRating(bundle.Ratings, userId, movieId);
        if (live is { IsDeleted: true } || (live is null && !inData))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such rating",
                detail: $"User {userId} has no rating of movie {movieId}.",
                extensions: new Dictionary<string, object?> { ["userId"] = userId, ["movieId"] = movieId });
        }

        await feedback.DeleteAsync(userId, movieId, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), cancellationToken).ConfigureAwait(false);
        metrics.RatingDeleted();
        return TypedResults.NoContent();
    }

    public static async Task<Results<Ok<EventResponse>, ValidationProblem, ProblemHttpResult>> RecordEvent(
        EventRequest request, ModelHost host, LiveFeedback feedback, ServiceMetrics metrics, CancellationToken cancellationToken)
    {
        if (host.Current is not ServedBundle bundle)
        {
            return ApiProblems.NotReady();
        }

        if (CheckUser(request.UserId, "userId") is ValidationProblem badUser)
        {
            return badUser;
        }

        if (request.MovieId is not int movieId)
        {
            return ApiProblems.Invalid("movieId", "'movieId' is required.");
        }

        if (!bundle.IsKnownMovie(movieId))
        {
            return ApiProblems.UnknownMovie(movieId);
        }

        if (request.Type is not { } type || !EventType().IsMatch(type))
        {
            return ApiProblems.Invalid("type",
                $"'type' must be a lower-case word such as impression, click or watch (letters, digits, '-', '_'; up to 32 characters); it was '{request.Type}'.");
        }

        if (request.RecommendationId is { Length: > 128 })
        {
            return ApiProblems.Invalid("recommendationId", "'recommendationId' must be at most 128 characters.");
        }

        if (request.Timestamp is < 0)
        {
            return ApiProblems.Invalid("timestamp", $"'timestamp' must be Unix seconds (0 or more); it was {request.Timestamp}.");
        }

        var e = new FeedbackEvent(request.UserId!.Value, movieId, type, request.RecommendationId, request.Timestamp ?? DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        long id = await feedback.Store.AddEventAsync(e, cancellationToken).ConfigureAwait(false);
        metrics.EventStored();
        return TypedResults.Ok(new EventResponse(id, e.UserId, e.MovieId, e.Type, e.RecommendationId, e.Timestamp));
    }

    /// <summary>Stored ratings count as accepted; a 4xx answer (validation, unknown movie) as rejected; 503 (no bundle yet) as neither.</summary>
    private static void CountRatings(ServiceMetrics metrics, IResult result, int ratings)
    {
        int status = result is IStatusCodeHttpResult { StatusCode: int code } ? code : StatusCodes.Status200OK;
        if (status is >= 200 and < 300)
        {
            metrics.RatingsAccepted(ratings);
        }
        else if (status is >= 400 and < 500)
        {
            metrics.RatingsRejected(ratings);
        }
    }

    internal static bool HasDatasetRating(RatingMatrix ratings, int userId, int movieId)
    {
        int u = ratings.Users.IndexOf(userId), i = ratings.Items.IndexOf(movieId);
        return u >= 0 && i >= 0 && ratings.ItemsOf(u).BinarySearch(i) >= 0;
    }

    private static ValidationProblem? CheckUser(int? userId, string field) =>
        userId is null ? ApiProblems.Invalid(field, $"'{field}' is required.")
        : userId <= 0 ? ApiProblems.Invalid(field, $"'{field}' must be a positive integer; it was {userId}.")
        : null;

    /// <summary>Null when the row is valid; else the 400, or NotFound for a movie outside the catalogue.</summary>
    private static RowProblem? Check(ServedBundle bundle, int? movieId, float? rating, long? timestamp, string at)
    {
        string prefix = at.Length == 0 ? "" : at + ".";
        string row = at.Length == 0 ? "" : $"Row {at[8..^1]}: ";
        if (movieId is null)
        {
            return new RowProblem(ApiProblems.Invalid(prefix + "movieId", $"{row}'movieId' is required."), false);
        }

        RatingScale scale = bundle.Ratings.Scale;
        if (rating is not float value || float.IsNaN(value) || !scale.Contains(value))
        {
            return new RowProblem(ApiProblems.Invalid(prefix + "rating",
                rating is null ? $"{row}'rating' is required." : $"{row}'rating' must be within {scale}; it was {rating}."), false);
        }

        if (timestamp is < 0)
        {
            return new RowProblem(ApiProblems.Invalid(prefix + "timestamp", $"{row}'timestamp' must be Unix seconds (0 or more); it was {timestamp}."), false);
        }

        return bundle.IsKnownMovie(movieId.Value) ? null : new RowProblem(null, true);
    }

    [GeneratedRegex("^[a-z][a-z0-9_-]{0,31}$")]
    private static partial Regex EventType();

    private sealed record RowProblem(ValidationProblem? Invalid, bool NotFound);
}

/// <summary>Endpoint metadata: the body may be as large as <see cref="MovieRecOptions.MaxBatchBodyBytes"/> instead of the general limit.</summary>
public sealed record BatchBodyLimit;
