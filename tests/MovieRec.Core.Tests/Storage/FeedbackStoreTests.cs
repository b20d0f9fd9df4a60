using Microsoft.Data.Sqlite;
using MovieRec.Core.Experiments;
using MovieRec.Core.Feedback;
using MovieRec.Storage;

namespace MovieRec.Core.Tests.Storage;

/// <summary>One suite for every feedback provider: each subclass supplies a fresh, empty store.</summary>
public abstract class FeedbackStoreContractTests : IAsyncLifetime
{
    /// <summary>The latest schema version (2: experiments).</summary>
    protected const int SchemaVersion = 2;

    private IFeedbackStore? _store;

    protected IFeedbackStore Store => _store!;

    /// <summary>A fresh store (not migrated).</summary>
    protected abstract Task<IFeedbackStore> CreateStoreAsync();

    /// <summary>Skips (or fails under CI) when the provider's server is not there.</summary>
    protected virtual void RequireProvider()
    {
    }

    /// <summary>A second store over the same database, as another process would open it.</summary>
    protected abstract IFeedbackStore OpenAgain();

    public async Task InitializeAsync()
    {
        _store = await CreateStoreAsync();
        Assert.Equal(SchemaVersion, await _store.MigrateAsync());
    }

    public virtual async Task DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }

    [SkippableFact]
    public async Task Migrations_are_recorded_and_applied_once()
    {
        RequireProvider();
        Assert.Equal(SchemaVersion, await Store.MigrateAsync());
        await using IFeedbackStore again = OpenAgain();
        Assert.Equal(SchemaVersion, await again.MigrateAsync());
    }

    [SkippableFact]
    public async Task An_upsert_replaces_the_rating_and_advances_the_sequence()
    {
        RequireProvider();
        long first = await Store.UpsertRatingAsync(new RatingWrite(7, 1, 4.5f, 1000));
        long second = await Store.UpsertRatingAsync(new RatingWrite(7, 1, 2.0f, 1001));
        Assert.True(second > first);

        LiveRating rating = Assert.Single(await Store.GetUserRatingsAsync(7));
        Assert.Equal(2.0f, rating.Rating);
        Assert.Equal(1001, rating.Timestamp);
        Assert.Equal(second, rating.Sequence);
        FeedbackWatermark watermark = await Store.GetWatermarkAsync();
        Assert.Equal(second, watermark.LastSequence);
        Assert.Equal(1, watermark.LiveRatings);
    }

    [SkippableFact]
    public async Task A_delete_leaves_a_tombstone_that_a_later_upsert_revives()
    {
        RequireProvider();
        await Store.UpsertRatingAsync(new RatingWrite(3, 10, 5, 1));
        long deleted = await Store.DeleteRatingAsync(3, 10, 2);
        LiveRating tombstone = Assert.Single(await Store.GetUserRatingsAsync(3));
        Assert.True(tombstone.IsDeleted);
        Assert.Equal(deleted, tombstone.Sequence);
        Assert.Equal(1, (await Store.GetWatermarkAsync()).DeletedRatings);

        await Store.UpsertRatingAsync(new RatingWrite(3, 10, 3.5f, 3));
        Assert.Equal(3.5f, Assert.Single(await Store.GetUserRatingsAsync(3)).Rating);
    }

    [SkippableFact]
    public async Task A_batch_is_written_in_one_transaction_with_consecutive_sequences()
    {
        RequireProvider();
        var rows = new List<RatingWrite>();
        for (int k = 0; k < 2500; k++)
        {
            rows.Add(new RatingWrite(100 + (k % 50), k, 0.5f + (k % 10) * 0.5f, 10_000 + k));
        }

        // A pair written twice in one batch keeps its last value.
        rows.Add(new RatingWrite(100, 0, 1.5f, 99_999));
        long last = await Store.UpsertRatingsAsync(rows);

        IReadOnlyList<LiveRating> all = await Store.GetChangesSinceAsync(0);
        Assert.Equal(2500, all.Count);
        Assert.Equal(last, all[^1].Sequence);
        Assert.Equal(1.5f, all.Single(r => r.UserId == 100 && r.MovieId == 0).Rating);
        Assert.Equal(2500, (await Store.GetWatermarkAsync()).LiveRatings);
    }

    [SkippableFact]
    public async Task Changes_since_a_watermark_are_only_the_later_ones_in_order()
    {
        RequireProvider();
        long mark = await Store.UpsertRatingAsync(new RatingWrite(1, 1, 4, 1));
        await Store.UpsertRatingAsync(new RatingWrite(2, 2, 4, 2));
        await Store.DeleteRatingAsync(1, 1, 3);

        IReadOnlyList<LiveRating> changes = await Store.GetChangesSinceAsync(mark);
        Assert.Equal([(2, 2, false), (1, 1, true)], changes.Select(c => (c.UserId, c.MovieId, c.IsDeleted)));
        Assert.True(changes[0].Sequence < changes[1].Sequence);
    }

    [SkippableFact]
    public async Task Concurrent_writers_are_all_acknowledged_and_stored_with_distinct_sequences()
    {
        RequireProvider();
        Task<long>[] writes = [.. Enumerable.Range(0, 400).Select(k => Store.UpsertRatingAsync(new RatingWrite(k % 20, k, 3, k)))];
        long[] sequences = await Task.WhenAll(writes);

        Assert.Equal(400, sequences.Distinct().Count());
        Assert.Equal(400, (await Store.GetChangesSinceAsync(0)).Count);
        Assert.Equal(sequences.Max(), (await Store.GetWatermarkAsync()).LastSequence);
    }

    [SkippableFact]
    public async Task Events_are_recorded_with_their_recommendation_id()
    {
        RequireProvider();
        long first = await Store.AddEventAsync(new FeedbackEvent(5, 1, "impression", "rec-1", 100));
        long second = await Store.AddEventAsync(new FeedbackEvent(5, 1, "click", null, 101));
        Assert.True(second > first);

        IReadOnlyList<FeedbackEvent> events = await Store.GetEventsAsync(5);
        Assert.Equal(new FeedbackEvent(5, 1, "impression", "rec-1", 100), events[0]);
        Assert.Equal(new FeedbackEvent(5, 1, "click", null, 101), events[1]);
        Assert.Equal(2, (await Store.GetWatermarkAsync()).Events);
    }

    [SkippableFact]
    public async Task Acknowledged_writes_are_there_for_a_second_store_over_the_same_database()
    {
        RequireProvider();
        await Store.UpsertRatingAsync(new RatingWrite(9, 9, 4, 9));
        await Store.DisposeAsync();
        await using IFeedbackStore again = OpenAgain();
        Assert.Equal(4f, Assert.Single(await again.GetUserRatingsAsync(9)).Rating);
    }

    [SkippableFact]
    public async Task Experiment_definitions_are_created_once_replaced_and_deleted()
    {
        RequireProvider();
        var experiments = (IExperimentStore)Store;

        Assert.True(await experiments.SaveExperimentAsync("home", "{\"v\":1}", create: true));
        Assert.False(await experiments.SaveExperimentAsync("home", "{\"v\":2}", create: true));
        Assert.Equal("{\"v\":1}", Assert.Single(await experiments.GetExperimentsAsync()).DefinitionJson);
        Assert.True(await experiments.SaveExperimentAsync("home", "{\"v\":3}", create: false));
        Assert.Equal("{\"v\":3}", Assert.Single(await experiments.GetExperimentsAsync()).DefinitionJson);
        Assert.True(await experiments.DeleteExperimentAsync("home"));
        Assert.False(await experiments.DeleteExperimentAsync("home"));
        Assert.Empty(await experiments.GetExperimentsAsync());
    }

    [SkippableFact]
    public async Task Experiment_outcomes_count_listed_movies_per_unit_from_events_and_ratings()
    {
        RequireProvider();
        var experiments = (IExperimentStore)Store;
        // User 5 saw two lists in variant b; a session saw one interleaved-style list with teams.
        await experiments.AddExposureAsync(new ExperimentExposure("r1", "home", "b", "user:5", 5, [10, 11, 12], null, 100));
        await experiments.AddExposureAsync(new ExperimentExposure("r2", "home", "b", "user:5", 5, [13, 14], null, 200));
        await experiments.AddExposureAsync(new ExperimentExposure("r3", "home", "a", "session:x", null, [10, 20], [0, 1], 100));
        await experiments.AddExposureAsync(new ExperimentExposure("r4", "other", "a", "user:5", 5, [10], null, 100));
        foreach (int movie in new[] { 10, 11, 12, 13, 14 })
        {
            await Store.AddEventAsync(new FeedbackEvent(5, movie, "impression", movie < 13 ? "r1" : "r2", 300));
        }

        await Store.AddEventAsync(new FeedbackEvent(5, 11, "click", "r1", 301));
        await Store.AddEventAsync(new FeedbackEvent(5, 11, "click", "r1", 302)); // the same click twice counts once
        await Store.AddEventAsync(new FeedbackEvent(5, 99, "click", "r1", 303)); // not in the list
        await Store.AddEventAsync(new FeedbackEvent(5, 13, "click", "r2", 304));
        await Store.AddEventAsync(new FeedbackEvent(0, 20, "impression", "r3", 300));
        await Store.AddEventAsync(new FeedbackEvent(0, 20, "click", "r3", 301));
        await Store.UpsertRatingAsync(new RatingWrite(5, 12, 4.5f, 250)); // after r1: a conversion
        await Store.UpsertRatingAsync(new RatingWrite(5, 14, 5f, 150));   // before r2 was shown: not one
        await Store.UpsertRatingAsync(new RatingWrite(5, 13, 3f, 250));   // below 4: not one

        IReadOnlyList<UnitOutcome> outcomes = await experiments.GetUnitOutcomesAsync("home");

        Assert.Equal(2, outcomes.Count);
        UnitOutcome user = outcomes.Single(o => o.Unit == "user:5");
        Assert.Equal(("b", 5L, 2L, 1L), (user.Variant, user.Impressions, user.Clicks, user.Conversions));
        UnitOutcome session = outcomes.Single(o => o.Unit == "session:x");
        Assert.Equal((1L, 1L, 0L, 1L), (session.Impressions, session.Clicks, session.ClicksA, session.ClicksB));
        Assert.Equal("b", await experiments.GetAssignedVariantAsync("home", "user:5"));
        Assert.Null(await experiments.GetAssignedVariantAsync("home", "user:6"));
    }
}

public sealed class SqliteFeedbackStoreTests : FeedbackStoreContractTests
{
    private readonly TempFolder _folder = new();

    private string File => Path.Combine(_folder.Path, "state", FeedbackStoreFactory.SqliteFileName);

    protected override Task<IFeedbackStore> CreateStoreAsync() => Task.FromResult(FeedbackStoreFactory.Create("sqlite", File));

    protected override IFeedbackStore OpenAgain() => new SqliteFeedbackStore(File);

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _folder.Dispose();
    }

    [Fact]
    public async Task The_file_is_in_wal_mode_with_full_synchronous_writes()
    {
        await Store.UpsertRatingAsync(new RatingWrite(1, 1, 1, 1));
        Assert.True(System.IO.File.Exists(File));
        await using var connection = new SqliteConnection($"Data Source={File}");
        await connection.OpenAsync();
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", (string?)await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_database_from_a_newer_build_is_refused_with_a_message()
    {
        await using (var connection = new SqliteConnection($"Data Source={File}"))
        {
            await connection.OpenAsync();
            await using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "INSERT INTO schema_migrations (version, description, applied_at) VALUES (99, 'future', 0)";
            await command.ExecuteNonQueryAsync();
        }

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => OpenAgain().MigrateAsync());
        Assert.Contains("schema version 99", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Connections_are_recognised_by_form()
    {
        Assert.Equal("sqlite", FeedbackStoreFactory.Detect("state/feedback.db").Provider);
        Assert.Equal("postgres", FeedbackStoreFactory.Detect("Host=db;Username=movierec").Provider);
        (string provider, string connection) = FeedbackStoreFactory.Detect("postgres://movierec:s%40cret@db:5433/feedback");
        Assert.Equal("postgres", provider);
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connection);
        Assert.Equal(("db", 5433, "feedback", "movierec", "s@cret"), (builder.Host, builder.Port, builder.Database, builder.Username, builder.Password));
        Assert.Throws<ArgumentException>(() => FeedbackStoreFactory.Create("mysql", "x"));
    }
}

public sealed class PostgresFeedbackStoreTests : FeedbackStoreContractTests
{
    private TestPostgres? _database;

    protected override async Task<IFeedbackStore> CreateStoreAsync()
    {
        try
        {
            _database = await TestPostgres.CreateAsync();
        }
        catch (SkipException)
        {
            // InitializeAsync cannot skip; the test body calls RequireServer again and skips (or fails under CI) there.
            return new NoServerStore();
        }

        return FeedbackStoreFactory.Create("postgres", _database.ConnectionString);
    }

    protected override IFeedbackStore OpenAgain() => new PostgresFeedbackStore(_database!.ConnectionString);

    protected override void RequireProvider() => TestPostgres.RequireServer();

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }

    /// <summary>Stands in when no server is configured; every call skips (or fails under CI) with the reason.</summary>
    private sealed class NoServerStore : IFeedbackStore
    {
        public string Provider => "postgres";

        public Task<int> MigrateAsync(CancellationToken cancellationToken = default) => Task.FromResult(SchemaVersion);

        public Task<long> UpsertRatingAsync(RatingWrite rating, CancellationToken cancellationToken = default) => Skip<long>();

        public Task<long> UpsertRatingsAsync(IReadOnlyList<RatingWrite> ratings, CancellationToken cancellationToken = default) => Skip<long>();

        public Task<long> DeleteRatingAsync(int userId, int movieId, long timestamp, CancellationToken cancellationToken = default) => Skip<long>();

        public Task<long> AddEventAsync(FeedbackEvent feedbackEvent, CancellationToken cancellationToken = default) => Skip<long>();

        public Task<IReadOnlyList<LiveRating>> GetUserRatingsAsync(int userId, CancellationToken cancellationToken = default) => Skip<IReadOnlyList<LiveRating>>();

        public Task<IReadOnlyList<LiveRating>> GetChangesSinceAsync(long sequence, CancellationToken cancellationToken = default) => Skip<IReadOnlyList<LiveRating>>();

        public Task<IReadOnlyList<FeedbackEvent>> GetEventsAsync(int userId, CancellationToken cancellationToken = default) => Skip<IReadOnlyList<FeedbackEvent>>();

        public Task<FeedbackWatermark> GetWatermarkAsync(CancellationToken cancellationToken = default) => Skip<FeedbackWatermark>();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        private static Task<T> Skip<T>()
        {
            TestPostgres.RequireServer();
            throw new InvalidOperationException("unreachable");
        }
    }
}
