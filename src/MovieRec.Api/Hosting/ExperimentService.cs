using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Options;
using MovieRec.Core.Experiments;
using MovieRec.Core.Feedback;

namespace MovieRec.Api.Hosting;

/// <summary>Where an experiment's definition comes from.</summary>
public enum ExperimentSource
{
    Configuration,
    Store,
}

/// <summary>A unit's place in an experiment: the experiment and, for A/B, the index of its variant (interleaving shows both).</summary>
public sealed record Enrollment(ExperimentDefinition Experiment, int VariantIndex)
{
    public bool IsInterleave => Experiment.IsInterleave;

    /// <summary>The model of an A/B variant (null for interleaving).</summary>
    public string? VariantModel => Variant?.Model;

    /// <summary>The A/B variant (null for interleaving).</summary>
    public VariantDefinition? Variant => IsInterleave ? null : Experiment.Variants[VariantIndex];

    /// <summary>The variant name a response reports: the variant's, or "interleave".</summary>
    public string VariantName => IsInterleave ? ExperimentDefinition.InterleaveType : Experiment.Variants[VariantIndex].Name;
}

/// <summary>
/// The experiments the service runs: definitions from configuration (<c>MovieRec:Experiments</c>) and from the
/// feedback store (made through <c>/admin/experiments</c>; a stored definition overrides a configured one of the
/// same name), enrolment of units, the record of each list served, and the statistics.
/// </summary>
public sealed partial class ExperimentService
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly LiveFeedback _feedback;
    private readonly IOptionsMonitor<MovieRecOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ExperimentService> _logger;
    private readonly ConcurrentDictionary<string, bool> _reportedInvalid = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Experiment, string Unit), int> _adaptiveAssignments = new();
    private readonly SemaphoreSlim _refreshGate = new(1, 1);
    private volatile IReadOnlyDictionary<string, ExperimentDefinition> _stored = new Dictionary<string, ExperimentDefinition>(StringComparer.Ordinal);
    private volatile ThompsonState? _thompson;

    private volatile bool _loaded;

    public ExperimentService(LiveFeedback feedback, IOptionsMonitor<MovieRecOptions> options, TimeProvider time, ILogger<ExperimentService> logger)
    {
        _feedback = feedback;
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>Experiments need the feedback store: the lists served and their outcomes live there.</summary>
    public bool IsAvailable => _feedback.IsOpen;

    private IExperimentStore Store => _feedback.Store as IExperimentStore
        ?? throw new InvalidOperationException($"The feedback store ({_feedback.Provider}) does not keep experiments.");

    /// <summary>How long Thompson sampling reuses its counts before reading the outcomes again.</summary>
    public static TimeSpan ThompsonRefresh { get; } = TimeSpan.FromSeconds(2);

    /// <summary>Reads the stored definitions (at start-up and after every admin change).</summary>
    public async Task LoadAsync(CancellationToken cancellationToken = default)
    {
        var stored = new Dictionary<string, ExperimentDefinition>(StringComparer.Ordinal);
        foreach (StoredExperiment row in await Store.GetExperimentsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (JsonSerializer.Deserialize<ExperimentDefinition>(row.DefinitionJson, Json) is ExperimentDefinition definition)
            {
                stored[row.Name] = definition;
            }
        }

        _stored = stored;
        _loaded = true;
    }

    private async ValueTask EnsureLoadedAsync(CancellationToken cancellationToken)
    {
        if (!_loaded)
        {
            await LoadAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Every experiment, configured and stored, by name (stored ones win), with where each came from.</summary>
    public IReadOnlyList<(ExperimentDefinition Definition, ExperimentSource Source)> All()
    {
        var all = new SortedDictionary<string, (ExperimentDefinition, ExperimentSource)>(StringComparer.Ordinal);
        foreach (ExperimentDefinition configured in _options.CurrentValue.Experiments)
        {
            // Models are checked against the bundle at enrolment; the rest of a configured definition must hold.
            IReadOnlyList<(string Field, string Message)> errors = configured.Validate(_ => true);
            if (errors.Count > 0)
            {
                if (_reportedInvalid.TryAdd(configured.Name, true))
                {
                    LogInvalidConfigured(_logger, configured.Name.Length > 0 ? configured.Name : "(no name)", string.Join(" ", errors.Select(e => e.Message)));
                }

                continue;
            }

            all[configured.Name] = (configured, ExperimentSource.Configuration);
        }

        foreach ((string name, ExperimentDefinition stored) in _stored)
        {
            all[name] = (stored, ExperimentSource.Store);
        }

        return [.. all.Values];
    }

    public (ExperimentDefinition Definition, ExperimentSource Source)? Find(string name)
    {
        foreach ((ExperimentDefinition definition, ExperimentSource source) in All())
        {
            if (string.Equals(definition.Name, name, StringComparison.Ordinal))
            {
                return (definition, source);
            }
        }

        return null;
    }

    /// <summary>
    /// The experiment a unit takes part in: the named one if given (and active), else the first active experiment
    /// by name, whose every variant <paramref name="variantReady"/> can serve (a variant with options waits for its
    /// trained model). Null when none is active. A/B variants are chosen by <see cref="StickyAssignment"/> of (unit, salt),
    /// or by Thompson sampling with the unit's first draw remembered.
    /// </summary>
    public async ValueTask<Enrollment?> EnrollAsync(string unit, string? experimentName, Func<VariantDefinition, bool> variantReady, CancellationToken cancellationToken = default)
    {
        if (!IsAvailable)
        {
            return null;
        }

        await EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
        DateTimeOffset now = _time.GetUtcNow();
        ExperimentDefinition? chosen = null;
        foreach ((ExperimentDefinition definition, _) in All())
        {
            if (definition.IsActive(now) && (experimentName is null || string.Equals(definition.Name, experimentName, StringComparison.Ordinal)))
            {
                if (definition.Variants.All(variantReady))
                {
                    chosen = definition;
                    break;
                }

                if (_reportedInvalid.TryAdd("models:" + definition.Name, true))
                {
                    LogModelsMissing(_logger, definition.Name, string.Join(", ", definition.Variants.Select(v => v.Model)));
                }
            }
        }

        if (chosen is null)
        {
            return null;
        }

        if (chosen.IsInterleave)
        {
            return new Enrollment(chosen, -1);
        }

        if (!chosen.IsThompson)
        {
            return new Enrollment(chosen, StickyAssignment.Choose(unit, chosen.EffectiveSalt, chosen.Weights));
        }

        if (_adaptiveAssignments.TryGetValue((chosen.Name, unit), out int remembered))
        {
            return new Enrollment(chosen, remembered);
        }

        string? stored = await Store.GetAssignedVariantAsync(chosen.Name, unit, cancellationToken).ConfigureAwait(false);
        int index = stored is null ? -1 : IndexOf(chosen, stored);
        if (index < 0)
        {
            IReadOnlyList<ArmCounts> arms = await ThompsonArmsAsync(chosen, cancellationToken).ConfigureAwait(false);
            // A per-unit seed keeps a retried request's draw the same; a fresh Random per call keeps this thread-safe.
            index = ThompsonSampling.Choose(arms, new Random(HashCode.Combine(chosen.EffectiveSalt, unit, arms.Sum(a => a.Successes + a.Failures))));
        }

        _adaptiveAssignments[(chosen.Name, unit)] = index;
        return new Enrollment(chosen, index);
    }

    /// <summary>Records a list served in an experiment and returns its recommendation id.</summary>
    public async Task<string> RecordAsync(Enrollment enrollment, string unit, int? userId, IReadOnlyList<int> movies, IReadOnlyList<int>? teams,
        CancellationToken cancellationToken = default, string? recommendationId = null)
    {
        string id = recommendationId ?? NewRecommendationId();
        await Store.AddExposureAsync(new ExperimentExposure(id, enrollment.Experiment.Name, enrollment.VariantName, unit, userId, movies, teams,
            _time.GetUtcNow().ToUnixTimeSeconds()), cancellationToken).ConfigureAwait(false);
        return id;
    }

    /// <summary>A new recommendation id: 32 hex digits.</summary>
    public static string NewRecommendationId() => Guid.NewGuid().ToString("N");

    /// <summary>The statistics of an experiment, or null when there is none of that name.</summary>
    public async Task<ExperimentReport?> ReportAsync(string name, CancellationToken cancellationToken = default)
    {
        if (IsAvailable)
        {
            await EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
        }

        if (Find(name) is not (ExperimentDefinition definition, _))
        {
            return null;
        }

        IReadOnlyList<UnitOutcome> outcomes = !IsAvailable ? [] : await Store.GetUnitOutcomesAsync(name, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<double>? allocation = null;
        if (definition.IsThompson)
        {
            IReadOnlyList<ArmCounts> arms = Arms(definition, outcomes);
            allocation = ThompsonSampling.Allocation(arms, 10_000, new Random(17));
        }

        return ExperimentAnalysis.Analyze(definition, outcomes, _time.GetUtcNow(), thompsonAllocation: allocation);
    }

    public async Task<bool> SaveAsync(ExperimentDefinition definition, bool create, CancellationToken cancellationToken = default)
    {
        await EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
        bool saved = await Store.SaveExperimentAsync(definition.Name, JsonSerializer.Serialize(definition, Json), create, cancellationToken).ConfigureAwait(false);
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        ForgetAssignments(definition.Name);
        return saved;
    }

    public async Task<bool> DeleteAsync(string name, CancellationToken cancellationToken = default)
    {
        await EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
        bool deleted = await Store.DeleteExperimentAsync(name, cancellationToken).ConfigureAwait(false);
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        ForgetAssignments(name);
        return deleted;
    }

    private void ForgetAssignments(string experiment)
    {
        foreach ((string Experiment, string Unit) key in _adaptiveAssignments.Keys)
        {
            if (key.Experiment == experiment)
            {
                _adaptiveAssignments.TryRemove(key, out _);
            }
        }

        _thompson = null;
    }

    private async Task<IReadOnlyList<ArmCounts>> ThompsonArmsAsync(ExperimentDefinition definition, CancellationToken cancellationToken)
    {
        DateTimeOffset now = _time.GetUtcNow();
        if (_thompson is ThompsonState fresh && fresh.Experiment == definition.Name && now - fresh.At < ThompsonRefresh)
        {
            return fresh.Arms;
        }

        await _refreshGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_thompson is ThompsonState again && again.Experiment == definition.Name && now - again.At < ThompsonRefresh)
            {
                return again.Arms;
            }

            IReadOnlyList<UnitOutcome> outcomes = await Store.GetUnitOutcomesAsync(definition.Name, cancellationToken).ConfigureAwait(false);
            IReadOnlyList<ArmCounts> arms = Arms(definition, outcomes);
            _thompson = new ThompsonState(definition.Name, now, arms);
            return arms;
        }
        finally
        {
            _refreshGate.Release();
        }
    }

    /// <summary>Bandit arms over conversion rates: conversions against impressions that did not convert.</summary>
    private static IReadOnlyList<ArmCounts> Arms(ExperimentDefinition definition, IReadOnlyList<UnitOutcome> outcomes)
    {
        long[] conversions = new long[definition.Variants.Count], impressions = new long[definition.Variants.Count];
        foreach (UnitOutcome o in outcomes)
        {
            int v = IndexOf(definition, o.Variant);
            if (v >= 0)
            {
                conversions[v] += o.Conversions;
                impressions[v] += o.Impressions;
            }
        }

        var arms = new ArmCounts[conversions.Length];
        for (int v = 0; v < arms.Length; v++)
        {
            long successes = Math.Min(conversions[v], impressions[v]);
            arms[v] = new ArmCounts(successes, impressions[v] - successes);
        }

        return arms;
    }

    private static int IndexOf(ExperimentDefinition definition, string variant)
    {
        for (int v = 0; v < definition.Variants.Count; v++)
        {
            if (string.Equals(definition.Variants[v].Name, variant, StringComparison.Ordinal))
            {
                return v;
            }
        }

        return -1;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Configured experiment {Name} is invalid and is not run: {Problems}")]
    private static partial void LogInvalidConfigured(ILogger logger, string name, string problems);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Experiment {Name} enrols nobody yet: one of its models ({Models}) is not in the served bundle, or a variant's model with options is still training (GET /experiments/{Name} says which)")]
    private static partial void LogModelsMissing(ILogger logger, string name, string models);

    private sealed record ThompsonState(string Experiment, DateTimeOffset At, IReadOnlyList<ArmCounts> Arms);
}
