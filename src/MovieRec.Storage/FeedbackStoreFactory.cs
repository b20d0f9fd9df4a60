using MovieRec.Core.Feedback;

namespace MovieRec.Storage;

/// <summary>Opens the configured feedback store: <c>sqlite</c> (a file path or a connection string) or <c>postgres</c> (an Npgsql connection string).</summary>
public static class FeedbackStoreFactory
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    /// <summary>The SQLite file's name inside the state folder.</summary>
    public const string SqliteFileName = "feedback.db";

    /// <summary>Creates the store and applies pending migrations.</summary>
    public static async Task<IFeedbackStore> OpenAsync(string provider, string connection, CancellationToken cancellationToken = default)
    {
        IFeedbackStore store = Create(provider, connection);
        try
        {
            await store.MigrateAsync(cancellationToken).ConfigureAwait(false);
            return store;
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The store without migrating it.</summary>
    public static IFeedbackStore Create(string provider, string connection)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connection);
        return provider.ToUpperInvariant() switch
        {
            "SQLITE" => new SqliteFeedbackStore(connection),
            "POSTGRES" or "POSTGRESQL" => new PostgresFeedbackStore(connection),
            _ => throw new ArgumentException($"Unknown feedback provider '{provider}'; use '{Sqlite}' or '{Postgres}'.", nameof(provider)),
        };
    }

    /// <summary>
    /// A CLI-style connection: <c>postgres://...</c>/<c>postgresql://...</c> URL, <c>Host=...</c> (Npgsql), or else a SQLite
    /// file path or <c>Data Source=...</c>. Returns the provider and the connection string.
    /// </summary>
    public static (string Provider, string Connection) Detect(string connection)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connection);
        if (connection.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || connection.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            return (Postgres, PostgresFeedbackStore.FromUrl(connection));
        }

        return connection.Contains("Host=", StringComparison.OrdinalIgnoreCase) ? (Postgres, connection) : (Sqlite, connection);
    }
}
