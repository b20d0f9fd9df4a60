using System.IO.Compression;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace MovieRec.Core.Data;

/// <summary>
/// Downloads a MovieLens archive, verifies its SHA-256, and unpacks it into <c>&lt;root&gt;/&lt;name&gt;</c>. The
/// folder appears whole or not at all: the archive is unpacked beside it and moved into place. Unpacking writes only
/// inside its own folder and at most <see cref="MaxUnpackedBytes"/>; with <c>force</c> it replaces only a folder it
/// installed itself (marked by <see cref="MarkerFile"/>).
/// </summary>
public sealed class DatasetDownloader(HttpClient http)
{
    /// <summary>Written into every dataset folder this downloader installs; <c>force</c> replaces no folder without it.</summary>
    public const string MarkerFile = ".movierec-dataset";

    /// <summary>The most bytes one archive may unpack to (ml-32m, the largest, unpacks to under 1 GB).</summary>
    public long MaxUnpackedBytes { get; init; } = 8L << 30;

    /// <summary>Downloads (or takes <paramref name="localArchive"/>), verifies and unpacks; returns the dataset folder.</summary>
    public async Task<string> FetchAsync(DatasetInfo dataset, string root, string? localArchive = null, bool force = false,
        IProgress<(long Done, long? Total)>? progress = null, CancellationToken cancellationToken = default)
    {
        string target = Path.Combine(root, dataset.Name);
        if (Directory.Exists(target) && !force)
        {
            return target;
        }

        Directory.CreateDirectory(root);
        string archive = localArchive ?? Path.Combine(root, $".{dataset.Name}.{Guid.NewGuid():N}.zip.partial");
        try
        {
            if (localArchive is null)
            {
                await DownloadAsync(dataset, archive, progress, cancellationToken).ConfigureAwait(false);
            }
            else if (!File.Exists(localArchive))
            {
                throw new FileNotFoundException($"Archive '{localArchive}' does not exist.", localArchive);
            }

            string actual = await Sha256Async(archive, cancellationToken).ConfigureAwait(false);
            if (!string.Equals(actual, dataset.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidDataException(
                    $"SHA-256 of {(localArchive ?? dataset.Url.ToString())} is {actual}, expected {dataset.Sha256}: the file is damaged or not the official {dataset.Name} archive. Nothing was installed.");
            }

            Unpack(archive, root, target, force);
            return target;
        }
        finally
        {
            if (localArchive is null && File.Exists(archive))
            {
                File.Delete(archive);
            }
        }
    }

    private async Task DownloadAsync(DatasetInfo dataset, string path, IProgress<(long, long?)>? progress, CancellationToken cancellationToken)
    {
        try
        {
            using HttpResponseMessage response = await http.GetAsync(dataset.Url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            response.EnsureSuccessStatusCode();
            long? total = response.Content.Headers.ContentLength ?? dataset.Bytes;
            await using Stream source = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using var destination = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            byte[] buffer = new byte[1 << 16];
            long done = 0;
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                done += read;

                // A server that sends more than the official archive's size is not sending it: stop before the disk fills.
                if (dataset.Bytes is long expected && done > expected)
                {
                    throw new InvalidDataException(
                        $"{dataset.Url} sent more than the {expected} bytes of the official {dataset.Name} archive: it is not that archive. Nothing was installed.");
                }

                await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                progress?.Report((done, total));
            }
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new IOException(
                $"Could not download {dataset.Url}: {e.Message}. If this machine is offline, get the archive elsewhere and either " +
                $"install it with 'movierec data fetch {dataset.Name} --archive <path-to-zip>' or unzip it and point MovieRec at the folder " +
                $"(the folder argument, or {MovieLensLoader.DataEnvironmentVariable}=/path/to/{dataset.Name}).", e);
        }
    }

    private static async Task<string> Sha256Async(string path, CancellationToken cancellationToken)
    {
        await using FileStream stream = File.OpenRead(path);
        byte[] hash = await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false);
        return Convert.ToHexStringLower(hash);
    }

    private void Unpack(string archive, string root, string target, bool force)
    {
        string name = Path.GetFileName(target);
        if (force && Directory.Exists(target) && !InstalledHere(target))
        {
            throw new IOException(
                $"{target} was not installed by 'movierec data fetch' (it has no {MarkerFile} file), so --force will not replace it: move it away yourself first.");
        }

        string staging = Path.Combine(root, $".{name}.{Guid.NewGuid():N}.unpack");
        try
        {
            Extract(archive, staging);

            // GroupLens archives hold one top folder named after the dataset; take whichever folder has the ratings.
            string content = FindDatasetFolder(staging)
                ?? throw new InvalidDataException($"The archive '{archive}' holds no MovieLens ratings file.");
            File.WriteAllText(Path.Combine(content, MarkerFile),
                $"{name}\nInstalled by 'movierec data fetch' from a verified archive; 'data fetch --force' may replace this folder.\n");
            if (force && Directory.Exists(target))
            {
                // Moved aside, not deleted, until the new folder is in place.
                string old = Path.Combine(root, $".{name}.{Guid.NewGuid():N}.old");
                Directory.Move(target, old);
                Directory.Move(content, target);
                Directory.Delete(old, recursive: true);
            }
            else
            {
                Directory.Move(content, target);
            }
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    private static bool InstalledHere(string folder) =>
        new DirectoryInfo(folder).LinkTarget is null && File.Exists(Path.Combine(folder, MarkerFile));

    /// <summary>Unpacks every entry under <paramref name="destination"/>, refusing entries that point outside it and archives that unpack past <see cref="MaxUnpackedBytes"/>.</summary>
    private void Extract(string archive, string destination)
    {
        string root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(destination)) + Path.DirectorySeparatorChar;
        Directory.CreateDirectory(root);
        using ZipArchive zip = ZipFile.OpenRead(archive);
        long total = 0;
        byte[] buffer = new byte[1 << 16];
        foreach (ZipArchiveEntry entry in zip.Entries)
        {
            string path = Path.GetFullPath(Path.Combine(root, entry.FullName));
            if (!path.StartsWith(root, StringComparison.Ordinal) || entry.FullName.Contains('\\', StringComparison.Ordinal))
            {
                throw new InvalidDataException($"The archive '{archive}' has an entry '{entry.FullName}' that points outside its folder; nothing was installed.");
            }

            if (entry.FullName.EndsWith('/'))
            {
                Directory.CreateDirectory(path);
                continue;
            }

            if (total + entry.Length > MaxUnpackedBytes)
            {
                throw TooBig(archive, entry);
            }

            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using Stream source = entry.Open();
            using var target = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
            int read;
            while ((read = source.Read(buffer)) > 0)
            {
                // Counted as written: an entry may unpack to more than it declares.
                total += read;
                if (total > MaxUnpackedBytes)
                {
                    throw TooBig(archive, entry);
                }

                target.Write(buffer, 0, read);
            }
        }
    }

    private InvalidDataException TooBig(string archive, ZipArchiveEntry entry) =>
        new($"The archive '{archive}' unpacks to more than {MaxUnpackedBytes >> 20} MiB (at entry '{entry.FullName}'), which no MovieLens archive does; nothing was installed.");

    private static string? FindDatasetFolder(string folder)
    {
        if (MovieLensLoader.TryDetectFormat(folder) is not null)
        {
            return folder;
        }

        foreach (string sub in Directory.EnumerateDirectories(folder))
        {
            if (FindDatasetFolder(sub) is string found)
            {
                return found;
            }
        }

        return null;
    }
}
