using MovieRec.Cli;
using MovieRec.Core.Artifacts;
using MovieRec.Core.Data;
using MovieRec.Core.Models.Baselines;
using MovieRec.Core.Training;
using Spectre.Console;

namespace MovieRec.Core.Tests.Artifacts;

/// <summary>The store deletes only what it wrote, cleans up after killed runs and never moves <c>current</c> to a bad bundle.</summary>
public sealed class BundleStoreSafetyTests : IDisposable
{
    private readonly TempFolder _dir = new();
    private readonly StringWriter _out = new();
    private readonly IAnsiConsole _console;
    private readonly MovieLensDataset _dataset;
    private readonly RatingMatrix _ratings;

    public BundleStoreSafetyTests()
    {
        _console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(_out), Ansi = AnsiSupport.No, Interactive = InteractionSupport.No });
        _console.Profile.Width = 250;
        _dataset = MovieLensLoader.Load(Fixtures.WriteCsvDataset(_dir, Fixtures.SyntheticRatings(20, 30)));
        _ratings = RatingMatrix.Build(_dataset.Ratings);
    }

    private string Root => Path.Combine(_dir.Path, "out");

    public void Dispose()
    {
        _dir.Dispose();
        _out.Dispose();
    }

    [Fact]
    public void Train_out_never_deletes_a_folder_it_did_not_write()
    {
        // The reproduction: a folder with a manifest.json that sorts below the bundle ids.
        string taxes = Path.Combine(Root, "2024-taxes");
        Directory.CreateDirectory(taxes);
        File.WriteAllText(Path.Combine(taxes, "manifest.json"), "{}");
        File.WriteAllText(Path.Combine(taxes, "data.txt"), "precious");

        // Named like a bundle, with a manifest, but without the store's marker: not provably ours either.
        string lookalike = Path.Combine(Root, "00000101-000000-abcdef");
        Directory.CreateDirectory(lookalike);
        File.WriteAllText(Path.Combine(lookalike, "manifest.json"), "{}");

        for (int n = 0; n < 3; n++)
        {
            Assert.Equal(0, CliApp.Run(["train", _dir.Path, "--model", "baseline", "--out", Root, "--keep", "1"], _console));
        }

        Assert.Equal("precious", File.ReadAllText(Path.Combine(taxes, "data.txt")));
        Assert.True(File.Exists(Path.Combine(lookalike, "manifest.json")));
        string[] bundles = [.. Directory.GetDirectories(Root).Select(Path.GetFileName).Where(n => BundleStore.IsBundleId(n!)).Cast<string>()];
        Assert.Equal([Path.GetFileName(lookalike), Path.GetFileName(BundleStore.CurrentFolder(Root))!], bundles.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Prune_keeps_the_newest_bundles_it_wrote_and_deletes_older_ones()
    {
        var folders = new List<string>();
        for (int n = 0; n < 4; n++)
        {
            folders.Add(BundleStore.Publish(Root, _dataset, _ratings, [Baseline()], keep: 2));
        }

        Assert.Equal(folders[^1], BundleStore.CurrentFolder(Root));
        Assert.Equal([.. folders[^2..].Order(StringComparer.Ordinal)], Directory.GetDirectories(Root).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-2")]
    public void Train_refuses_a_bad_keep_before_training(string keep)
    {
        int code = CliApp.Run(["train", _dir.Path, "--model", "baseline", "--out", Root, "--keep", keep], _console);

        Assert.Equal(1, code);
        Assert.Contains("--keep", _out.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("trained on", _out.ToString(), StringComparison.Ordinal);
        Assert.False(Directory.Exists(Root));
    }

    [Fact]
    public void Bundle_trainer_refuses_a_bad_keep_before_training()
    {
        var log = new List<string>();

        Assert.Throws<ArgumentOutOfRangeException>(() => BundleTrainer.Train(_dataset, new BundleTrainingOptions { Models = ["baseline"], Output = Root, Keep = 0, Seed = 1, Log = log.Add }));

        Assert.Empty(log);
    }

    [Fact]
    public void Stale_staging_folders_are_removed_at_the_next_publish_and_nothing_else()
    {
        Directory.CreateDirectory(Root);

        // Left by a killed publish of this build: its lock file is there but nobody holds it.
        string killed = Staging("20240101-000000-aaaaaa");
        File.WriteAllText(Path.Combine(killed, ".lock"), "");
        File.WriteAllText(Path.Combine(killed, "svd.model"), "partial");

        // Left by an older build (no lock file), long ago.
        string old = Staging("20240101-000000-bbbbbb");
        File.WriteAllText(Path.Combine(old, "movies.json"), "[]");
        Directory.SetLastWriteTimeUtc(old, DateTime.UtcNow.AddDays(-2));

        // Being written right now by another train: its lock is held.
        string busy = Staging("20240101-000000-cccccc");
        using var held = new FileStream(Path.Combine(busy, ".lock"), FileMode.Create, FileAccess.ReadWrite, FileShare.None);

        // Fresh, no lock file yet: may be a publish that is just starting.
        string fresh = Staging("20240101-000000-dddddd");

        // Not the store's naming scheme: never touched.
        string foreign = Path.Combine(Root, ".backup.tmp");
        Directory.CreateDirectory(foreign);
        Directory.SetLastWriteTimeUtc(foreign, DateTime.UtcNow.AddDays(-2));

        // A temporary pointer file of a publish killed during the swap, and a file that only looks like one.
        string pointerTemp = Path.Combine(Root, $"current.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(pointerTemp, "20240101-000000-aaaaaa");
        File.SetLastWriteTimeUtc(pointerTemp, DateTime.UtcNow.AddDays(-2));
        string notPointer = Path.Combine(Root, "current.notes.tmp");
        File.WriteAllText(notPointer, "mine");
        File.SetLastWriteTimeUtc(notPointer, DateTime.UtcNow.AddDays(-2));

        var log = new List<string>();
        BundleStore.Publish(Root, _dataset, _ratings, [Baseline()], keep: 3, log: log.Add);
        Assert.False(File.Exists(pointerTemp));
        Assert.True(File.Exists(notPointer));

        Assert.False(Directory.Exists(killed));
        Assert.False(Directory.Exists(old));
        Assert.True(Directory.Exists(busy));
        Assert.True(Directory.Exists(fresh));
        Assert.True(Directory.Exists(foreign));
        Assert.Contains(log, l => l.Contains(".20240101-000000-aaaaaa.tmp", StringComparison.Ordinal));
    }

    private string Staging(string id)
    {
        string path = Path.Combine(Root, $".{id}.tmp");
        Directory.CreateDirectory(path);
        return path;
    }

    private TrainedModel Baseline() => new(new BaselineOnlyTrainer().Fit(_ratings), null, 0);
}
