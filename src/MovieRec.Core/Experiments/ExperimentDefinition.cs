using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using MovieRec.Core.Models;

namespace MovieRec.Core.Experiments;

/// <summary>One arm of an experiment: a name, the bundle model that serves it, and its share of traffic.</summary>
public sealed record VariantDefinition
{
    public string Name { get; init; } = string.Empty;

    public string Model { get; init; } = string.Empty;

    /// <summary>Relative share of units (any positive scale); ignored by interleaving, where every unit sees both.</summary>
    public double Weight { get; init; } = 1;

    /// <summary>
    /// Options of <see cref="Model"/> for this variant, by declared option name (<c>{"factors": 50}</c>, as
    /// <c>--set svd.factors=50</c>): the service trains the registry model with them on the served bundle's ratings
    /// and serves that model for the variant. Null or empty: the bundle's model as trained.
    /// </summary>
    [JsonConverter(typeof(OptionValuesJsonConverter))]
    public IReadOnlyDictionary<string, string>? Options { get; init; }
}

/// <summary>
/// An experiment as configured (appsettings <c>MovieRec:Experiments</c> or <c>/admin/experiments</c>): a name,
/// a type (<c>ab</c> or <c>interleave</c>), variants, a salt for assignment, an optional active window and an
/// allocation policy (<c>fixed</c> weights or <c>thompson</c> sampling).
/// </summary>
public sealed partial record ExperimentDefinition
{
    public const string AbType = "ab";
    public const string InterleaveType = "interleave";
    public const string FixedAllocation = "fixed";
    public const string ThompsonAllocation = "thompson";

    public string Name { get; init; } = string.Empty;

    public string Type { get; init; } = AbType;

    public IReadOnlyList<VariantDefinition> Variants { get; init; } = [];

    /// <summary>Assignment salt; the name when empty. A new salt reshuffles every unit.</summary>
    public string? Salt { get; init; }

    /// <summary>First moment the experiment enrols units (always, when null).</summary>
    public DateTimeOffset? Start { get; init; }

    /// <summary>The moment it stops enrolling (never, when null).</summary>
    public DateTimeOffset? End { get; init; }

    public string Allocation { get; init; } = FixedAllocation;

    /// <summary>
    /// Users each variant (for interleaving, the experiment) needs before the report may stop it: below it the
    /// mSPRT p-value stays 1 and no winner is named, whatever the early numbers say. The plug-in variance of a
    /// few users is too noisy for the normal approximation both tests rest on.
    /// </summary>
    public int MinimumUsers { get; init; } = DefaultMinimumUsers;

    /// <summary>The default of <see cref="MinimumUsers"/>.</summary>
    public const int DefaultMinimumUsers = 100;

    public string EffectiveSalt => string.IsNullOrEmpty(Salt) ? Name : Salt;

    public bool IsInterleave => string.Equals(Type, InterleaveType, StringComparison.Ordinal);

    public bool IsThompson => string.Equals(Allocation, ThompsonAllocation, StringComparison.Ordinal);

    public bool IsActive(DateTimeOffset now) => (Start is null || now >= Start) && (End is null || now < End);

    public IReadOnlyList<double> Weights => [.. Variants.Select(v => v.Weight)];

    /// <summary>The problems with this definition, each as (field, message); empty when it is valid.</summary>
    public IReadOnlyList<(string Field, string Message)> Validate(Func<string, bool> modelExists)
    {
        var errors = new List<(string, string)>();
        if (string.IsNullOrWhiteSpace(Name) || !NamePattern().IsMatch(Name))
        {
            errors.Add(("name", "'name' must be 1-64 characters of letters, digits, '-', '_' or '.'."));
        }

        if (Type is not (AbType or InterleaveType))
        {
            errors.Add(("type", $"'type' must be '{AbType}' or '{InterleaveType}'; it was '{Type}'."));
        }

        if (Allocation is not (FixedAllocation or ThompsonAllocation))
        {
            errors.Add(("allocation", $"'allocation' must be '{FixedAllocation}' or '{ThompsonAllocation}'; it was '{Allocation}'."));
        }
        else if (IsThompson && IsInterleave)
        {
            errors.Add(("allocation", "'thompson' allocation applies to ab experiments; an interleaving experiment shows every unit both variants."));
        }

        if (IsInterleave ? Variants.Count != 2 : Variants.Count < 2)
        {
            errors.Add(("variants", IsInterleave ? "An interleave experiment needs exactly 2 variants." : "An ab experiment needs at least 2 variants."));
        }

        if (Variants.Count > 20)
        {
            errors.Add(("variants", "At most 20 variants."));
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int v = 0; v < Variants.Count; v++)
        {
            VariantDefinition variant = Variants[v];
            if (variant is null)
            {
                errors.Add(($"variants[{v}]", $"'variants[{v}]' is missing."));
                continue;
            }

            if (string.IsNullOrWhiteSpace(variant.Name) || !NamePattern().IsMatch(variant.Name))
            {
                errors.Add(($"variants[{v}].name", $"'variants[{v}].name' must be 1-64 characters of letters, digits, '-', '_' or '.'."));
            }
            else if (!names.Add(variant.Name))
            {
                errors.Add(($"variants[{v}].name", $"'variants[{v}].name' repeats '{variant.Name}'; variant names must differ."));
            }

            bool hasOptions = variant.Options is { Count: > 0 };
            if (string.IsNullOrWhiteSpace(variant.Model) || (hasOptions ? !ModelRegistry.Names.Contains(variant.Model.Trim(), StringComparer.OrdinalIgnoreCase) : !modelExists(variant.Model)))
            {
                errors.Add(($"variants[{v}].model", hasOptions
                    ? $"'variants[{v}].model' ('{variant.Model}') is not a model MovieRec can train; known models: {string.Join(", ", ModelRegistry.Names)}."
                    : $"'variants[{v}].model' ('{variant.Model}') is not a model of the served bundle."));
            }
            else if (hasOptions)
            {
                // Each option on its own, so that every bad one is named: the registry's declarations parse and range-check it.
                foreach ((string option, string value) in variant.Options!)
                {
                    try
                    {
                        ModelRegistry.Resolve(variant.Model, new ModelContext(), new Dictionary<string, string> { [option] = value });
                    }
                    catch (ModelOptionException e)
                    {
                        errors.Add(($"variants[{v}].options.{option}", $"'variants[{v}].options.{option}': {e.Message}"));
                    }
                }
            }

            if (!(variant.Weight > 0) || !double.IsFinite(variant.Weight))
            {
                errors.Add(($"variants[{v}].weight", $"'variants[{v}].weight' must be a positive number; it was {variant.Weight}."));
            }
        }

        if (Start is DateTimeOffset start && End is DateTimeOffset end && end <= start)
        {
            errors.Add(("end", "'end' must come after 'start'."));
        }

        if (MinimumUsers is < 1 or > 1_000_000)
        {
            errors.Add(("minimumUsers", $"'minimumUsers' must be between 1 and 1000000; it was {MinimumUsers}."));
        }

        if (Salt is { Length: > 200 })
        {
            errors.Add(("salt", "'salt' is at most 200 characters."));
        }

        return errors;
    }

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,64}$")]
    private static partial Regex NamePattern();
}
