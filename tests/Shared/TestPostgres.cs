using Npgsql;

namespace MovieRec.Tests.Shared;

/// <summary>
/// A fresh PostgreSQL database for one test on the server named by <c>MOVIEREC_TEST_POSTGRES</c> (an Npgsql connection
/// string; `.ci/run` starts a throwaway cluster and sets it), dropped afterwards. Without the variable a test is skipped
/// with a message, except under CI (<c>CI=true</c>), where it fails so CI cannot skip the PostgreSQL tests silently.
/// </summary>
public sealed class TestPostgres : IAsyncDisposable
{
    public const string Variable = "MOVIEREC_TEST_POSTGRES";

    private readonly string _server;

    private TestPostgres(string server, string database, string connectionString)
    {
        _server = server;
        Database = database;
        ConnectionString = connectionString;
    }

    public string Database { get; }

    /// <summary>Connection string of the new database.</summary>
    public string ConnectionString { get; }

    /// <summary>The server's connection string, or a skip (locally) / failure (CI) saying that it is missing.</summary>
    public static string RequireServer()
    {
        string? server = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(server))
        {
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Fail($"CI=true but {Variable} is not set: CI must run the PostgreSQL tests against a real server (.ci/run starts one).");
            }

            Skip.If(true, $"{Variable} is not set: PostgreSQL tests skipped. Set it to an Npgsql connection string (e.g. Host=127.0.0.1;Port=55432;Username=postgres) to run them.");
        }

        return server!;
    }

    public static async Task<TestPostgres> CreateAsync()
    {
        string server = RequireServer();
        string database = "movierec_test_" + Guid.NewGuid().ToString("N")[..12];
        await using (var connection = new NpgsqlConnection(server))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {database}", connection);
            await command.ExecuteNonQueryAsync();
        }

        var builder = new NpgsqlConnectionStringBuilder(server) { Database = database };
        return new TestPostgres(server, database, builder.ConnectionString);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_server);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Database} WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }
}
