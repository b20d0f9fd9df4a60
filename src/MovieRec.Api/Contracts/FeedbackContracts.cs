using System.ComponentModel;

namespace MovieRec.Api.Contracts;

[Description("A rating a user gives a movie; it replaces the user's earlier rating of that movie.")]
public sealed record RatingRequest
{
    [Description("MovieLens movie id (must be in the catalogue).")]
    public int? MovieId { get; init; }

    [Description("Rating on the dataset's scale (0.5 to 5 for ml-latest-small).")]
    public float? Rating { get; init; }

    [Description("Unix seconds; now when absent.")]
    public long? Timestamp { get; init; }
}

[Description("One row of a batch of ratings.")]
public sealed record BatchRatingRow
{
    [Description("User id (a positive integer; a new id becomes a live user).")]
    public int? UserId { get; init; }

    [Description("MovieLens movie id (must be in the catalogue).")]
    public int? MovieId { get; init; }

    [Description("Rating on the dataset's scale.")]
    public float? Rating { get; init; }

    [Description("Unix seconds; now when absent.")]
    public long? Timestamp { get; init; }
}

[Description("Up to 10,000 ratings written all or nothing.")]
public sealed record BatchRatingsRequest
{
    [Description("The rows; a pair given twice keeps its last row.")]
    public IReadOnlyList<BatchRatingRow>? Ratings { get; init; }
}

[Description("A stored rating.")]
public sealed record RatingWrittenResponse(
    [property: Description("The user.")] int UserId,
    [property: Description("The movie.")] int MovieId,
    [property: Description("The rating stored.")] float Rating,
    [property: Description("Unix seconds.")] long Timestamp,
    [property: Description("The change's sequence number in the feedback store (the feedback watermark it reaches).")] long Sequence,
    [property: Description("True when this rating made the user a live user (not in the data, no earlier live rating).")] bool NewUser);

[Description("The outcome of a batch.")]
public sealed record BatchWrittenResponse(
    [property: Description("Rows stored.")] int Count,
    [property: Description("Users the batch touched.")] int Users,
    [property: Description("Sequence number of the batch's last change.")] long LastSequence);

[Description("An interaction with a movie.")]
public sealed record EventRequest
{
    [Description("User id.")]
    public int? UserId { get; init; }

    [Description("MovieLens movie id.")]
    public int? MovieId { get; init; }

    [Description("impression, click, watch, ... (lower-case letters, digits, '-' or '_', up to 32 characters).")]
    public string? Type { get; init; }

    [Description("The recommendation list that showed the movie, when known (up to 128 characters).")]
    public string? RecommendationId { get; init; }

    [Description("Unix seconds; now when absent.")]
    public long? Timestamp { get; init; }
}

[Description("A stored event.")]
public sealed record EventResponse(
    [property: Description("Event id.")] long Id,
    [property: Description("User id.")] int UserId,
    [property: Description("Movie id.")] int MovieId,
    [property: Description("Event type.")] string Type,
    [property: Description("Recommendation list id, when given.")] string? RecommendationId,
    [property: Description("Unix seconds.")] long Timestamp);
