using System.Data.Common;
using MovieRec.Core.Feedback;
using Npgsql;
using NpgsqlTypes;

namespace MovieRec.Storage;

/// <summary>
/// Feedback in PostgreSQL (Npgsql). Every connection runs with <c>synchronous_commit = on</c> (whatever the server's
/// default), so a commit returns only after its WAL record is flushed to disk: an acknowledged write survives a crash.
/// Several API replicas may share one database; migrations take an advisory lock so concurrent starts apply them once.
/// </summary>
public sealed class PostgresFeedbackStore : SqlFeedbackStore
{
    private const long MigrationLockKey = 7_150_011;

    private static readonly IReadOnlyList<Migration> PostgresMigrations =
    [
        new(1, "ratings (latest state per user and movie, tombstones for deletes), events, change counter",
            """
            CREATE TABLE feedback_counter (id INTEGER PRIMARY KEY, value BIGINT NOT NULL);
            INSERT INTO feedback_counter (id, value) VALUES (1, 0);
            CREATE TABLE ratings (
                user_id INTEGER NOT NULL, movie_id INTEGER NOT NULL, rating REAL NULL, ts BIGINT NOT NULL, seq BIGINT NOT NULL,
                PRIMARY KEY (user_id, movie_id));
            CREATE INDEX ix_ratings_seq ON ratings (seq);
            CREATE TABLE events (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id INTEGER NOT NULL, movie_id INTEGER NOT NULL, type TEXT NOT NULL,
                recommendation_id TEXT NULL, ts BIGINT NOT NULL);
            CREATE INDEX ix_events_user ON events (user_id);
            CREATE INDEX ix_events_recommendation ON events (recommendation_id);
            """),
        new(2, ExperimentsMigrationDescription, ExperimentsMigrationSql),
    ];

    private readonly NpgsqlDataSource _dataSource;

    public PostgresFeedbackStore(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            // Per connection, so a server configured with synchronous_commit=off cannot make acknowledged writes volatile.
            Options = "-c synchronous_commit=on",
        };
        _dataSource = NpgsqlDataSource.Create(builder);
    }

    public override string Provider => FeedbackStoreFactory.Postgres;

    internal override IReadOnlyList<Migration> Migrations => PostgresMigrations;

    /// <summary>An Npgsql connection string from a <c>postgres://user:password@host:port/database</c> URL.</summary>
    public static string FromUrl(string url)
    {
        var uri = new Uri(url);
        string[] credentials = uri.UserInfo.Split(':', 2);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.Port > 0 ? uri.Port : 5432,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')),
        };
        if (credentials[0].Length > 0)
        {
            builder.Username = Uri.UnescapeDataString(credentials[0]);
        }

        if (credentials.Length > 1)
        {
            builder.Password = Uri.UnescapeDataString(credentials[1]);
        }

        return builder.ConnectionString;
    }

    protected override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    protected override async Task LockForMigrationAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        await using DbCommand command = Command(connection, transaction, "SELECT pg_advisory_xact_lock(@k)");
        Add(command, "k", MigrationLockKey);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One statement over arrays (one round trip) instead of a statement per row.</summary>
    protected override async Task WriteRatingsAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<RatingWrite> rows, long firstSequence,
        CancellationToken cancellationToken)
    {
        // ON CONFLICT cannot touch one row twice in a statement: the last write of a pair in the batch wins, as it would row by row.
        var last = new Dictionary<(int, int), int>(rows.Count);
        for (int k = 0; k < rows.Count; k++)
        {
            last[(rows[k].UserId, rows[k].MovieId)] = k;
        }

        int count = last.Count;
        int[] users = new int[count], movies = new int[count];
        float[] ratings = new float[count];
        long[] times = new long[count], sequences = new long[count];
        int j = 0;
        foreach (int k in last.Values)
        {
            users[j] = rows[k].UserId;
            movies[j] = rows[k].MovieId;
            ratings[j] = rows[k].Rating;
            times[j] = rows[k].Timestamp;
            sequences[j] = firstSequence + k;
            j++;
        }

        await using var command = new NpgsqlCommand(
            "INSERT INTO ratings (user_id, movie_id, rating, ts, seq) SELECT * FROM unnest(@u, @m, @r, @t, @s) " +
            "ON CONFLICT (user_id, movie_id) DO UPDATE SET rating = excluded.rating, ts = excluded.ts, seq = excluded.seq",
            (NpgsqlConnection)connection, (NpgsqlTransaction)transaction);
        command.Parameters.Add(new NpgsqlParameter("u", NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = users });
        command.Parameters.Add(new NpgsqlParameter("m", NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = movies });
        command.Parameters.Add(new NpgsqlParameter("r", NpgsqlDbType.Array | NpgsqlDbType.Real) { Value = ratings });
        command.Parameters.Add(new NpgsqlParameter("t", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = times });
        command.Parameters.Add(new NpgsqlParameter("s", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = sequences });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async ValueTask DisposeCoreAsync() => await _dataSource.DisposeAsync().ConfigureAwait(false);
}
