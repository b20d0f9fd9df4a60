using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;
using MovieRec.Core.Data;

namespace MovieRec.Core.Tests.Data;

/// <summary>Unpacking never writes outside its folder, never without bound, and --force replaces only what fetch installed.</summary>
public sealed class DownloaderSafetyTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Root => Path.Combine(_dir.Path, "data");

    [Fact]
    public async Task An_entry_that_escapes_the_folder_installs_nothing()
    {
        (byte[] zip, DatasetInfo info) = Archive(("ml-tiny/ratings.csv", Ratings()), ("../../evil.txt", "x"u8.ToArray()));

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => Downloader(zip).FetchAsync(info, Root));

        Assert.Contains("../../evil.txt", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir.Path, "evil.txt")));
        Assert.Empty(Directory.GetFileSystemEntries(Root));
    }

    [Fact]
    public async Task An_archive_that_unpacks_past_the_limit_installs_nothing()
    {
        // 4 MiB of zeros compresses to a few KiB: the shape of a decompression bomb.
        (byte[] zip, DatasetInfo info) = Archive(("ml-tiny/ratings.csv", Ratings()), ("ml-tiny/big.bin", new byte[4 << 20]));

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => new DatasetDownloader(new HttpClient(new FixedHandler(zip))) { MaxUnpackedBytes = 1 << 20 }.FetchAsync(info, Root));

        Assert.Contains("big.bin", e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(Root));
    }

    [Fact]
    public async Task Force_refuses_to_replace_a_folder_fetch_did_not_install()
    {
        (byte[] zip, DatasetInfo info) = Archive(("ml-tiny/ratings.csv", Ratings()));
        string mine = Path.Combine(Root, "ml-tiny");
        Directory.CreateDirectory(mine);
        await File.WriteAllTextAsync(Path.Combine(mine, "notes.txt"), "precious");

        var e = await Assert.ThrowsAsync<IOException>(() => Downloader(zip).FetchAsync(info, Root, force: true));

        Assert.Contains("was not installed by", e.Message, StringComparison.Ordinal);
        Assert.Equal("precious", await File.ReadAllTextAsync(Path.Combine(mine, "notes.txt")));
        Assert.Equal([mine], Directory.GetFileSystemEntries(Root)); // no staging left behind
    }

    [Fact]
    public async Task Force_replaces_a_folder_fetch_installed()
    {
        (byte[] zip, DatasetInfo info) = Archive(("ml-tiny/ratings.csv", Ratings()));
        string folder = await Downloader(zip).FetchAsync(info, Root);
        File.Delete(Path.Combine(folder, "ratings.csv"));

        Assert.Equal(folder, await Downloader(zip).FetchAsync(info, Root, force: true));

        Assert.Equal(2, MovieLensLoader.Load(folder).Ratings.Length);
        Assert.Equal([folder], Directory.GetFileSystemEntries(Root));
    }

    [Fact]
    public async Task A_download_longer_than_the_official_archive_stops_and_installs_nothing()
    {
        (byte[] zip, DatasetInfo info) = Archive(("ml-tiny/ratings.csv", Ratings()));

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => Downloader(zip).FetchAsync(info with { Bytes = zip.Length - 1 }, Root));

        Assert.Contains("sent more than", e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(Root));
    }

    private static DatasetDownloader Downloader(byte[] zip) => new(new HttpClient(new FixedHandler(zip)));

    private static byte[] Ratings() => "userId,movieId,rating,timestamp\n1,1,4.0,1\n2,1,3.0,2\n"u8.ToArray();

    private static (byte[] Zip, DatasetInfo Info) Archive(params (string Name, byte[] Content)[] entries)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach ((string name, byte[] content) in entries)
            {
                using Stream stream = zip.CreateEntry(name, CompressionLevel.Optimal).Open();
                stream.Write(content);
            }
        }

        byte[] bytes = buffer.ToArray();
        return (bytes, new DatasetInfo("ml-tiny", new Uri("https://files.example.invalid/ml-tiny.zip"), Convert.ToHexStringLower(SHA256.HashData(bytes)), bytes.Length, "test"));
    }

    private sealed class FixedHandler(byte[] body) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(body) });
    }
}
