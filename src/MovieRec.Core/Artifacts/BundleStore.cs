using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using MovieRec.Core.Data;
using MovieRec.Core.Models;

namespace MovieRec.Core.Artifacts;

/// <summary>
/// Bundles on disk: <c>&lt;root&gt;/&lt;id&gt;/manifest.json</c> plus payloads, and <c>&lt;root&gt;/current</c> naming the
/// bundle to serve. A bundle is written into a staging folder <c>.&lt;id&gt;.tmp</c>, synced to disk, loaded back and
/// checked, published by one rename, and only then is the pointer replaced (atomically and durably), so neither a
/// reader nor a power loss ever sees <c>current</c> name half a bundle. Loading checks the format version and every
/// checksum. The store deletes only what it provably wrote: folders named by its scheme (<c>yyyyMMdd-HHmmss-xxxxxx</c>)
/// that hold its marker file naming them, and staging folders of its scheme that no live publish holds.
/// </summary>
public static partial class BundleStore
{
    public const int FormatVersion = 1;
    public const string CurrentPointer = "current";
    public const string ManifestFile = "manifest.json";

    /// <summary>Written into every bundle folder this store publishes (its id, then the publish time); pruning deletes nothing without it.</summary>
    public const string MarkerFile = ".movierec-bundle";

    private const string StagingLockFile = ".lock";
    private const string MoviesFile = "movies.json";
    private const string RatingsFile = "ratings.bin";
    private const int MaxManifestBytes = 16 << 20;
    private const int MaxSmallFileBytes = 1024;

    // Staging folders of builds before the lock file: one untouched this long is no publish in progress.
    private static readonly TimeSpan UnlockedStagingAge = TimeSpan.FromHours(1);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    private static readonly JsonSerializerOptions CompactJson = new(Json) { WriteIndented = false };

    /// <summary>Whether <paramref name="name"/> follows the store's bundle naming scheme (<c>yyyyMMdd-HHmmss-xxxxxx</c>).</summary>
    public static bool IsBundleId(string name) => BundleIdPattern().IsMatch(name);

    /// <summary>Throws unless <paramref name="keep"/> (bundles kept after a publish, the new one included) is at least 1.</summary>
    public static void ValidateKeep(int keep)
    {
        if (keep < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(keep), keep, $"keep must be at least 1 (it counts the new bundle), not {keep}.");
        }
    }

    /// <summary>
    /// Writes, checks and publishes a bundle; then keeps the newest <paramref name="keep"/> bundles this store wrote and
    /// removes staging folders left by interrupted publishes. Returns the bundle's folder.
    /// </summary>
    /// <remarks>The bundle id and creation time come from <paramref name="time"/> (the system clock unless given).</remarks>
    /// <exception cref="InvalidDataException">The written bundle did not load back; nothing was published.</exception>
    public static string Publish(string root, MovieLensDataset dataset, RatingMatrix ratings, IReadOnlyList<TrainedModel> models, int keep = 3, Action<string>? log = null,
        Feedback.FeedbackWatermarkManifest? feedback = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(models);
        ValidateKeep(keep);
        if (models.Count == 0)
        {
            throw new ArgumentException("A bundle needs at least one model.", nameof(models));
        }

        log ??= static _ => { };
        Directory.CreateDirectory(root);
        RemoveStaleStaging(root, log);
        DateTimeOffset now = (time ?? TimeProvider.System).GetUtcNow();
        string id = $"{now.UtcDateTime:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}";
        string staging = Path.Combine(root, $".{id}.tmp");
        Directory.CreateDirectory(staging);
        try
        {
            // Held while the folder is written; a staging folder whose lock nobody holds was left by a killed publish.
            using (new FileStream(Path.Combine(staging, StagingLockFile), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
                WriteBundle(staging, id, now, dataset, ratings, models, feedback);
                Verify(root, staging, ratings, models);
            }

            string folder = Path.Combine(root, id);
            Durable.SyncDirectory(staging);
            Directory.Move(staging, folder);
            Durable.SyncDirectory(root);
            AtomicFile.WriteAllText(Path.Combine(root, CurrentPointer), id);
            Prune(root, id, keep, log);
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

    /// <summary>Whether <paramref name="root"/> holds a <c>current</c> pointer or any folder named like a bundle with a manifest.</summary>
    public static bool HasBundle(string root) =>
        File.Exists(Path.Combine(root, CurrentPointer)) || Candidates(root).Any();

    /// <summary>The folder <c>current</c> points at, or null when the root holds no pointer.</summary>
    /// <exception cref="InvalidDataException">The pointer does not name an existing folder directly inside <paramref name="root"/>.</exception>
    public static string? CurrentFolder(string root)
    {
        string pointer = Path.Combine(root, CurrentPointer);
        if (!File.Exists(pointer))
        {
            return null;
        }

        string id = ReadSmallText(pointer).Trim();
        if (!IsDirectChildName(root, id))
        {
            throw new InvalidDataException(
                $"{pointer} names '{Shorten(id)}', which is not a bundle folder: it must name a folder directly inside {Path.GetFullPath(root)} " +
                "(no '..', path separators or absolute paths).");
        }

        string folder = Path.Combine(root, id);
        if (!Directory.Exists(folder))
        {
            throw new InvalidDataException($"{pointer} names bundle '{id}', which does not exist.");
        }

        return folder;
    }

    /// <summary>Loads the current bundle of <paramref name="root"/>, strictly: a missing or broken one is an error.</summary>
    public static ModelBundle LoadCurrent(string root) =>
        Load(CurrentFolder(root) ?? throw new FileNotFoundException($"No model bundle in '{root}': train one with 'movierec train'."));

    /// <summary>
    /// Loads the bundle to serve at start-up: the one <c>current</c> names, or, when <c>current</c> is missing, invalid or
    /// names a broken bundle, the newest intact bundle of the folder, with a warning through <paramref name="warn"/>
    /// saying what was wrong and what is served instead. The pointer is not changed.
    /// </summary>
    /// <exception cref="FileNotFoundException">The folder holds no bundle at all.</exception>
    /// <exception cref="InvalidDataException">No bundle of the folder is intact.</exception>
    public static ModelBundle LoadServable(string root, Action<string> warn)
    {
        ArgumentNullException.ThrowIfNull(warn);
        string pointer = Path.Combine(root, CurrentPointer);
        if (!File.Exists(pointer) && !Candidates(root).Any())
        {
            throw new FileNotFoundException($"No model bundle in '{root}': train one with 'movierec train'.");
        }

        string? skip = null;
        try
        {
            string? folder = CurrentFolder(root);
            if (folder is not null)
            {
                skip = Path.GetFileName(folder);
                return Load(folder);
            }

            warn($"{pointer} is missing; falling back to the newest intact bundle.");
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            warn($"The bundle {pointer} names cannot be served ({e.Message}); falling back to the newest intact bundle.");
        }

        var problems = new List<string>();
        foreach (string candidate in Candidates(root))
        {
            if (Path.GetFileName(candidate) == skip)
            {
                continue;
            }

            try
            {
                ModelBundle bundle = Load(candidate);
                warn($"Serving bundle {bundle.Manifest.Id} (the newest intact one) instead; {pointer} is unchanged: publish or fix it to choose another.");
                return bundle;
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                problems.Add(e.Message);
                warn($"Bundle {candidate} is not intact either: {e.Message}");
            }
        }

        throw new InvalidDataException(
            $"No intact bundle in '{root}' ({problems.Count} other bundles checked): train one with 'movierec train'.");
    }

    /// <summary>Loads and verifies one bundle folder; any mismatch is an <see cref="InvalidDataException"/> naming the file.</summary>
    public static ModelBundle Load(string folder)
    {
        string manifestPath = Path.Combine(folder, ManifestFile);
        if (!File.Exists(manifestPath))
        {
            throw new InvalidDataException($"{manifestPath} is missing: {folder} is not a model bundle.");
        }

        BundleManifest manifest = ReadManifest(manifestPath);
        var bytes = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (PayloadManifest payload in manifest.Payloads)
        {
            if (payload?.File is not string name || name.Length == 0 || Path.GetFileName(name) != name || name is "." or "..")
            {
                throw new InvalidDataException($"{manifestPath} lists a payload that is not a file name of the bundle folder ('{payload?.File}').");
            }

            string path = Path.Combine(folder, name);
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                throw new InvalidDataException($"Bundle file {path} is missing.");
            }

            // The size first, so a replaced or grown file is refused without reading it.
            if (info.Length != payload.Bytes || payload.Bytes > Array.MaxLength)
            {
                throw new InvalidDataException($"Bundle file {path} does not match its checksum in the manifest: it is truncated or altered.");
            }

            byte[] content = File.ReadAllBytes(path);
            string sha = Convert.ToHexStringLower(SHA256.HashData(content));
            if (content.Length != payload.Bytes || !string.Equals(sha, payload.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidDataException($"Bundle file {path} does not match its checksum in the manifest: it is truncated or altered.");
            }

            bytes[name] = content;
        }

        List<Movie> movies;
        try
        {
            movies = JsonSerializer.Deserialize<List<Movie>>(Payload(bytes, MoviesFile, folder), Json) ?? [];
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Bundle file {Path.Combine(folder, MoviesFile)} is not a valid catalogue: {e.Message}", e);
        }

        var catalogue = new Dictionary<int, Movie>(movies.Count);
        foreach (Movie movie in movies)
        {
            if (movie is null || !catalogue.TryAdd(movie.MovieId, movie))
            {
                throw new InvalidDataException(
                    $"Bundle file {Path.Combine(folder, MoviesFile)} lists {(movie is null ? "a null movie" : $"movie {movie.MovieId} more than once")}.");
            }
        }

        RatingMatrix ratings = ModelSerializer.LoadMatrix(new MemoryStream(Payload(bytes, RatingsFile, folder)));
        var models = new Dictionary<string, IRecommenderModel>(StringComparer.OrdinalIgnoreCase);
        foreach (ModelManifest entry in manifest.Models)
        {
            if (entry?.Name is null || entry.File is null)
            {
                throw new InvalidDataException($"{manifestPath} lists a model without a name or file.");
            }

            try
            {
                IRecommenderModel model = ModelSerializer.Load(new MemoryStream(Payload(bytes, entry.File, folder)), ratings);

                // The file says which model it holds; a manifest that maps "svd" to baseline.model would serve the wrong model.
                if (!string.Equals(model.Name, entry.Name, StringComparison.OrdinalIgnoreCase))
                {
                    throw new InvalidDataException($"{manifestPath} names model '{entry.Name}', but the file holds model '{model.Name}' ({model.GetType().Name}).");
                }

                if (!models.TryAdd(entry.Name, model))
                {
                    throw new InvalidDataException($"{manifestPath} lists model '{entry.Name}' more than once.");
                }
            }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
            {
                throw new InvalidDataException($"Bundle file {Path.Combine(folder, entry.File)}: {e.Message}", e);
            }
        }

        return new ModelBundle(folder, manifest, catalogue, ratings, models);
    }

    [GeneratedRegex("^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$", RegexOptions.CultureInvariant)]
    private static partial Regex BundleIdPattern();

    [GeneratedRegex(@"^\.([0-9]{8}-[0-9]{6}-[0-9a-f]{6})\.tmp$", RegexOptions.CultureInvariant)]
    private static partial Regex StagingPattern();

    [GeneratedRegex("^current\\.[0-9a-f]{32}\\.tmp$", RegexOptions.CultureInvariant)]
    private static partial Regex PointerTempPattern();

    private static BundleManifest ReadManifest(string manifestPath)
    {
        if (new FileInfo(manifestPath).Length > MaxManifestBytes)
        {
            throw new InvalidDataException($"{manifestPath} is larger than {MaxManifestBytes >> 20} MiB: it is not a bundle manifest.");
        }

        BundleManifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<BundleManifest>(File.ReadAllBytes(manifestPath), Json)
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

        // Deserialization leaves missing or null members null whatever the record declares.
        if (manifest.Payloads is null || manifest.Models is null || manifest.Id is null || manifest.Dataset is null)
        {
            string missing = manifest.Payloads is null ? "payloads" : manifest.Models is null ? "models" : manifest.Id is null ? "id" : "dataset";
            throw new InvalidDataException($"{manifestPath} is not a valid bundle manifest: '{missing}' is missing or null.");
        }

        return manifest;
    }

    private static void WriteBundle(string staging, string id, DateTimeOffset createdAt, MovieLensDataset dataset, RatingMatrix ratings, IReadOnlyList<TrainedModel> models,
        Feedback.FeedbackWatermarkManifest? feedback)
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
            createdAt,
            new DatasetManifest(dataset.Name, Path.GetFullPath(dataset.Folder), [.. dataset.Files.Select(f => Checksum(f, Path.GetFileName(f)))],
                dataset.RatingCount, ratings.UserCount, dataset.Movies.Count),
            modelEntries,
            payloads,
            models.Sum(m => m.FitSeconds)) { Feedback = feedback };
        WriteSynced(Path.Combine(staging, ManifestFile), s => JsonSerializer.Serialize(s, manifest, Json));
        WriteSynced(Path.Combine(staging, MarkerFile), s => s.Write(Encoding.UTF8.GetBytes(
            $"{id}\n{createdAt.ToString("O", CultureInfo.InvariantCulture)}\nWritten by MovieRec's bundle store: it may delete this folder when pruning old bundles.\n")));
    }

    /// <summary>Loads the staged bundle back as a server would and checks it answers as the models it was written from.</summary>
    private static void Verify(string root, string staging, RatingMatrix ratings, IReadOnlyList<TrainedModel> models)
    {
        try
        {
            ModelBundle loaded = Load(staging);

            // Up to 16 training pairs spread over the matrix (the models' own ratings, as a server would be asked).
            int checks = Math.Min(ratings.Count, 16);
            var pairs = new (int User, int Movie)[checks];
            ReadOnlySpan<int> starts = ratings.UserRowStart;
            for (int r = 0; r < checks; r++)
            {
                int position = r * (ratings.Count / checks);
                int u = starts.BinarySearch(position);
                u = u >= 0 ? u : ~u - 1;
                while (starts[u + 1] <= position)
                {
                    u++;
                }

                pairs[r] = (ratings.Users.RawId(u), ratings.Items.RawId(ratings.UserItemIndex[position]));
            }

            foreach (TrainedModel trained in models)
            {
                IRecommenderModel copy = loaded.Models[trained.Model.Name];
                foreach ((int user, int movie) in pairs)
                {
                    Prediction expected = trained.Model.Predict(user, movie);
                    Prediction actual = copy.Predict(user, movie);
                    if (expected.Fallback != actual.Fallback || Math.Abs(expected.Rating - actual.Rating) > 1e-4f)
                    {
                        throw new InvalidDataException(
                            FormattableString.Invariant($"model '{trained.Model.Name}' predicts {actual.Rating} for user {user}, movie {movie} after loading, {expected.Rating} before"));
                    }
                }
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            string pointer = Path.Combine(root, CurrentPointer);
            string state = File.Exists(pointer) ? $"{pointer} still names {ReadSmallText(pointer).Trim()}" : $"{pointer} was not written";
            throw new InvalidDataException($"The new bundle did not load back, so it was not published ({state}): {e.Message}", e);
        }
    }

    private static PayloadManifest WritePayload(string folder, string file, Action<Stream> write)
    {
        string path = Path.Combine(folder, file);
        WriteSynced(path, write);
        return Checksum(path, file);
    }

    private static void WriteSynced(string path, Action<Stream> write)
    {
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        write(stream);
        Durable.Sync(stream);
    }

    private static PayloadManifest Checksum(string path, string name)
    {
        using FileStream stream = File.OpenRead(path);
        return new PayloadManifest(name, Convert.ToHexStringLower(SHA256.HashData(stream)), stream.Length);
    }

    private static byte[] Payload(Dictionary<string, byte[]> bytes, string file, string folder) =>
        bytes.TryGetValue(file, out byte[]? content) ? content : throw new InvalidDataException($"Bundle {folder} lists no payload '{file}'.");

    /// <summary>Folders named like bundles that hold a manifest, newest first (ids start with their UTC second).</summary>
    private static IEnumerable<string> Candidates(string root)
    {
        if (!Directory.Exists(root))
        {
            return [];
        }

        return Directory.EnumerateDirectories(root)
            .Where(d => IsBundleId(Path.GetFileName(d)) && File.Exists(Path.Combine(d, ManifestFile)))
            .Select(d => (Folder: d, Published: ReadMarker(d) ?? DateTimeOffset.MinValue))
            .OrderByDescending(b => Path.GetFileName(b.Folder)[..15], StringComparer.Ordinal)
            .ThenByDescending(b => b.Published)
            .ThenByDescending(b => Path.GetFileName(b.Folder), StringComparer.Ordinal)
            .Select(b => b.Folder)
            .ToList();
    }

    /// <summary>Deletes the bundles this store wrote beyond the newest <paramref name="keep"/>; never the current one.</summary>
    private static void Prune(string root, string currentId, int keep, Action<string> log)
    {
        var ours = new List<(string Folder, DateTimeOffset Published)>();
        foreach (string folder in Directory.EnumerateDirectories(root))
        {
            if (ReadMarker(folder) is DateTimeOffset published)
            {
                ours.Add((folder, published));
            }
        }

        foreach ((string folder, _) in ours.OrderByDescending(b => b.Published).ThenByDescending(b => Path.GetFileName(b.Folder), StringComparer.Ordinal).Skip(keep))
        {
            string name = Path.GetFileName(folder);

            // Checked again right before the delete: the marker must still name this folder.
            if (name == currentId || ReadMarker(folder) is null)
            {
                continue;
            }

            Directory.Delete(folder, recursive: true);
            log($"removed old bundle {name}");
        }
    }

    /// <summary>
    /// The publish time in a folder's marker, or null unless the folder is provably a bundle this store wrote: a real
    /// folder (not a link) named by the scheme, whose marker names it.
    /// </summary>
    private static DateTimeOffset? ReadMarker(string folder)
    {
        string name = Path.GetFileName(folder);
        if (!IsBundleId(name) || new DirectoryInfo(folder).LinkTarget is not null)
        {
            return null;
        }

        string marker = Path.Combine(folder, MarkerFile);
        if (!File.Exists(marker))
        {
            return null;
        }

        string[] lines = ReadSmallText(marker).Split('\n');
        return lines.Length >= 2 && lines[0] == name
            && DateTimeOffset.TryParseExact(lines[1], "O", CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out DateTimeOffset published)
            ? published
            : null;
    }

    /// <summary>
    /// Removes staging folders of the store's scheme that no publish holds (left by a killed train), and temporary
    /// pointer files of <see cref="AtomicFile"/> older than an hour.
    /// </summary>
    private static void RemoveStaleStaging(string root, Action<string> log)
    {
        foreach (string file in Directory.EnumerateFiles(root, $"{CurrentPointer}.*.tmp"))
        {
            string name = Path.GetFileName(file);
            if (PointerTempPattern().IsMatch(name) && DateTime.UtcNow - File.GetLastWriteTimeUtc(file) > UnlockedStagingAge)
            {
                File.Delete(file);
                log($"removed {name}, left by an interrupted train");
            }
        }

        foreach (string folder in Directory.EnumerateDirectories(root))
        {
            string name = Path.GetFileName(folder);
            if (!StagingPattern().IsMatch(name) || new DirectoryInfo(folder).LinkTarget is not null || !IsStale(folder))
            {
                continue;
            }

            try
            {
                Directory.Delete(folder, recursive: true);
                log($"removed {name}, left by an interrupted train");
            }
            catch (DirectoryNotFoundException)
            {
                // Another publish cleaned it first.
            }
        }
    }

    private static bool IsStale(string staging)
    {
        string lockFile = Path.Combine(staging, StagingLockFile);
        if (!File.Exists(lockFile))
        {
            return DateTime.UtcNow - Directory.GetLastWriteTimeUtc(staging) > UnlockedStagingAge;
        }

        try
        {
            // The publisher holds this open exclusively; the lock dies with its process.
            using var probe = new FileStream(lockFile, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            return true;
        }
        catch (FileNotFoundException)
        {
            return false; // its publish just finished
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static bool IsDirectChildName(string root, string name)
    {
        if (name.Length is 0 or > 255 || name is "." or ".." || Path.IsPathRooted(name)
            || name.IndexOfAny(['/', '\\', '\0']) >= 0 || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
        {
            return false;
        }

        string full = Path.GetFullPath(Path.Combine(root, name));
        return string.Equals(Path.GetDirectoryName(full), Path.TrimEndingDirectorySeparator(Path.GetFullPath(root)), StringComparison.Ordinal);
    }

    private static string ReadSmallText(string path)
    {
        using FileStream stream = File.OpenRead(path);
        byte[] buffer = new byte[MaxSmallFileBytes];
        int length = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        return Encoding.UTF8.GetString(buffer, 0, length);
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : string.Concat(text.AsSpan(0, 77), "...");
}
