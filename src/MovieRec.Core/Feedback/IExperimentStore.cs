using MovieRec.Core.Experiments;

namespace MovieRec.Core.Feedback;

/// <summary>An experiment definition as stored: its name, its JSON and when it last changed (Unix seconds).</summary>
public sealed record StoredExperiment(string Name, string DefinitionJson, long UpdatedAt);

/// <summary>
/// One recommendation list served inside an experiment: its id (which events cite), the experiment, the variant
/// (for interleaving, "interleave"), the unit it was assigned by ("user:42" or "session:..."), the user when known,
/// the movies in order and, for interleaving, the team (0 = first variant, 1 = second) of each position.
/// </summary>
public sealed record ExperimentExposure(string RecommendationId, string Experiment, string Variant, string Unit, int? UserId,
    IReadOnlyList<int> Movies, IReadOnlyList<int>? Teams, long Timestamp);

/// <summary>
/// Experiments kept in the feedback database: definitions made through <c>/admin/experiments</c>, the lists
/// served, and the outcomes of those lists from the events and ratings that followed.
/// </summary>
public interface IExperimentStore
{
    Task<IReadOnlyList<StoredExperiment>> GetExperimentsAsync(CancellationToken cancellationToken = default);

    /// <summary>Creates or replaces a definition; with <paramref name="create"/> set, returns false (and writes nothing) when the name exists.</summary>
    Task<bool> SaveExperimentAsync(string name, string definitionJson, bool create, CancellationToken cancellationToken = default);

    /// <summary>Removes a definition (its exposures stay, for the record); false when there was none.</summary>
    Task<bool> DeleteExperimentAsync(string name, CancellationToken cancellationToken = default);

    Task AddExposureAsync(ExperimentExposure exposure, CancellationToken cancellationToken = default);

    /// <summary>The variant a unit was first served in an experiment, if any (sticky assignment under adaptive allocation).</summary>
    Task<string?> GetAssignedVariantAsync(string experiment, string unit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Per unit of an experiment: its variant, impressions and clicks (distinct listed movies with an
    /// <c>impression</c> / <c>click</c> event citing the list's recommendation id), conversions (listed movies the
    /// user then rated 4 or more) and, for interleaving, the clicks on each team's movies.
    /// </summary>
    Task<IReadOnlyList<UnitOutcome>> GetUnitOutcomesAsync(string experiment, CancellationToken cancellationToken = default);
}
