using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace MovieRec.Storage;

/// <summary>
/// Feedback in one SQLite file in WAL mode. <c>synchronous=FULL</c>: in WAL mode every commit then fsyncs the WAL
/// before it returns, so an acknowledged write survives a power loss or an OS crash, not only <c>kill -9</c> (NORMAL
/// would survive a process crash but may lose the last commits on power loss). Group commit in the base class pays for
/// that fsync once per group of concurrent writes rather than once per request.
/// </summary>
public sealed class SqliteFeedbackStore : SqlFeedbackStore
{
    private static readonly IReadOnlyList<Migration> SqliteMigrations =
    [
        new(1, "ratings (latest state per user and movie, tombstones for deletes), events, change counter",
            """
            CREATE TABLE feedback_counter (id INTEGER PRIMARY KEY, value INTEGER NOT NULL);
            INSERT INTO feedback_counter (id, value) VALUES (1, 0);
            CREATE TABLE ratings (
                user_id INTEGER NOT NULL, movie_id INTEGER NOT NULL, rating REAL NULL, ts INTEGER NOT NULL, seq INTEGER NOT NULL,
                PRIMARY KEY (user_id, movie_id)) WITHOUT ROWID;
            CREATE INDEX ix_ratings_seq ON ratings (seq);
            CREATE TABLE events (
                id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER NOT NULL, movie_id INTEGER NOT NULL, type TEXT NOT NULL,
                recommendation_id TEXT NULL, ts INTEGER NOT NULL);
            CREATE INDEX ix_events_user ON events (user_id);
            CREATE INDEX ix_events_recommendation ON events (recommendation_id);
            """),
        new(2, ExperimentsMigrationDescription, ExperimentsMigrationSql),
    ];

    private readonly string _connectionString;

    /// <param name="connection">A file path or a <c>Data Source=...</c> connection string; the file's folder is created.</param>
    public SqliteFeedbackStore(string connection)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connection);
        var builder = connection.Contains('=', StringComparison.Ordinal)
            ? new SqliteConnectionStringBuilder(connection)
            : new SqliteConnectionStringBuilder { DataSource = Path.GetFullPath(connection) };
        builder.Mode = SqliteOpenMode.ReadWriteCreate;
        builder.Pooling = true;
        builder.DefaultTimeout = 30;
        if (Path.GetDirectoryName(Path.GetFullPath(builder.DataSource)) is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
        }

        FilePath = Path.GetFullPath(builder.DataSource);
        _connectionString = builder.ToString();
    }

    public override string Provider => FeedbackStoreFactory.Sqlite;

    /// <summary>The database file.</summary>
    public string FilePath { get; }

    internal override IReadOnlyList<Migration> Migrations => SqliteMigrations;

    protected override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            // journal_mode is stored in the file; synchronous and busy_timeout are per connection.
            await ExecuteAsync(connection, null, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000;", cancellationToken)
                .ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    protected override ValueTask DisposeCoreAsync()
    {
        // Pooled connections keep the file open; release them so the WAL is checkpointed and the file can be removed.
        SqliteConnection.ClearAllPools();
        return ValueTask.CompletedTask;
    }
}
