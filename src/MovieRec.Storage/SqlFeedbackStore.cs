using System.Data.Common;
using System.Threading.Channels;
using MovieRec.Core.Feedback;

namespace MovieRec.Storage;

/// <summary>
/// The SQL both providers share. Writes go through one writer loop that commits whatever has queued up in a single
/// transaction (group commit): one flush acknowledges many concurrent requests, and each caller's task completes only
/// after that commit. A write whose group fails is retried alone, so one bad write cannot fail its neighbours.
/// Every change takes its sequence numbers from <c>feedback_counter</c> inside the writing transaction; the row lock
/// (PostgreSQL) or the database write lock (SQLite) makes commit order equal sequence order, so a replica that polls
/// "changes after N" never skips a change that commits late.
/// </summary>
public abstract partial class SqlFeedbackStore : IFeedbackStore
{
    /// <summary>Most write requests committed in one transaction.</summary>
    private const int MaxGroup = 512;

    private const string NextSequenceSql = "UPDATE feedback_counter SET value = value + @n WHERE id = 1 RETURNING value";

    private const string UpsertSql =
        "INSERT INTO ratings (user_id, movie_id, rating, ts, seq) VALUES (@u, @m, @r, @t, @s) " +
        "ON CONFLICT (user_id, movie_id) DO UPDATE SET rating = excluded.rating, ts = excluded.ts, seq = excluded.seq";

    private const string InsertEventSql =
        "INSERT INTO events (user_id, movie_id, type, recommendation_id, ts) VALUES (@u, @m, @type, @rec, @t) RETURNING id";

    private const string SelectColumns = "SELECT user_id, movie_id, rating, ts, seq FROM ratings ";

    private readonly Channel<PendingWrite> _writes = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim _migrateGate = new(1, 1);
    private Task? _writer;
    private int _disposed;

    public abstract string Provider { get; }

    /// <summary>The provider's migrations, in version order.</summary>
    internal abstract IReadOnlyList<Migration> Migrations { get; }

    /// <summary>A new open connection with the provider's per-connection settings applied.</summary>
    protected abstract Task<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>Takes the cross-process lock that serialises migrations inside <paramref name="transaction"/> (PostgreSQL); SQLite's write lock already does.</summary>
    protected virtual Task LockForMigrationAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Writes many ratings; the default reuses one prepared statement.</summary>
    protected virtual async Task WriteRatingsAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<RatingWrite> rows, long firstSequence,
        CancellationToken cancellationToken)
    {
        await using DbCommand command = Command(connection, transaction, UpsertSql);
        DbParameter u = Add(command, "u", 0), m = Add(command, "m", 0), r = Add(command, "r", 0f), t = Add(command, "t", 0L), s = Add(command, "s", 0L);
        await command.PrepareAsync(cancellationToken).ConfigureAwait(false);
        for (int k = 0; k < rows.Count; k++)
        {
            RatingWrite row = rows[k];
            u.Value = row.UserId;
            m.Value = row.MovieId;
            r.Value = row.Rating;
            t.Value = row.Timestamp;
            s.Value = firstSequence + k;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<int> MigrateAsync(CancellationToken cancellationToken = default)
    {
        await _migrateGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            DbConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                DbTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    await LockForMigrationAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
                    await ExecuteAsync(connection, transaction,
                        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at BIGINT NOT NULL)",
                        cancellationToken).ConfigureAwait(false);
                    int current = Convert.ToInt32(await ScalarAsync(connection, transaction, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                        cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
                    int latest = Migrations.Count == 0 ? 0 : Migrations[^1].Version;
                    if (current > latest)
                    {
                        throw new InvalidOperationException(
                            $"The feedback database is at schema version {current}, newer than this build knows ({latest}); upgrade MovieRec.");
                    }

                    foreach (Migration migration in Migrations)
                    {
                        if (migration.Version <= current)
                        {
                            continue;
                        }

                        await ExecuteAsync(connection, transaction, migration.Sql, cancellationToken).ConfigureAwait(false);
                        await using DbCommand record = Command(connection, transaction,
                            "INSERT INTO schema_migrations (version, description, applied_at) VALUES (@v, @d, @t)");
                        Add(record, "v", migration.Version);
                        Add(record, "d", migration.Description);
                        Add(record, "t", DateTimeOffset.UtcNow.ToUnixTimeSeconds());
                        await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                        current = migration.Version;
                    }

                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                    return current;
                }
            }
        }
        finally
        {
            _migrateGate.Release();
        }
    }

    public Task<long> UpsertRatingAsync(RatingWrite rating, CancellationToken cancellationToken = default) =>
        EnqueueAsync(new PendingWrite(WriteKind.Upsert, [rating], null), cancellationToken);

    public Task<long> UpsertRatingsAsync(IReadOnlyList<RatingWrite> ratings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ratings);
        return ratings.Count == 0 ? GetLastSequenceAsync(cancellationToken) : EnqueueAsync(new PendingWrite(WriteKind.Upsert, ratings, null), cancellationToken);
    }

    public Task<long> DeleteRatingAsync(int userId, int movieId, long timestamp, CancellationToken cancellationToken = default) =>
        EnqueueAsync(new PendingWrite(WriteKind.Delete, [new RatingWrite(userId, movieId, 0, timestamp)], null), cancellationToken);

    public Task<long> AddEventAsync(FeedbackEvent feedbackEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(feedbackEvent);
        return EnqueueAsync(new PendingWrite(WriteKind.Event, [], feedbackEvent), cancellationToken);
    }

    public async Task<IReadOnlyList<LiveRating>> GetUserRatingsAsync(int userId, CancellationToken cancellationToken = default)
    {
        DbConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await using DbCommand command = Command(connection, null, SelectColumns + "WHERE user_id = @u ORDER BY movie_id");
            Add(command, "u", userId);
            return await ReadRatingsAsync(command, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<IReadOnlyList<LiveRating>> GetChangesSinceAsync(long sequence, CancellationToken cancellationToken = default)
    {
        DbConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await using DbCommand command = Command(connection, null, SelectColumns + "WHERE seq > @s ORDER BY seq");
            Add(command, "s", sequence);
            return await ReadRatingsAsync(command, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<IReadOnlyList<FeedbackEvent>> GetEventsAsync(int userId, CancellationToken cancellationToken = default)
    {
        DbConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await using DbCommand command = Command(connection, null,
                "SELECT user_id, movie_id, type, recommendation_id, ts FROM events WHERE user_id = @u ORDER BY id");
            Add(command, "u", userId);
            var events = new List<FeedbackEvent>();
            DbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    events.Add(new FeedbackEvent(reader.GetInt32(0), reader.GetInt32(1), reader.GetString(2),
                        reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetInt64(4)));
                }
            }

            return events;
        }
    }

    public async Task<FeedbackWatermark> GetWatermarkAsync(CancellationToken cancellationToken = default)
    {
        DbConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await using DbCommand command = Command(connection, null,
                "SELECT (SELECT value FROM feedback_counter WHERE id = 1), " +
                "(SELECT COUNT(*) FROM ratings WHERE rating IS NOT NULL), (SELECT COUNT(*) FROM ratings WHERE rating IS NULL), (SELECT COUNT(*) FROM events)");
            DbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                return new FeedbackWatermark(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _writes.Writer.TryComplete();
        if (_writer is not null)
        {
            await _writer.ConfigureAwait(false);
        }

        _migrateGate.Dispose();
        await DisposeCoreAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    protected virtual ValueTask DisposeCoreAsync() => ValueTask.CompletedTask;

    protected static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql)
    {
        DbCommand command = connection.CreateCommand();
#pragma warning disable CA2100 // Statements are constants of this class and its providers; values go in parameters.
        command.CommandText = sql;
#pragma warning restore CA2100
        command.Transaction = transaction;
        return command;
    }

    protected static DbParameter Add(DbCommand command, string name, object? value)
    {
        DbParameter parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
        return parameter;
    }

    protected static async Task ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using DbCommand command = Command(connection, transaction, sql);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<object?> ScalarAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using DbCommand command = Command(connection, transaction, sql);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<IReadOnlyList<LiveRating>> ReadRatingsAsync(DbCommand command, CancellationToken cancellationToken)
    {
        var ratings = new List<LiveRating>();
        DbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                ratings.Add(new LiveRating(reader.GetInt32(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetFloat(2),
                    reader.GetInt64(3), reader.GetInt64(4)));
            }
        }

        return ratings;
    }

    private async Task<long> GetLastSequenceAsync(CancellationToken cancellationToken) =>
        (await GetWatermarkAsync(cancellationToken).ConfigureAwait(false)).LastSequence;

    private Task<long> EnqueueAsync(PendingWrite write, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        cancellationToken.ThrowIfCancellationRequested();
        if (_writer is null)
        {
            lock (_writes)
            {
                _writer ??= Task.Run(WriteLoopAsync, CancellationToken.None);
            }
        }

        if (!_writes.Writer.TryWrite(write))
        {
            throw new ObjectDisposedException(GetType().Name);
        }

        // The write is not cancelled once queued: it either commits or fails as a whole, and the caller learns which.
        return write.Completion.Task;
    }

    private async Task WriteLoopAsync()
    {
        DbConnection? connection = null;
        var group = new List<PendingWrite>(MaxGroup);
        try
        {
            while (await _writes.Reader.WaitToReadAsync().ConfigureAwait(false))
            {
                group.Clear();
                while (group.Count < MaxGroup && _writes.Reader.TryRead(out PendingWrite? write))
                {
                    group.Add(write);
                }

                try
                {
                    connection ??= await OpenAsync(CancellationToken.None).ConfigureAwait(false);
                    long[] results = await CommitAsync(connection, group).ConfigureAwait(false);
                    for (int k = 0; k < group.Count; k++)
                    {
                        group[k].Completion.TrySetResult(results[k]);
                    }
                }
#pragma warning disable CA1031 // Any failure is handed to the callers; the loop must keep serving later writes.
                catch (Exception groupFailure)
#pragma warning restore CA1031
                {
                    if (connection is not null)
                    {
                        await connection.DisposeAsync().ConfigureAwait(false);
                        connection = null;
                    }

                    if (group.Count == 1)
                    {
                        group[0].Completion.TrySetException(groupFailure);
                        continue;
                    }

                    // Retry one by one so each caller gets its own outcome.
                    foreach (PendingWrite write in group)
                    {
                        try
                        {
                            connection ??= await OpenAsync(CancellationToken.None).ConfigureAwait(false);
                            write.Completion.TrySetResult((await CommitAsync(connection, [write]).ConfigureAwait(false))[0]);
                        }
#pragma warning disable CA1031 // As above: the failure goes to this write's caller.
                        catch (Exception failure)
#pragma warning restore CA1031
                        {
                            write.Completion.TrySetException(failure);
                            if (connection is not null)
                            {
                                await connection.DisposeAsync().ConfigureAwait(false);
                                connection = null;
                            }
                        }
                    }
                }
            }
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task<long[]> CommitAsync(DbConnection connection, List<PendingWrite> group)
    {
        int sequences = 0;
        foreach (PendingWrite write in group)
        {
            sequences += write.Kind == WriteKind.Event ? 0 : write.Rows.Count;
        }

        var results = new long[group.Count];
        DbTransaction transaction = await connection.BeginTransactionAsync().ConfigureAwait(false);
        await using (transaction.ConfigureAwait(false))
        {
            long next = 0;
            if (sequences > 0)
            {
                await using DbCommand counter = Command(connection, transaction, NextSequenceSql);
                Add(counter, "n", (long)sequences);
                next = Convert.ToInt64(await counter.ExecuteScalarAsync().ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture) - sequences + 1;
            }

            for (int k = 0; k < group.Count; k++)
            {
                PendingWrite write = group[k];
                switch (write.Kind)
                {
                    case WriteKind.Upsert:
                        await WriteRatingsAsync(connection, transaction, write.Rows, next, CancellationToken.None).ConfigureAwait(false);
                        next += write.Rows.Count;
                        results[k] = next - 1;
                        break;
                    case WriteKind.Delete:
                    {
                        RatingWrite row = write.Rows[0];
                        await using DbCommand delete = Command(connection, transaction, UpsertSql);
                        Add(delete, "u", row.UserId);
                        Add(delete, "m", row.MovieId);
                        Add(delete, "r", null);
                        Add(delete, "t", row.Timestamp);
                        Add(delete, "s", next);
                        await delete.ExecuteNonQueryAsync().ConfigureAwait(false);
                        results[k] = next++;
                        break;
                    }

                    default:
                    {
                        FeedbackEvent e = write.Event!;
                        await using DbCommand insert = Command(connection, transaction, InsertEventSql);
                        Add(insert, "u", e.UserId);
                        Add(insert, "m", e.MovieId);
                        Add(insert, "type", e.Type);
                        Add(insert, "rec", e.RecommendationId);
                        Add(insert, "t", e.Timestamp);
                        results[k] = Convert.ToInt64(await insert.ExecuteScalarAsync().ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
                        break;
                    }
                }
            }

            await transaction.CommitAsync().ConfigureAwait(false);
        }

        return results;
    }

    private enum WriteKind
    {
        Upsert,
        Delete,
        Event,
    }

    private sealed class PendingWrite(WriteKind kind, IReadOnlyList<RatingWrite> rows, FeedbackEvent? feedbackEvent)
    {
        public WriteKind Kind { get; } = kind;

        public IReadOnlyList<RatingWrite> Rows { get; } = rows;

        public FeedbackEvent? Event { get; } = feedbackEvent;

        public TaskCompletionSource<long> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
