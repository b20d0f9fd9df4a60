using System.Globalization;
using System.Reflection;

namespace MovieRec.Core.Models;

/// <summary>
/// Declares a property of an options record as a user-facing option: its description and valid range, and the range
/// the tuner searches by default. The default is the record's own initial value. This one declaration drives CLI help,
/// <c>--set</c>/<c>--options</c> validation, the bundle manifest, <c>/models</c> and tuning spaces.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
public sealed class OptionAttribute(string description) : Attribute
{
    public string Description { get; } = description;

    /// <summary>Smallest valid value (numbers only).</summary>
    public double Min { get; set; } = double.NegativeInfinity;

    /// <summary>Largest valid value (numbers only).</summary>
    public double Max { get; set; } = double.PositiveInfinity;

    /// <summary>The minimum itself is not valid (e.g. a learning rate must be above 0).</summary>
    public bool MinExclusive { get; set; }

    /// <summary>Lower end of the default tuning range; NaN when the option is not tuned by default.</summary>
    public double TuneMin { get; set; } = double.NaN;

    /// <summary>Upper end of the default tuning range.</summary>
    public double TuneMax { get; set; } = double.NaN;

    /// <summary>Sample the tuning range on a log scale (rates, regularisation).</summary>
    public bool LogScale { get; set; }

    /// <summary>The option is the fit's budget (epochs, iterations): the tuner's successive halving grows it.</summary>
    public bool Budget { get; set; }
}

/// <summary>What kind of value an option takes.</summary>
public enum OptionType
{
    Integer,
    Number,
    Boolean,
    Choice,
}

/// <summary>A range a tuner samples: inclusive bounds, on a log scale where <see cref="Log"/>.</summary>
public sealed record TuneRange(double Min, double Max, bool Log);

/// <summary>One declared option of an algorithm, read from its options record.</summary>
public sealed record OptionSpec(
    string Name,
    OptionType Type,
    object? Default,
    double Min,
    double Max,
    bool MinExclusive,
    string Description,
    IReadOnlyList<string> Choices,
    TuneRange? Tune,
    bool Budget)
{
    internal PropertyInfo Property { get; init; } = null!;

    internal bool Nullable { get; init; }

    /// <summary>"[1, 1000]", "(0, 1]", "true|false", "als|sgd".</summary>
    public string RangeText => Type switch
    {
        OptionType.Boolean => "true|false",
        OptionType.Choice => string.Join('|', Choices),
        _ => string.Create(CultureInfo.InvariantCulture,
            $"{(MinExclusive ? '(' : '[')}{Bound(Min)}, {Bound(Max)}{(double.IsPositiveInfinity(Max) ? ')' : ']')}"),
    };

    public string DefaultText => FormatValue(Default);

    public static string FormatValue(object? value) => value switch
    {
        null => "(none)",
        bool b => b ? "true" : "false",
        Enum e => Camel(e.ToString()),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string Bound(double v) =>
        double.IsNegativeInfinity(v) ? "-inf" : double.IsPositiveInfinity(v) ? "inf" : v.ToString("G", CultureInfo.InvariantCulture);

    internal static string Camel(string name) => name.Length == 0 ? name : char.ToLowerInvariant(name[0]) + name[1..];

    /// <summary>Parses and range-checks a value given as text (CLI or options file); the error names the option.</summary>
    internal object? Parse(string model, string text)
    {
        text = text.Trim();
        string name = $"{model}.{Name}";
        if (Nullable && (text.Length == 0 || text.Equals("null", StringComparison.OrdinalIgnoreCase)))
        {
            return null;
        }

        switch (Type)
        {
            case OptionType.Boolean:
                return bool.TryParse(text, out bool b) ? b : throw Bad(name, text, "true or false");
            case OptionType.Choice:
                Type enumType = System.Nullable.GetUnderlyingType(Property.PropertyType) ?? Property.PropertyType;
                foreach (string choice in Choices)
                {
                    if (choice.Equals(text, StringComparison.OrdinalIgnoreCase))
                    {
                        return Enum.Parse(enumType, choice, ignoreCase: true);
                    }
                }

                throw Bad(name, text, $"one of {RangeText}");
            case OptionType.Integer:
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double whole)
                    || !double.IsFinite(whole) || whole != Math.Floor(whole) || Math.Abs(whole) > int.MaxValue)
                {
                    throw Bad(name, text, $"a whole number in {RangeText}");
                }

                CheckRange(name, whole);
                return (int)whole;
            default:
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) || !double.IsFinite(d))
                {
                    throw Bad(name, text, $"a number in {RangeText}");
                }

                CheckRange(name, d);
                // Boxed as the property's own type: SetValue does not widen or narrow (a conditional of float and double is a double).
                return Property.PropertyType == typeof(float) || System.Nullable.GetUnderlyingType(Property.PropertyType) == typeof(float) ? (object)(float)d : d;
        }
    }

    internal void CheckRange(string name, double v)
    {
        if (v < Min || v > Max || (MinExclusive && v == Min))
        {
            throw new ModelOptionException(string.Create(CultureInfo.InvariantCulture,
                $"Option {name} = {v} is out of range: it must lie in {RangeText} ({Description})."));
        }
    }

    private ModelOptionException Bad(string name, string text, string expected) =>
        new($"Option {name} = '{text}' is not valid: expected {expected} ({Description}).");
}

/// <summary>A user's option is unknown, malformed or out of range; the message names it and what is valid.</summary>
public sealed class ModelOptionException(string message) : ArgumentException(message);

/// <summary>Reads the declared options of an options record type and applies values to copies of a record.</summary>
public static class OptionSchema
{
    /// <summary>The options declared with <see cref="OptionAttribute"/> on <paramref name="optionsType"/>, in declaration order.</summary>
    public static IReadOnlyList<OptionSpec> Read(Type optionsType, object defaults, IReadOnlyCollection<string>? hidden = null)
    {
        var specs = new List<OptionSpec>();
        foreach (PropertyInfo property in optionsType.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetCustomAttribute<OptionAttribute>() is not { } option || property.SetMethod is null)
            {
                continue;
            }

            string name = OptionSpec.Camel(property.Name);
            if (hidden?.Contains(name) == true)
            {
                continue;
            }

            Type underlying = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            OptionType type = underlying == typeof(bool) ? OptionType.Boolean
                : underlying.IsEnum ? OptionType.Choice
                : underlying == typeof(int) || underlying == typeof(long) ? OptionType.Integer
                : underlying == typeof(double) || underlying == typeof(float) ? OptionType.Number
                : throw new InvalidOperationException($"Option {optionsType.Name}.{property.Name} has type {underlying.Name}, which options cannot take.");
            IReadOnlyList<string> choices = underlying.IsEnum ? [.. Enum.GetNames(underlying).Select(OptionSpec.Camel)] : [];
            TuneRange? tune = double.IsNaN(option.TuneMin) || double.IsNaN(option.TuneMax) ? null : new TuneRange(option.TuneMin, option.TuneMax, option.LogScale);
            specs.Add(new OptionSpec(name, type, property.GetValue(defaults), option.Min, option.Max, option.MinExclusive, option.Description, choices, tune, option.Budget)
            {
                Property = property,
                Nullable = Nullable.GetUnderlyingType(property.PropertyType) is not null,
            });
        }

        return specs;
    }

    /// <summary>A copy of a record with the given values set (values already parsed by the specs).</summary>
    public static object With(object options, IReadOnlyDictionary<OptionSpec, object?> values)
    {
        if (values.Count == 0)
        {
            return options;
        }

        MethodInfo clone = options.GetType().GetMethod("<Clone>$")
            ?? throw new InvalidOperationException($"{options.GetType().Name} is not a record.");
        object copy = clone.Invoke(options, null)!;
        foreach ((OptionSpec spec, object? value) in values)
        {
            spec.Property.SetValue(copy, value);
        }

        return copy;
    }

    /// <summary>The declared options' current values of a record, by option name (what the manifest and /models show).</summary>
    public static IReadOnlyDictionary<string, object?> Values(IReadOnlyList<OptionSpec> specs, object options)
    {
        var values = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (OptionSpec spec in specs)
        {
            values[spec.Name] = spec.Property.GetValue(options) is Enum e ? OptionSpec.Camel(e.ToString()) : spec.Property.GetValue(options);
        }

        return values;
    }
}
