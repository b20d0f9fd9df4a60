using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MovieRec.Core.Experiments;

/// <summary>
/// Reads a variant's <c>options</c> object with values as JSON numbers, booleans or strings
/// (<c>{"factors": 50, "epochs": "10"}</c>) into text values, which the model registry parses and range-checks as it
/// does <c>--set model.option=value</c>; writes them back as strings.
/// </summary>
public sealed class OptionValuesJsonConverter : JsonConverter<IReadOnlyDictionary<string, string>>
{
    public override IReadOnlyDictionary<string, string>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("'options' must be an object of option values, e.g. {\"factors\": 50}.");
        }

        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            string name = reader.GetString()!;
            reader.Read();
            values[name] = reader.TokenType switch
            {
                JsonTokenType.String => reader.GetString()!,
                JsonTokenType.Number => reader.TryGetInt64(out long whole)
                    ? whole.ToString(CultureInfo.InvariantCulture)
                    : reader.GetDouble().ToString("R", CultureInfo.InvariantCulture),
                JsonTokenType.True => "true",
                JsonTokenType.False => "false",
                _ => throw new JsonException($"options.{name} must be a number, a string or true/false."),
            };
        }

        return values;
    }

    public override void Write(Utf8JsonWriter writer, IReadOnlyDictionary<string, string> value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        foreach ((string name, string text) in value)
        {
            writer.WriteString(name, text);
        }

        writer.WriteEndObject();
    }
}
