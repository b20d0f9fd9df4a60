using System.Data.Common;
using System.Globalization;
using MovieRec.Core.Experiments;
using MovieRec.Core.Feedback;

namespace MovieRec.Storage;

/// <summary>Experiments in the feedback database (schema version 2, the same SQL on both providers).</summary>
public abstract partial class SqlFeedbackStore : IExperimentStore
{
    internal const string ExperimentsMigrationDescription = "experiments: definitions, the lists served (exposures) and their movies with interleaving teams";

    internal const string ExperimentsMigrationSql =
        """
        CREATE TABLE experiments (name TEXT PRIMARY KEY, definition TEXT NOT NULL, updated_at BIGINT NOT NULL);
        CREATE TABLE experiment_exposures (
            recommendation_id TEXT PRIMARY KEY, experiment TEXT NOT NULL, variant TEXT NOT NULL, unit TEXT NOT NULL,
            user_id INTEGER NULL, ts BIGINT NOT NULL);
        CREATE INDEX ix_exposures_experiment_unit ON experiment_exposures (experiment, unit);
        CREATE TABLE experiment_exposure_items (
            recommendation_id TEXT NOT NULL, position INTEGER NOT NULL, movie_id INTEGER NOT NULL, team INTEGER NOT NULL,
            PRIMARY KEY (recommendation_id, position));
        CREATE INDEX ix_exposure_items_movie ON experiment_exposure_items (recommendation_id, movie_id);
        """;

    // Events count once per listed movie (a repeated click is one click); only movies of the list count.
    private const string EventCount =
        "(SELECT COUNT(DISTINCT e.movie_id) FROM events e JOIN experiment_exposure_items i " +
        "ON i.recommendation_id = e.recommendation_id AND i.movie_id = e.movie_id " +
        "WHERE e.recommendation_id = x.recommendation_id AND e.type = '{0}'{1})";

    private static readonly string OutcomesSql =
        "SELECT x.unit, x.variant, " +
        string.Format(CultureInfo.InvariantCulture, EventCount, "impression", "") + ", " +
        string.Format(CultureInfo.InvariantCulture, EventCount, "click", "") + ", " +
        string.Format(CultureInfo.InvariantCulture, EventCount, "click", " AND i.team = 0") + ", " +
        string.Format(CultureInfo.InvariantCulture, EventCount, "click", " AND i.team = 1") + ", " +
        "(SELECT COUNT(*) FROM experiment_exposure_items i JOIN ratings r ON r.movie_id = i.movie_id AND r.user_id = x.user_id " +
        "WHERE i.recommendation_id = x.recommendation_id AND r.rating >= 4 AND r.ts >= x.ts) " +
        "FROM experiment_exposures x WHERE x.experiment = @e";

    public async Task<IReadOnlyList<StoredExperiment>> GetExperimentsAsync(CancellationToken cancellationToken = default)
    {
        DbConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await using DbCommand command = Command(connection, null, "SELECT name, definition, updated_at FROM experiments ORDER BY name");
            var list = new List<StoredExperiment>();
            DbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    list.Add(new StoredExperiment(reader.GetString(0), reader.GetString(1), Convert.ToInt64(reader.GetValue(2), CultureInfo.InvariantCulture)));
                }
            }

            return list;
        }
    }

    public async Task<bool> SaveExperimentAsync(string name, string definitionJson, bool create, CancellationToken cancellationToken = default)
    {
        string sql = create
            ? "INSERT INTO experiments (name, definition, updated_at) VALUES (@n, @d, @t) ON CONFLICT (name) DO NOTHING"
            : "INSERT INTO experiments (name, definition, updated_at) VALUES (@n, @d, @t) ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at";
        DbConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await using DbCommand command = Command(connection, null, sql);
            Add(command, "n", name);
            Add(command, "d", definitionJson);
            Add(command, "t", DateTimeOffset.UtcNow.ToUnixTimeSeconds());
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
        }
    }

    public async Task<bool> DeleteExperimentAsync(string name, CancellationToken cancellationToken = default)
    {
        DbConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await using DbCommand command = Command(connection, null, "DELETE FROM experiments WHERE name = @n");
            Add(command, "n", name);
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
        }
    }

    public async Task AddExposureAsync(ExperimentExposure exposure, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(exposure);
        DbConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            DbTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                await using (DbCommand command = Command(connection, transaction,
                    "INSERT INTO experiment_exposures (recommendation_id, experiment, variant, unit, user_id, ts) VALUES (@r, @e, @v, @u, @uid, @t)"))
                {
                    Add(command, "r", exposure.RecommendationId);
                    Add(command, "e", exposure.Experiment);
                    Add(command, "v", exposure.Variant);
                    Add(command, "u", exposure.Unit);
                    Add(command, "uid", exposure.UserId);
                    Add(command, "t", exposure.Timestamp);
                    await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await using (DbCommand items = Command(connection, transaction,
                    "INSERT INTO experiment_exposure_items (recommendation_id, position, movie_id, team) VALUES (@r, @p, @m, @team)"))
                {
                    Add(items, "r", exposure.RecommendationId);
                    DbParameter p = Add(items, "p", 0), m = Add(items, "m", 0), team = Add(items, "team", 0);
                    await items.PrepareAsync(cancellationToken).ConfigureAwait(false);
                    for (int i = 0; i < exposure.Movies.Count; i++)
                    {
                        p.Value = i;
                        m.Value = exposure.Movies[i];
                        team.Value = exposure.Teams is null ? 0 : exposure.Teams[i];
                        await items.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async Task<string?> GetAssignedVariantAsync(string experiment, string unit, CancellationToken cancellationToken = default)
    {
        DbConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await using DbCommand command = Command(connection, null,
                "SELECT variant FROM experiment_exposures WHERE experiment = @e AND unit = @u ORDER BY ts LIMIT 1");
            Add(command, "e", experiment);
            Add(command, "u", unit);
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
        }
    }

    public async Task<IReadOnlyList<UnitOutcome>> GetUnitOutcomesAsync(string experiment, CancellationToken cancellationToken = default)
    {
        var byUnit = new Dictionary<(string Unit, string Variant), long[]>();
        DbConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await using DbCommand command = Command(connection, null, OutcomesSql);
            Add(command, "e", experiment);
            DbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var key = (reader.GetString(0), reader.GetString(1));
                    if (!byUnit.TryGetValue(key, out long[]? sums))
                    {
                        byUnit[key] = sums = new long[5];
                    }

                    for (int c = 0; c < 5; c++)
                    {
                        sums[c] += Convert.ToInt64(reader.GetValue(2 + c), CultureInfo.InvariantCulture);
                    }
                }
            }
        }

        var outcomes = new List<UnitOutcome>(byUnit.Count);
        foreach (((string unit, string variant), long[] s) in byUnit)
        {
            outcomes.Add(new UnitOutcome(unit, variant, s[0], s[1], s[4], s[2], s[3]));
        }

        return outcomes;
    }
}
