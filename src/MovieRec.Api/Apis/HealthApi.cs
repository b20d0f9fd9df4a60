using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using MovieRec.Api.Contracts;
using MovieRec.Api.Hosting;
using MovieRec.Core.Models;

namespace MovieRec.Api.Apis;

/// <summary>GET /health: JSON detail of the served bundle, start-up, feedback store and retrain state (/health/live and /health/ready stay plain text).</summary>
public static class HealthApi
{
    public const string Ready = "ready";
    public const string Starting = "starting";
    public const string NotReady = "not-ready";

    /// <summary>200 with the detail when a bundle serves; 503 with the same detail otherwise, so a probe can use either.</summary>
    public static Results<Ok<HealthResponse>, JsonHttpResult<HealthResponse>> GetHealth(
        ModelHost host, StartupState startup, LiveFeedback feedback, Retrainer retrainer, IOptions<MovieRecOptions> options, TimeProvider time)
    {
        ServedBundle? bundle = host.Current;
        var store = new FeedbackHealth(feedback.IsOpen ? "open" : "opening", feedback.Provider, feedback.LiveRatingCount, feedback.LastSequence);
        if (bundle is null)
        {
            StartupFailure? failure = startup.LastFailure;
            var waiting = new HealthResponse(failure is null ? Starting : NotReady,
                failure is null ? "no model bundle loaded yet: loading or training" : $"start-up attempt {failure.Attempt} failed: {failure.Reason}",
                failure?.NextAttemptAt, null, [], null, null, null, null, store, retrainer.Status);
            return TypedResults.Json(waiting, statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        _ = RecommendationApi.TryGetModel(bundle, null, options.Value, out IRecommenderModel defaultModel, out _);
        DateTimeOffset created = bundle.Bundle.Manifest.CreatedAt;
        return TypedResults.Ok(new HealthResponse(Ready, null, null, bundle.Id, bundle.ModelNames, defaultModel?.Name, created,
            Math.Round(Math.Max(0, (time.GetUtcNow() - created).TotalSeconds), 3), bundle.LoadedAt, store, retrainer.Status));
    }
}
