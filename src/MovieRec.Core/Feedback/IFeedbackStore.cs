namespace MovieRec.Core.Feedback;

/// <summary>A live rating as stored: the latest state of one (user, movie) pair. A deleted rating is kept as a tombstone
/// (<see cref="Rating"/> null) so a delete reaches other replicas and overrides a dataset rating. <see cref="Sequence"/> is the
/// position in the store's change order (it increases with every upsert or delete): the feedback watermark.</summary>
public sealed record LiveRating(int UserId, int MovieId, float? Rating, long Timestamp, long Sequence)
{
    public bool IsDeleted => Rating is null;
}

/// <summary>A rating to write: <see cref="Timestamp"/> in Unix seconds.</summary>
public readonly record struct RatingWrite(int UserId, int MovieId, float Rating, long Timestamp);

/// <summary>An interaction with a movie (impression, click, watch, ...), optionally tied to the recommendation list that showed it.</summary>
public sealed record FeedbackEvent(int UserId, int MovieId, string Type, string? RecommendationId, long Timestamp);

/// <summary>How far the store has come: the last change's sequence number and the number of live (not deleted) ratings.</summary>
public sealed record FeedbackWatermark(long LastSequence, long LiveRatings, long DeletedRatings, long Events);

/// <summary>
/// Durable live feedback (ratings and events). Every write method returns only after the write is committed and
/// flushed, so an acknowledged write survives a crash. Implementations are thread-safe.
/// </summary>
public interface IFeedbackStore : IAsyncDisposable
{
    /// <summary>"sqlite" or "postgres".</summary>
    string Provider { get; }

    /// <summary>Applies the schema migrations not yet applied; returns the schema version.</summary>
    Task<int> MigrateAsync(CancellationToken cancellationToken = default);

    /// <summary>Inserts or replaces one rating; returns its sequence number.</summary>
    Task<long> UpsertRatingAsync(RatingWrite rating, CancellationToken cancellationToken = default);

    /// <summary>Inserts or replaces all ratings in one transaction (all or nothing); returns the last sequence number.</summary>
    Task<long> UpsertRatingsAsync(IReadOnlyList<RatingWrite> ratings, CancellationToken cancellationToken = default);

    /// <summary>Records the deletion of a rating (a tombstone); returns its sequence number.</summary>
    Task<long> DeleteRatingAsync(int userId, int movieId, long timestamp, CancellationToken cancellationToken = default);

    /// <summary>Records an event; returns its id.</summary>
    Task<long> AddEventAsync(FeedbackEvent feedbackEvent, CancellationToken cancellationToken = default);

    /// <summary>The user's live ratings and tombstones, by movie id.</summary>
    Task<IReadOnlyList<LiveRating>> GetUserRatingsAsync(int userId, CancellationToken cancellationToken = default);

    /// <summary>Every rating and tombstone changed after <paramref name="sequence"/>, in sequence order (0 for all).</summary>
    Task<IReadOnlyList<LiveRating>> GetChangesSinceAsync(long sequence, CancellationToken cancellationToken = default);

    /// <summary>The events of a user, oldest first.</summary>
    Task<IReadOnlyList<FeedbackEvent>> GetEventsAsync(int userId, CancellationToken cancellationToken = default);

    Task<FeedbackWatermark> GetWatermarkAsync(CancellationToken cancellationToken = default);
}
