using MovieRec.Core.Artifacts;
using MovieRec.Core.Data;
using MovieRec.Core.Models;
using MovieRec.Core.Models.Baselines;
using MovieRec.Core.Models.Factorization;

namespace MovieRec.Core.Tests.Models;

public sealed class BundleTests : IDisposable
{
    private readonly TempFolder _dir = new();
    private readonly MovieLensDataset _dataset;
    private readonly RatingMatrix _ratings;

    public BundleTests()
    {
        _dataset = MovieLensLoader.Load(Fixtures.WriteCsvDataset(_dir, Fixtures.SyntheticRatings()));
        _ratings = RatingMatrix.Build(_dataset.Ratings);
    }

    private string Root => Path.Combine(_dir.Path, "models");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_published_bundle_loads_with_bit_identical_predictions()
    {
        IRecommenderModel svd = new SvdTrainer(new SvdOptions { Factors = 8, Epochs = 10 }).Fit(_ratings, new TrainingOptions { Threads = 1 });
        IRecommenderModel popular = new PopularityTrainer().Fit(_ratings);

        string folder = BundleStore.Publish(Root, _dataset, _ratings, [new TrainedModel(svd, null, 0.1), new TrainedModel(popular, new PopularityOptions(), 0.0)]);
        ModelBundle bundle = BundleStore.LoadCurrent(Root);

        Assert.Equal(folder, bundle.Folder);
        Assert.Equal(["svd", "popular"], bundle.Manifest.Models.Select(m => m.Name));
        Assert.Equal(_dataset.Movies.Count, bundle.Movies.Count);
        Assert.Equal("Movie 0, The (1990)", bundle.Movies[1].Title);
        foreach (Rating r in _dataset.Ratings.Take(200))
        {
            Assert.Equal(svd.Predict(r.UserId, r.MovieId), bundle.Models["svd"].Predict(r.UserId, r.MovieId));
        }

        Assert.Equal(popular.Recommend(1, 10), bundle.Models["popular"].Recommend(1, 10));
        Assert.Equal(_dataset.Files.Count, bundle.Manifest.Dataset.Files.Count);
    }

    [Fact]
    public void An_altered_or_truncated_payload_is_refused_naming_the_file()
    {
        string folder = BundleStore.Publish(Root, _dataset, _ratings, [new TrainedModel(new BaselineOnlyTrainer().Fit(_ratings), null, 0)]);
        string model = Path.Combine(folder, "baseline.model");
        byte[] bytes = File.ReadAllBytes(model);

        bytes[^10] ^= 0xFF;
        File.WriteAllBytes(model, bytes);
        var altered = Assert.Throws<InvalidDataException>(() => BundleStore.Load(folder));
        Assert.Contains("baseline.model", altered.Message, StringComparison.Ordinal);

        File.WriteAllBytes(model, bytes[..(bytes.Length / 2)]);
        var truncated = Assert.Throws<InvalidDataException>(() => BundleStore.Load(folder));
        Assert.Contains("truncated or altered", truncated.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Another_format_version_is_refused()
    {
        string folder = BundleStore.Publish(Root, _dataset, _ratings, [new TrainedModel(new GlobalMeanTrainer().Fit(_ratings), null, 0)]);
        string manifest = Path.Combine(folder, BundleStore.ManifestFile);
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("\"formatVersion\": 1", "\"formatVersion\": 99", StringComparison.Ordinal));

        var e = Assert.Throws<InvalidDataException>(() => BundleStore.Load(folder));

        Assert.Contains("version 99", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Publishing_moves_the_pointer_and_keeps_the_newest_bundles()
    {
        Assert.Null(BundleStore.CurrentFolder(Root));
        Assert.Throws<FileNotFoundException>(() => BundleStore.LoadCurrent(Root));
        var folders = new List<string>();
        var clock = new SteppingClock(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), TimeSpan.FromSeconds(1));
        for (int n = 0; n < 4; n++)
        {
            // Bundle ids carry the second they were made: a clock that steps a second per bundle orders them, no sleeping.
            folders.Add(BundleStore.Publish(Root, _dataset, _ratings, [new TrainedModel(new GlobalMeanTrainer().Fit(_ratings), null, 0)], keep: 2, time: clock));
        }

        Assert.StartsWith("20260102-030408-", Path.GetFileName(folders[^1]), StringComparison.Ordinal);
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 3, 4, 8, TimeSpan.Zero), BundleStore.LoadCurrent(Root).Manifest.CreatedAt);

        Assert.Equal(folders[^1], BundleStore.CurrentFolder(Root));
        Assert.Equal(2, Directory.GetDirectories(Root).Length);
        Assert.True(Directory.Exists(folders[^2]));
        Assert.False(Directory.Exists(folders[0]));
        Assert.DoesNotContain(Directory.GetDirectories(Root), d => Path.GetFileName(d).StartsWith('.'));
    }

    [Fact]
    public void A_model_saved_without_its_matrix_needs_the_bundle_matrix()
    {
        IRecommenderModel model = new BaselineOnlyTrainer().Fit(_ratings);
        using var stream = new MemoryStream();
        ModelSerializer.Save(model, stream, includeMatrix: false);

        var e = Assert.Throws<InvalidDataException>(() => ModelSerializer.Load(new MemoryStream(stream.ToArray())));
        Assert.Contains("without its rating matrix", e.Message, StringComparison.Ordinal);

        RatingMatrix other = RatingMatrix.Build(Fixtures.SyntheticRatings(10, 10));
        Assert.Throws<InvalidDataException>(() => ModelSerializer.Load(new MemoryStream(stream.ToArray()), other));
        Assert.Equal(model.Predict(1, 1), ModelSerializer.Load(new MemoryStream(stream.ToArray()), _ratings).Predict(1, 1));
    }

    /// <summary>A clock that moves on by <paramref name="step"/> each time it is read.</summary>
    private sealed class SteppingClock(DateTimeOffset start, TimeSpan step) : TimeProvider
    {
        private DateTimeOffset _next = start;

        public override DateTimeOffset GetUtcNow()
        {
            DateTimeOffset now = _next;
            _next += step;
            return now;
        }
    }
}
