using System.Text.Json;
using System.Text.Json.Serialization;

namespace MovieRec.Core.Data;

/// <summary>A downloadable MovieLens archive: its official address and checksum.</summary>
public sealed record DatasetInfo(string Name, Uri Url, string Sha256, long? Bytes, string Description);

/// <summary>The datasets of data/datasets.json (built into the assembly).</summary>
public static class DatasetCatalog
{
    private static readonly Lazy<(string Licence, IReadOnlyList<DatasetInfo> Datasets)> Catalog = new(Read);

    /// <summary>GroupLens's licence terms and the citation they ask for.</summary>
    public static string Licence => Catalog.Value.Licence;

    public static IReadOnlyList<DatasetInfo> All => Catalog.Value.Datasets;

    public static DatasetInfo Get(string name) =>
        All.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown dataset '{name}'. Known datasets: {string.Join(", ", All.Select(d => d.Name))}.", nameof(name));

    private static (string, IReadOnlyList<DatasetInfo>) Read()
    {
        using Stream stream = typeof(DatasetCatalog).Assembly.GetManifestResourceStream("MovieRec.datasets.json")
            ?? throw new InvalidOperationException("datasets.json is not embedded in MovieRec.Core.");
        CatalogFile file = JsonSerializer.Deserialize(stream, CatalogJsonContext.Default.CatalogFile)
            ?? throw new InvalidDataException("datasets.json is empty.");
        return (file.Licence, [.. file.Datasets.Select(d => new DatasetInfo(d.Name, new Uri(d.Url), d.Sha256, d.Bytes, d.Description))]);
    }

    internal sealed record CatalogEntry(string Name, string Url, string Sha256, long? Bytes, string Description);

    internal sealed record CatalogFile(string Licence, List<CatalogEntry> Datasets);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(DatasetCatalog.CatalogFile))]
internal sealed partial class CatalogJsonContext : JsonSerializerContext;
