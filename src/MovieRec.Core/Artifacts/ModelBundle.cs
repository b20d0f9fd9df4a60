using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using MovieRec.Core.Data;
using MovieRec.Core.Models;

namespace MovieRec.Core.Artifacts;

/// <summary>A file of a bundle or dataset with its checksum.</summary>
public sealed record PayloadManifest(string File, string Sha256, long Bytes);

/// <summary>What a bundle was trained from.</summary>
public sealed record DatasetManifest(string Name, string Folder, IReadOnlyList<PayloadManifest> Files, int Ratings, int Users, int Movies);

/// <summary>Holdout metrics recorded when a bundle is trained with evaluation.</summary>
public sealed record HoldoutMetrics(double Rmse, double Mae, double? PrecisionAtK, double? NdcgAtK, int K);

/// <summary>One model of a bundle.</summary>
public sealed record ModelManifest(string Name, string File, JsonElement? Options, double FitSeconds, HoldoutMetrics? Holdout);

/// <summary>manifest.json: everything needed to check a bundle before serving it.</summary>
public sealed record BundleManifest(
    int FormatVersion,
    string Id,
    DateTimeOffset CreatedAt,
    DatasetManifest Dataset,
    IReadOnlyList<ModelManifest> Models,
    IReadOnlyList<PayloadManifest> Payloads,
    double TrainingSeconds);

/// <summary>A trained model to put in a bundle, with how it was made.</summary>
public sealed record TrainedModel(IRecommenderModel Model, object? Options, double FitSeconds, HoldoutMetrics? Holdout = null);

/// <summary>A loaded, verified bundle: the catalogue, the shared rating matrix and every model. Immutable.</summary>
public sealed class ModelBundle
{
    internal ModelBundle(string folder, BundleManifest manifest, IReadOnlyDictionary<int, Movie> movies, RatingMatrix ratings, IReadOnlyDictionary<string, IRecommenderModel> models)
    {
        Folder = folder;
        Manifest = manifest;
        Movies = movies;
        Ratings = ratings;
        Models = models;
    }

    public string Folder { get; }

    public BundleManifest Manifest { get; }

    /// <summary>The catalogue by movie id.</summary>
    public IReadOnlyDictionary<int, Movie> Movies { get; }

    /// <summary>All training ratings (users' histories for already-rated filtering).</summary>
    public RatingMatrix Ratings { get; }

    public IReadOnlyDictionary<string, IRecommenderModel> Models { get; }
}

/// <summary>
/// Bundles on disk: <c>&lt;root&gt;/&lt;id&gt;/manifest.json</c> plus payloads, and <c>&lt;root&gt;/current</c> naming the
/// bundle to serve. A bundle is written into a temporary folder and published by one rename, then the pointer is
/// replaced atomically, so a reader never sees half a bundle. Loading checks the format version and every checksum.
/// </summary>
public static class BundleStore
{
    public const int FormatVersion = 1;
    public const string CurrentPointer = "current";
    public const string ManifestFile = "manifest.json";
    private const string MoviesFile = "movies.json";
    private const string RatingsFile = "ratings.bin";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    private static readonly JsonSerializerOptions CompactJson = new(Json) { WriteIndented = false };

    /// <summary>Writes and publishes a bundle; keeps the newest <paramref name="keep"/> bundles. Returns its folder.</summary>
    public static string Publish(string root, MovieLensDataset dataset, RatingMatrix ratings, IReadOnlyList<TrainedModel> models, int keep = 3)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(keep);
        if (models.Count == 0)
        {
            throw new ArgumentException("A bundle needs at least one model.", nameof(models));
        }

        Directory.CreateDirectory(root);
        string id = $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}";
        string staging = Path.Combine(root, $".{id}.tmp");
        Directory.CreateDirectory(staging);
        try
        {
            var payloads = new List<PayloadManifest>
            {
                WritePayload(staging, MoviesFile, s => JsonSerializer.Serialize(s, dataset.Movies, CompactJson)),
                WritePayload(staging, RatingsFile, s => ModelSerializer.SaveMatrix(ratings, s)),
            };
            var modelEntries = new List<ModelManifest>();
            foreach (TrainedModel trained in models)
            {
                if (!ReferenceEquals(trained.Model.Train, ratings))
                {
                    throw new ArgumentException($"Model '{trained.Model.Name}' was not trained on the bundle's rating matrix.", nameof(models));
                }

                string file = $"{trained.Model.Name}.model";
                payloads.Add(WritePayload(staging, file, s => ModelSerializer.Save(trained.Model, s, includeMatrix: false)));
                JsonElement? options = trained.Options is null ? null : JsonSerializer.SerializeToElement(trained.Options, trained.Options.GetType(), Json);
                modelEntries.Add(new ModelManifest(trained.Model.Name, file, options, trained.FitSeconds, trained.Holdout));
            }

            var manifest = new BundleManifest(
                FormatVersion,
                id,
                DateTimeOffset.UtcNow,
                new DatasetManifest(dataset.Name, Path.GetFullPath(dataset.Folder), [.. dataset.Files.Select(f => Checksum(f, Path.GetFileName(f)))],
                    dataset.Ratings.Length, ratings.UserCount, dataset.Movies.Count),
                modelEntries,
                payloads,
                models.Sum(m => m.FitSeconds));
            File.WriteAllText(Path.Combine(staging, ManifestFile), JsonSerializer.Serialize(manifest, Json));

            string folder = Path.Combine(root, id);
            Directory.Move(staging, folder);
            AtomicFile.WriteAllText(Path.Combine(root, CurrentPointer), id);
            Prune(root, id, keep);
            return folder;
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    /// <summary>The folder <c>current</c> points at, or null when the root holds no published bundle.</summary>
    public static string? CurrentFolder(string root)
    {
        string pointer = Path.Combine(root, CurrentPointer);
        if (!File.Exists(pointer))
        {
            return null;
        }

        string id = File.ReadAllText(pointer).Trim();
        string folder = Path.Combine(root, id);
        if (id.Length == 0 || id.Contains('/', StringComparison.Ordinal) || id.Contains('\\', StringComparison.Ordinal) || !Directory.Exists(folder))
        {
            throw new InvalidDataException($"{pointer} names bundle '{id}', which does not exist.");
        }

        return folder;
    }

    /// <summary>Loads the current bundle of <paramref name="root"/>.</summary>
    public static ModelBundle LoadCurrent(string root) =>
        Load(CurrentFolder(root) ?? throw new FileNotFoundException($"No model bundle in '{root}': train one with 'movierec train'."));

    /// <summary>Loads and verifies one bundle folder; any mismatch is an <see cref="InvalidDataException"/> naming the file.</summary>
    public static ModelBundle Load(string folder)
    {
        string manifestPath = Path.Combine(folder, ManifestFile);
        BundleManifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<BundleManifest>(File.ReadAllText(manifestPath), Json)
                ?? throw new InvalidDataException($"{manifestPath} is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{manifestPath} is not a valid bundle manifest: {e.Message}", e);
        }

        if (manifest.FormatVersion != FormatVersion)
        {
            throw new InvalidDataException($"{manifestPath}: bundle format version {manifest.FormatVersion} is not supported (this build reads version {FormatVersion}).");
        }

        var bytes = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (PayloadManifest payload in manifest.Payloads)
        {
            string path = Path.Combine(folder, Path.GetFileName(payload.File));
            if (!File.Exists(path))
            {
                throw new InvalidDataException($"Bundle file {path} is missing.");
            }

            byte[] content = File.ReadAllBytes(path);
            string sha = Convert.ToHexStringLower(SHA256.HashData(content));
            if (content.Length != payload.Bytes || !string.Equals(sha, payload.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidDataException($"Bundle file {path} does not match its checksum in the manifest: it is truncated or altered.");
            }

            bytes[payload.File] = content;
        }

        List<Movie> movies = JsonSerializer.Deserialize<List<Movie>>(Payload(bytes, MoviesFile, folder), Json) ?? [];
        RatingMatrix ratings = ModelSerializer.LoadMatrix(new MemoryStream(Payload(bytes, RatingsFile, folder)));
        var models = new Dictionary<string, IRecommenderModel>(StringComparer.OrdinalIgnoreCase);
        foreach (ModelManifest entry in manifest.Models)
        {
            try
            {
                models[entry.Name] = ModelSerializer.Load(new MemoryStream(Payload(bytes, entry.File, folder)), ratings);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"Bundle file {Path.Combine(folder, entry.File)}: {e.Message}", e);
            }
        }

        return new ModelBundle(folder, manifest, movies.ToDictionary(m => m.MovieId), ratings, models);
    }

    private static byte[] Payload(Dictionary<string, byte[]> bytes, string file, string folder) =>
        bytes.TryGetValue(file, out byte[]? content) ? content : throw new InvalidDataException($"Bundle {folder} lists no payload '{file}'.");

    private static PayloadManifest WritePayload(string folder, string file, Action<Stream> write)
    {
        string path = Path.Combine(folder, file);
        using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
        {
            write(stream);
        }

        return Checksum(path, file);
    }

    private static PayloadManifest Checksum(string path, string name)
    {
        using FileStream stream = File.OpenRead(path);
        return new PayloadManifest(name, Convert.ToHexStringLower(SHA256.HashData(stream)), stream.Length);
    }

    private static void Prune(string root, string currentId, int keep)
    {
        string[] bundles = [.. Directory.GetDirectories(root)
            .Where(d => File.Exists(Path.Combine(d, ManifestFile)) && !Path.GetFileName(d).StartsWith('.'))
            .OrderByDescending(d => Path.GetFileName(d), StringComparer.Ordinal)];
        foreach (string old in bundles.Skip(keep))
        {
            if (Path.GetFileName(old) != currentId)
            {
                Directory.Delete(old, recursive: true);
            }
        }
    }
}
