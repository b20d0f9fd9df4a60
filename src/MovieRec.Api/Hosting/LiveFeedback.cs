using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using MovieRec.Core.Feedback;
using MovieRec.Storage;

namespace MovieRec.Api.Hosting;

/// <summary>
/// The feedback store and an in-memory mirror of every live rating (and tombstone), by user. Writes go to the store
/// first and reach the mirror only once committed; other replicas' writes arrive through <see cref="PollAsync"/>.
/// A user's snapshot is immutable and replaced as a whole, with a version (the highest sequence number it holds),
/// so a request sees one consistent history and caches can tell a stale list from a fresh one.
/// </summary>
public sealed partial class LiveFeedback(IOptions<MovieRecOptions> options, ILogger<LiveFeedback> logger) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<int, UserLiveRatings> _users = new();
    private readonly Lock _gate = new();
    private IFeedbackStore? _store;
    private long _lastSequence;
    private long _liveRatings;

    /// <summary>Raised after a user's live ratings changed (here or on another replica).</summary>
    public event Action<int>? UserChanged;

    public IFeedbackStore Store => _store ?? throw new InvalidOperationException("The feedback store is not open yet.");

    public bool IsOpen => _store is not null;

    /// <summary>The highest sequence number this replica has seen.</summary>
    public long LastSequence => Interlocked.Read(ref _lastSequence);

    /// <summary>Live ratings (not tombstones) in the mirror.</summary>
    public long LiveRatingCount => Interlocked.Read(ref _liveRatings);

    /// <summary>Where the store is, for the logs and /models (no password).</summary>
    public string Location { get; private set; } = "";

    public string Provider => _store?.Provider ?? options.Value.Feedback.Provider;

    /// <summary>The user's live ratings and tombstones, or null when there are none.</summary>
    public UserLiveRatings? Get(int userId) => _users.GetValueOrDefault(userId);

    /// <summary>Every user with live feedback.</summary>
    public ICollection<int> Users => _users.Keys;

    /// <summary>Opens the configured store, applies its migrations and loads every live rating.</summary>
    public async Task OpenAsync(string stateFolder, CancellationToken cancellationToken)
    {
        FeedbackOptions o = options.Value.Feedback;
        string connection;
        if (string.Equals(o.Provider, FeedbackStoreFactory.Sqlite, StringComparison.OrdinalIgnoreCase) && string.IsNullOrWhiteSpace(o.ConnectionString))
        {
            connection = Path.Combine(stateFolder, FeedbackStoreFactory.SqliteFileName);
            Location = connection;
        }
        else
        {
            connection = o.ConnectionString ?? throw new OptionsValidationException(nameof(FeedbackOptions), typeof(FeedbackOptions),
                ["MovieRec:Feedback:ConnectionString is required for the postgres provider."]);
            Location = Redact(connection);
        }

        IFeedbackStore store = FeedbackStoreFactory.Create(o.Provider, connection);
        int version = await store.MigrateAsync(cancellationToken).ConfigureAwait(false);
        IReadOnlyList<LiveRating> all = await store.GetChangesSinceAsync(0, cancellationToken).ConfigureAwait(false);
        _store = store;
        Apply(all);
        LogOpened(logger, store.Provider, Location, version, LiveRatingCount, _users.Count);
    }

    /// <summary>Reads the changes other replicas committed since the last one seen and applies them.</summary>
    public async Task<int> PollAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<LiveRating> changes = await Store.GetChangesSinceAsync(LastSequence, cancellationToken).ConfigureAwait(false);
        Apply(changes);
        return changes.Count;
    }

    public async Task<LiveRating> UpsertAsync(RatingWrite rating, CancellationToken cancellationToken)
    {
        long sequence = await Store.UpsertRatingAsync(rating, cancellationToken).ConfigureAwait(false);
        var live = new LiveRating(rating.UserId, rating.MovieId, rating.Rating, rating.Timestamp, sequence);
        Apply([live]);
        return live;
    }

    public async Task<long> UpsertManyAsync(IReadOnlyList<RatingWrite> ratings, CancellationToken cancellationToken)
    {
        long last = await Store.UpsertRatingsAsync(ratings, cancellationToken).ConfigureAwait(false);
        var live = new LiveRating[ratings.Count];
        for (int k = 0; k < live.Length; k++)
        {
            RatingWrite r = ratings[k];
            live[k] = new LiveRating(r.UserId, r.MovieId, r.Rating, r.Timestamp, last - live.Length + 1 + k);
        }

        Apply(live);
        return last;
    }

    public async Task<LiveRating> DeleteAsync(int userId, int movieId, long timestamp, CancellationToken cancellationToken)
    {
        long sequence = await Store.DeleteRatingAsync(userId, movieId, timestamp, cancellationToken).ConfigureAwait(false);
        var live = new LiveRating(userId, movieId, null, timestamp, sequence);
        Apply([live]);
        return live;
    }

    /// <summary>Applies committed changes; a change older than what the mirror holds for its pair is ignored.</summary>
    public void Apply(IReadOnlyList<LiveRating> changes)
    {
        if (changes.Count == 0)
        {
            return;
        }

        var changed = new HashSet<int>();
        lock (_gate)
        {
            foreach (IGrouping<int, LiveRating> group in changes.GroupBy(c => c.UserId))
            {
                UserLiveRatings? old = _users.GetValueOrDefault(group.Key);
                var byMovie = new Dictionary<int, LiveRating>(old?.Ratings.Count ?? 0);
                if (old is not null)
                {
                    foreach (LiveRating r in old.Ratings)
                    {
                        byMovie[r.MovieId] = r;
                    }
                }

                bool any = false;
                foreach (LiveRating change in group)
                {
                    if (byMovie.TryGetValue(change.MovieId, out LiveRating? held) && held.Sequence >= change.Sequence)
                    {
                        continue;
                    }

                    Interlocked.Add(ref _liveRatings, (change.IsDeleted ? 0 : 1) - (held is { IsDeleted: false } ? 1 : 0));
                    byMovie[change.MovieId] = change;
                    any = true;
                }

                if (any)
                {
                    _users[group.Key] = new UserLiveRatings(group.Key, [.. byMovie.Values.OrderBy(r => r.MovieId)]);
                    changed.Add(group.Key);
                }
            }

            long max = changes.Max(c => c.Sequence);
            if (max > _lastSequence)
            {
                Interlocked.Exchange(ref _lastSequence, max);
            }
        }

        foreach (int user in changed)
        {
            UserChanged?.Invoke(user);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static string Redact(string connection)
    {
        try
        {
            var builder = new Npgsql.NpgsqlConnectionStringBuilder(connection) { Password = null };
            return builder.ConnectionString;
        }
        catch (ArgumentException)
        {
            return "(connection string)";
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Feedback store {Provider} at {Location}: schema version {Version}, {Ratings} live ratings of {Users} users")]
    private static partial void LogOpened(ILogger logger, string provider, string location, int version, long ratings, int users);
}

/// <summary>A user's live ratings and tombstones, sorted by movie id; <see cref="Version"/> is the highest sequence number among them.</summary>
public sealed class UserLiveRatings
{
    public UserLiveRatings(int userId, IReadOnlyList<LiveRating> ratings)
    {
        UserId = userId;
        Ratings = ratings;
        long version = 0;
        foreach (LiveRating r in ratings)
        {
            version = Math.Max(version, r.Sequence);
        }

        Version = version;
    }

    public int UserId { get; }

    public IReadOnlyList<LiveRating> Ratings { get; }

    public long Version { get; }

    /// <summary>Whether any rating (not a tombstone) is live.</summary>
    public bool HasRatings => Ratings.Any(r => !r.IsDeleted);

    public LiveRating? Find(int movieId)
    {
        int lo = 0, hi = Ratings.Count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            int id = Ratings[mid].MovieId;
            if (id == movieId)
            {
                return Ratings[mid];
            }

            if (id < movieId)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return null;
    }
}

/// <summary>Opens the feedback store before the server listens (migrations at start-up) and, for a shared PostgreSQL, polls other replicas' changes.</summary>
public sealed partial class LiveFeedbackService(LiveFeedback feedback, ModelHost host, IOptions<MovieRecOptions> options, ILogger<LiveFeedbackService> logger)
    : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await feedback.OpenAsync(options.Value.ResolveStatePath(), cancellationToken).ConfigureAwait(false);
        feedback.UserChanged += user => host.Current?.Invalidate(user);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        TimeSpan interval = options.Value.Feedback.PollInterval;
        if (interval <= TimeSpan.Zero || !string.Equals(feedback.Provider, FeedbackStoreFactory.Postgres, StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await feedback.PollAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException)
                {
                    LogPollFailed(logger, e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read other replicas' feedback changes; retrying")]
    private static partial void LogPollFailed(ILogger logger, Exception exception);
}
