using System.ComponentModel;
using MovieRec.Api.Hosting;

namespace MovieRec.Api.Contracts;

/// <summary>GET /health: what the service is serving and the state of its parts.</summary>
public sealed record HealthResponse(
    [property: Description("ready (a bundle is serving), starting (loading or training the first bundle) or not-ready (the last start-up attempt failed; it is retried).")] string State,
    [property: Description("Why the service is not ready; null when ready.")] string? Reason,
    [property: Description("When the next start-up attempt runs, while not-ready.")] DateTimeOffset? NextAttemptAt,
    [property: Description("The bundle being served, or null before the first load.")] string? BundleId,
    [property: Description("The served bundle's models, in manifest order.")] IReadOnlyList<string> Models,
    [property: Description("The model used when a request names none.")] string? DefaultModel,
    [property: Description("When the served bundle was trained.")] DateTimeOffset? BundleCreatedAt,
    [property: Description("Seconds since the served bundle was trained.")] double? BundleAgeSeconds,
    [property: Description("When the served bundle was loaded (started serving).")] DateTimeOffset? BundleLoadedAt,
    [property: Description("The live-feedback store.")] FeedbackHealth Feedback,
    [property: Description("The last (or running) background retrain.")] RetrainStatus Retrain);

/// <summary>The live-feedback store as /health reports it.</summary>
public sealed record FeedbackHealth(
    [property: Description("open (migrated and loaded; ratings are accepted) or opening.")] string State,
    [property: Description("sqlite or postgres.")] string Provider,
    [property: Description("Live ratings (not tombstones) this replica holds.")] long LiveRatings,
    [property: Description("The highest change sequence number this replica has seen.")] long LastSequence);
