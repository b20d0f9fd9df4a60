using System.Globalization;
using System.Text.Json;

namespace MovieRec.Core.Models;

/// <summary>
/// Users' option values by model name, from <c>--set &lt;model&gt;.&lt;option&gt;=&lt;value&gt;</c> and an options file
/// <c>{"svd": {"factors": 50}}</c> (which <c>movierec tune --out-options</c> writes). Values stay text until
/// <see cref="ModelRegistry.Resolve"/> parses and range-checks them against the model's declared options.
/// </summary>
public sealed class ModelOverrides
{
    private readonly Dictionary<string, Dictionary<string, string>> _byModel = new(StringComparer.OrdinalIgnoreCase);

    public static readonly ModelOverrides None = new();

    /// <summary>Model names that have at least one value.</summary>
    public IReadOnlyCollection<string> Models => _byModel.Keys;

    /// <summary>The values given for one model (empty when none).</summary>
    public IReadOnlyDictionary<string, string> For(string model) =>
        _byModel.TryGetValue(model.Trim(), out Dictionary<string, string>? values) ? values : new Dictionary<string, string>();

    /// <summary>The options file first, then each <c>--set</c> in order (a later value wins).</summary>
    public static ModelOverrides Parse(IEnumerable<string> sets, string? optionsFile)
    {
        var overrides = new ModelOverrides();
        if (!string.IsNullOrWhiteSpace(optionsFile))
        {
            overrides.AddFile(optionsFile);
        }

        foreach (string set in sets)
        {
            int eq = set.IndexOf('=', StringComparison.Ordinal);
            int dot = eq < 0 ? -1 : set.AsSpan(0, eq).IndexOf('.');
            if (eq < 0 || dot <= 0 || dot == eq - 1)
            {
                throw new ModelOptionException($"--set '{set}' is not of the form <model>.<option>=<value> (e.g. --set svd.factors=50).");
            }

            overrides.Add(set[..dot], set[(dot + 1)..eq], set[(eq + 1)..]);
        }

        return overrides;
    }

    /// <summary>
    /// Resolves every named model with its values, failing before any work on an unknown or out-of-range option, or on
    /// values for a model that is not among <paramref name="names"/>.
    /// </summary>
    public IReadOnlyList<ResolvedModel> Resolve(IReadOnlyList<string> names, ModelContext context)
    {
        foreach (string model in Models)
        {
            if (!names.Any(n => string.Equals(n.Trim(), model, StringComparison.OrdinalIgnoreCase)))
            {
                string known = ModelRegistry.All.Any(m => string.Equals(m.Name, model, StringComparison.OrdinalIgnoreCase))
                    ? $"it is not among the models being run ({string.Join(", ", names)})"
                    : $"no such model; known models: {string.Join(", ", ModelRegistry.Names)}";
                throw new ModelOptionException($"Options are given for model '{model}', but {known}.");
            }
        }

        return [.. names.Select(n => ModelRegistry.Resolve(n, context, For(n)))];
    }

    /// <summary>Writes an options file for one model that <see cref="Parse"/> reads back.</summary>
    public static string ToJson(string model, IReadOnlyDictionary<string, object?> values)
    {
        var options = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach ((string name, object? value) in values)
        {
            options[name] = value is Enum e ? OptionSpec.Camel(e.ToString()) : value;
        }

        return JsonSerializer.Serialize(new Dictionary<string, object> { [model] = options }, new JsonSerializerOptions { WriteIndented = true });
    }

    private void Add(string model, string option, string value)
    {
        model = model.Trim();
        if (!_byModel.TryGetValue(model, out Dictionary<string, string>? values))
        {
            _byModel[model] = values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        }

        values[option.Trim()] = value;
    }

    /// <summary>
    /// Parses a JSON file whose root must be an object; a missing file (named as <paramref name="kind"/>), invalid JSON
    /// (with its line) or another root is a <see cref="ModelOptionException"/> naming the file. The caller disposes it.
    /// </summary>
    internal static JsonDocument ReadObjectFile(string path, string kind, string expected)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new ModelOptionException($"{path}: not valid JSON (line {e.LineNumber + 1}): {e.Message}");
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ModelOptionException($"{kind} {path} does not exist.");
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            throw new ModelOptionException($"{path}: expected {expected}.");
        }

        return document;
    }

    private void AddFile(string path)
    {
        using (JsonDocument document = ReadObjectFile(path, "Options file", "an object of models, e.g. {\"svd\": {\"factors\": 50}}"))
        {
            foreach (JsonProperty model in document.RootElement.EnumerateObject())
            {
                if (model.Value.ValueKind != JsonValueKind.Object)
                {
                    throw new ModelOptionException($"{path}: \"{model.Name}\" must be an object of options, e.g. {{\"factors\": 50}}.");
                }

                foreach (JsonProperty option in model.Value.EnumerateObject())
                {
                    string text = option.Value.ValueKind switch
                    {
                        JsonValueKind.String => option.Value.GetString()!,
                        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null => option.Value.GetRawText(),
                        _ => throw new ModelOptionException($"{path}: {model.Name}.{option.Name} must be a number, a string or true/false."),
                    };
                    Add(model.Name, option.Name, text);
                }
            }
        }
    }

    public override string ToString() =>
        string.Join(' ', _byModel.SelectMany(m => m.Value.Select(o => string.Create(CultureInfo.InvariantCulture, $"{m.Key}.{o.Key}={o.Value}"))));
}
