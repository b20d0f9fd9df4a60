using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;
using MovieRec.Core.Data;

namespace MovieRec.Core.Tests.Data;

public sealed class DatasetDownloaderTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void The_catalogue_names_the_five_datasets_with_official_urls_and_checksums()
    {
        Assert.Equal(["ml-latest-small", "ml-100k", "ml-1m", "ml-25m", "ml-32m"], DatasetCatalog.All.Select(d => d.Name));
        Assert.All(DatasetCatalog.All, d =>
        {
            Assert.Equal($"https://files.grouplens.org/datasets/movielens/{d.Name}.zip", d.Url.ToString());
            Assert.Matches("^[0-9a-f]{64}$", d.Sha256);
        });
        Assert.Contains("Harper", DatasetCatalog.Licence, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_verified_archive_is_unpacked_into_the_dataset_folder()
    {
        (byte[] zip, DatasetInfo info) = MakeArchive();
        var downloader = new DatasetDownloader(new HttpClient(new FixedHandler(zip)));

        string folder = await downloader.FetchAsync(info, Path.Combine(_dir.Path, "data"));

        Assert.Equal(Path.Combine(_dir.Path, "data", "ml-tiny"), folder);
        Assert.Equal(2, MovieLensLoader.Load(folder).Ratings.Length);
        Assert.Single(Directory.GetFileSystemEntries(Path.Combine(_dir.Path, "data"))); // no leftovers
    }

    [Fact]
    public async Task A_checksum_mismatch_installs_nothing()
    {
        (byte[] zip, DatasetInfo info) = MakeArchive();
        var downloader = new DatasetDownloader(new HttpClient(new FixedHandler(zip)));
        string root = Path.Combine(_dir.Path, "data");

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => downloader.FetchAsync(info with { Sha256 = new string('0', 64) }, root));

        Assert.Contains("SHA-256", e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(root));
    }

    [Fact]
    public async Task Offline_fails_fast_saying_how_to_use_a_local_copy()
    {
        (_, DatasetInfo info) = MakeArchive();
        var downloader = new DatasetDownloader(new HttpClient(new OfflineHandler()));

        var e = await Assert.ThrowsAsync<IOException>(() => downloader.FetchAsync(info, Path.Combine(_dir.Path, "data")));

        Assert.Contains("--archive", e.Message, StringComparison.Ordinal);
        Assert.Contains("MOVIEREC_DATA", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_local_archive_is_verified_and_installed()
    {
        (byte[] zip, DatasetInfo info) = MakeArchive();
        string archive = Path.Combine(_dir.Path, "ml-tiny.zip");
        await File.WriteAllBytesAsync(archive, zip);
        var downloader = new DatasetDownloader(new HttpClient(new OfflineHandler()));

        string folder = await downloader.FetchAsync(info, Path.Combine(_dir.Path, "data"), localArchive: archive);

        Assert.True(File.Exists(Path.Combine(folder, "ratings.csv")));
        Assert.True(File.Exists(archive)); // the user's file is left alone
    }

    private static (byte[] Zip, DatasetInfo Info) MakeArchive()
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            using (var w = new StreamWriter(zip.CreateEntry("ml-tiny/ratings.csv").Open()))
            {
                w.Write("userId,movieId,rating,timestamp\n1,1,4.0,1\n2,1,3.0,2\n");
            }

            using (var w = new StreamWriter(zip.CreateEntry("ml-tiny/movies.csv").Open()))
            {
                w.Write("movieId,title,genres\n1,Toy Story (1995),Animation\n");
            }
        }

        byte[] bytes = buffer.ToArray();
        var info = new DatasetInfo("ml-tiny", new Uri("https://files.example.invalid/ml-tiny.zip"), Convert.ToHexStringLower(SHA256.HashData(bytes)), bytes.Length, "test");
        return (bytes, info);
    }

    private sealed class FixedHandler(byte[] body) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(body) });
    }

    private sealed class OfflineHandler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new HttpRequestException("Name or service not known");
    }
}
