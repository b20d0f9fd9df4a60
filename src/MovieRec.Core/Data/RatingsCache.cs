using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace MovieRec.Core.Data;

/// <summary>
/// A binary cache of a parsed ratings file, so a large dataset loads a second time at disk speed instead of parsing
/// text again: the <see cref="Rating"/> array as raw bytes behind a header that holds the SHA-256 of the source file.
/// One cache file per source path (in <see cref="LoadOptions.CacheFolder"/>, else <c>$MOVIEREC_CACHE</c>, else
/// <c>~/.cache/movierec</c>); a source whose content changed no longer matches the stored hash and is parsed again,
/// replacing the entry. Best effort: a cache that cannot be read or written is ignored, never an error.
/// </summary>
public static class RatingsCache
{
    public const string CacheEnvironmentVariable = "MOVIEREC_CACHE";
    private const int Version = 1;
    private static readonly byte[] Magic = "MRRCACHE"u8.ToArray();

    /// <summary>The ratings of <paramref name="path"/> from the cache, else from <paramref name="parse"/> (then stored).</summary>
    public static Rating[] LoadOrParse(string path, LoadOptions options, LoadReport report, Func<Rating[]> parse)
    {
        if (!options.UseCache || options.SkipInvalid || !File.Exists(path) || new FileInfo(path).Length < options.CacheMinBytes)
        {
            return parse();
        }

        string cacheFile = CacheFile(path, options);
        byte[] hash = Hash(path);
        if (TryRead(cacheFile, hash, report) is Rating[] cached)
        {
            report.RatingsFromCache = true;
            return cached;
        }

        int duplicatesBefore = report.DuplicateRatings;
        Rating[] ratings = parse();
        TryWrite(cacheFile, hash, ratings, report.DuplicateRatings - duplicatesBefore);
        return ratings;
    }

    /// <summary>The cache file of a source path.</summary>
    public static string CacheFile(string path, LoadOptions options)
    {
        string folder = options.CacheFolder
            ?? (Environment.GetEnvironmentVariable(CacheEnvironmentVariable) is { Length: > 0 } env ? env
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "movierec"));
        string full = Path.GetFullPath(path);
        string key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(full)))[..16];
        string name = Path.GetFileName(Path.GetDirectoryName(full)) is { Length: > 0 } parent ? parent : "ratings";
        return Path.Combine(folder, $"{name}-{key}.ratings");
    }

    private static byte[] Hash(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        return SHA256.HashData(stream);
    }

    private static Rating[]? TryRead(string cacheFile, byte[] hash, LoadReport report)
    {
        try
        {
            if (!File.Exists(cacheFile))
            {
                return null;
            }

            using var stream = new FileStream(cacheFile, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
            if (!reader.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic) || reader.ReadInt32() != Version
                || reader.ReadInt32() != Unsafe.SizeOf<Rating>() || !reader.ReadBytes(hash.Length).AsSpan().SequenceEqual(hash))
            {
                return null;
            }

            int duplicates = reader.ReadInt32();
            long count = reader.ReadInt64();
            if (count < 0 || count > Array.MaxLength || stream.Length - stream.Position != count * Unsafe.SizeOf<Rating>())
            {
                return null;
            }

            Rating[] ratings = GC.AllocateUninitializedArray<Rating>((int)count);
            stream.ReadExactly(MemoryMarshal.AsBytes(ratings.AsSpan()));
            report.DuplicateRatings += duplicates;
            return ratings;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or EndOfStreamException)
        {
            return null;
        }
    }

    private static void TryWrite(string cacheFile, byte[] hash, Rating[] ratings, int duplicates)
    {
        string staged = $"{cacheFile}.{Environment.ProcessId}.tmp";
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(cacheFile)!);
            using (var stream = new FileStream(staged, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
                {
                    writer.Write(Magic);
                    writer.Write(Version);
                    writer.Write(Unsafe.SizeOf<Rating>());
                    writer.Write(hash);
                    writer.Write(duplicates);
                    writer.Write((long)ratings.Length);
                }

                stream.Write(MemoryMarshal.AsBytes(ratings.AsSpan()));
            }

            File.Move(staged, cacheFile, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try
            {
                File.Delete(staged);
            }
            catch (Exception inner) when (inner is IOException or UnauthorizedAccessException)
            {
                // Nothing more to do: the cache is an optimisation.
            }
        }
    }
}
