using MovieRec.Cli;
using MovieRec.Core.Artifacts;
using MovieRec.Core.Data;
using MovieRec.Core.Models.Baselines;
using Spectre.Console;

namespace MovieRec.Core.Tests.Artifacts;

/// <summary>Publishing checks before it moves <c>current</c>; loading survives a missing, bad or broken <c>current</c>.</summary>
public sealed class BundleStoreRecoveryTests : IDisposable
{
    private readonly TempFolder _dir = new();
    private readonly MovieLensDataset _dataset;
    private readonly RatingMatrix _ratings;

    public BundleStoreRecoveryTests()
    {
        _dataset = MovieLensLoader.Load(Fixtures.WriteCsvDataset(_dir, Fixtures.SyntheticRatings(20, 30)));
        _ratings = RatingMatrix.Build(_dataset.Ratings);
    }

    private string Root => Path.Combine(_dir.Path, "models");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_dataset_with_a_duplicated_movies_row_trains_a_bundle_that_loads()
    {
        string movies = Path.Combine(_dir.Path, "movies.csv");
        string firstRow = File.ReadAllLines(movies)[1];
        File.AppendAllText(movies, firstRow.Replace("Animation|Children", "Animation", StringComparison.Ordinal) + "\n");
        using var output = new StringWriter();
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, Interactive = InteractionSupport.No });
        console.Profile.Width = 400;

        Assert.Equal(0, CliApp.Run(["train", _dir.Path, "--model", "baseline", "--out", Root], console));

        Assert.Contains($"{movies}: movie 1 is on lines 2 and 62; kept line 62", output.ToString(), StringComparison.Ordinal);
        ModelBundle bundle = BundleStore.LoadCurrent(Root);
        Assert.Equal(60, bundle.Movies.Count);
        Assert.Equal(["Animation"], bundle.Movies[1].Genres);
    }

    [Fact]
    public void A_bundle_that_does_not_load_back_is_not_published_and_current_stays()
    {
        string first = BundleStore.Publish(Root, _dataset, _ratings, [Baseline()]);
        var duplicated = new MovieLensDataset
        {
            Folder = _dataset.Folder, Name = _dataset.Name, Format = _dataset.Format, Scale = _dataset.Scale, Ratings = _dataset.Ratings,
            Movies = [.. _dataset.Movies, _dataset.Movies[0]], Tags = _dataset.Tags, Links = _dataset.Links, Report = _dataset.Report, Files = _dataset.Files,
        };

        var e = Assert.Throws<InvalidDataException>(() => BundleStore.Publish(Root, duplicated, _ratings, [Baseline()]));

        Assert.Contains("not published", e.Message, StringComparison.Ordinal);
        Assert.Contains("movie 1 more than once", e.Message, StringComparison.Ordinal);
        Assert.Equal(first, BundleStore.CurrentFolder(Root));
        Assert.Equal([first], Directory.GetDirectories(Root)); // neither the bundle nor its staging folder is left
    }

    [Fact]
    public void Payloads_and_folders_are_synced_before_the_pointer_moves()
    {
        var synced = new List<string>();
        void Record(string path)
        {
            if (path.StartsWith(Root, StringComparison.Ordinal))
            {
                lock (synced)
                {
                    synced.Add(path);
                }
            }
        }

        Durable.Synced += Record;
        string folder;
        try
        {
            folder = BundleStore.Publish(Root, _dataset, _ratings, [Baseline()]);
        }
        finally
        {
            Durable.Synced -= Record;
        }

        string staging = Path.Combine(Root, $".{Path.GetFileName(folder)}.tmp");
        int pointer = synced.FindIndex(p => Path.GetFileName(p).StartsWith("current.", StringComparison.Ordinal));
        Assert.True(pointer > 0, string.Join("\n", synced));
        List<string> before = synced[..pointer];
        ModelBundle bundle = BundleStore.Load(folder);
        foreach (PayloadManifest payload in bundle.Manifest.Payloads)
        {
            Assert.Contains(Path.Combine(staging, payload.File), before);
        }

        Assert.Contains(Path.Combine(staging, BundleStore.ManifestFile), before);
        Assert.Contains(Path.Combine(staging, BundleStore.MarkerFile), before);
        Assert.Contains(staging, before);
        Assert.True(before.IndexOf(staging) < before.LastIndexOf(Root), "the models folder is synced after the bundle is renamed into it");
        Assert.Equal(Root, synced[^1]); // and again after the pointer's rename
    }

    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("/etc")]
    [InlineData("../models")]
    [InlineData("a/b")]
    public void Current_must_name_a_folder_directly_inside_the_models_folder(string name)
    {
        BundleStore.Publish(Root, _dataset, _ratings, [Baseline()]);
        File.WriteAllText(Path.Combine(Root, BundleStore.CurrentPointer), name);

        var e = Assert.Throws<InvalidDataException>(() => BundleStore.LoadCurrent(Root));

        Assert.Contains("directly inside", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_up_falls_back_to_the_newest_intact_bundle_when_current_is_broken()
    {
        string older = BundleStore.Publish(Root, _dataset, _ratings, [Baseline()]);
        string newer = BundleStore.Publish(Root, _dataset, _ratings, [Baseline()]);
        string model = Path.Combine(newer, "baseline.model");
        byte[] bytes = File.ReadAllBytes(model);
        bytes[^3] ^= 0xFF;
        File.WriteAllBytes(model, bytes);
        var warnings = new List<string>();

        ModelBundle bundle = BundleStore.LoadServable(Root, warnings.Add);

        Assert.Equal(older, bundle.Folder);
        Assert.Contains(warnings, w => w.Contains("baseline.model", StringComparison.Ordinal) && w.Contains("falling back", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains(Path.GetFileName(older), StringComparison.Ordinal));
        Assert.Equal(newer, BundleStore.CurrentFolder(Root)); // the pointer is left for the operator
        Assert.Throws<InvalidDataException>(() => BundleStore.LoadCurrent(Root)); // strict loading still refuses
    }

    [Theory]
    [InlineData(null)]
    [InlineData("..")]
    [InlineData("20990101-000000-abcdef")]
    public void Start_up_with_current_missing_or_invalid_serves_the_newest_bundle(string? pointer)
    {
        BundleStore.Publish(Root, _dataset, _ratings, [Baseline()]);
        string newest = BundleStore.Publish(Root, _dataset, _ratings, [Baseline()]);
        string current = Path.Combine(Root, BundleStore.CurrentPointer);
        if (pointer is null)
        {
            File.Delete(current);
        }
        else
        {
            File.WriteAllText(current, pointer);
        }

        var warnings = new List<string>();

        Assert.Equal(newest, BundleStore.LoadServable(Root, warnings.Add).Folder);
        Assert.Equal(2, warnings.Count);
        Assert.True(BundleStore.HasBundle(Root));
    }

    [Fact]
    public void Start_up_without_any_intact_bundle_fails_clearly()
    {
        Assert.False(BundleStore.HasBundle(Root));
        Assert.Throws<FileNotFoundException>(() => BundleStore.LoadServable(Root, _ => { }));

        string only = BundleStore.Publish(Root, _dataset, _ratings, [Baseline()]);
        File.Delete(Path.Combine(only, "ratings.bin"));
        var e = Assert.Throws<InvalidDataException>(() => BundleStore.LoadServable(Root, _ => { }));
        Assert.Contains("No intact bundle", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_manifest_with_null_lists_or_odd_payload_names_is_refused_as_invalid_data()
    {
        string folder = BundleStore.Publish(Root, _dataset, _ratings, [Baseline()]);
        string manifest = Path.Combine(folder, BundleStore.ManifestFile);
        string text = File.ReadAllText(manifest);

        File.WriteAllText(manifest, System.Text.RegularExpressions.Regex.Replace(text, "\"payloads\": \\[[^\\]]*\\]", "\"payloads\": null"));
        Assert.Contains("'payloads' is missing", Assert.Throws<InvalidDataException>(() => BundleStore.Load(folder)).Message, StringComparison.Ordinal);

        File.WriteAllText(manifest, text.Replace("\"file\": \"ratings.bin\"", "\"file\": \"../ratings.bin\"", StringComparison.Ordinal));
        Assert.Contains("not a file name", Assert.Throws<InvalidDataException>(() => BundleStore.Load(folder)).Message, StringComparison.Ordinal);
    }

    private TrainedModel Baseline() => new(new BaselineOnlyTrainer().Fit(_ratings), null, 0);
}
