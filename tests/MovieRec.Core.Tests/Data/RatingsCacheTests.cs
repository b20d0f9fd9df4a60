using MovieRec.Core.Data;

namespace MovieRec.Core.Tests.Data;

public sealed class RatingsCacheTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private LoadOptions Cached => new() { CacheMinBytes = 0, CacheFolder = Path.Combine(_dir.Path, "cache") };

    [Fact]
    public void A_second_load_comes_from_the_cache_with_the_same_ratings_and_report()
    {
        Rating[] ratings = Fixtures.SyntheticRatings(20, 30);
        string folder = Fixtures.WriteCsvDataset(_dir, [.. ratings, ratings[0] with { Value = 1.0f, Timestamp = ratings[0].Timestamp + 1 }], movies: 30);

        MovieLensDataset first = MovieLensLoader.Load(folder, Cached);
        MovieLensDataset second = MovieLensLoader.Load(folder, Cached);

        Assert.False(first.Report.RatingsFromCache);
        Assert.True(second.Report.RatingsFromCache);
        Assert.Equal(first.Ratings, second.Ratings);
        Assert.Equal(1, second.Report.DuplicateRatings);
        Assert.Single(Directory.GetFiles(Cached.CacheFolder!));
    }

    [Fact]
    public void A_changed_file_is_parsed_again_and_replaces_the_entry()
    {
        string folder = Fixtures.WriteCsvDataset(_dir, Fixtures.SyntheticRatings(20, 30), movies: 30);
        MovieLensLoader.Load(folder, Cached);
        Rating[] changed = Fixtures.SyntheticRatings(10, 30, seed: 9);
        Fixtures.WriteCsvDataset(_dir, changed, movies: 30);

        MovieLensDataset reloaded = MovieLensLoader.Load(folder, Cached);

        Assert.False(reloaded.Report.RatingsFromCache);
        Assert.Equal(changed.Length, reloaded.Ratings.Length);
        Assert.True(MovieLensLoader.Load(folder, Cached).Report.RatingsFromCache);
        Assert.Single(Directory.GetFiles(Cached.CacheFolder!));
    }

    [Fact]
    public void A_damaged_cache_file_is_ignored_and_rewritten()
    {
        string folder = Fixtures.WriteCsvDataset(_dir, Fixtures.SyntheticRatings(20, 30), movies: 30);
        MovieLensDataset parsed = MovieLensLoader.Load(folder, Cached);
        string entry = Directory.GetFiles(Cached.CacheFolder!).Single();
        using (var stream = new FileStream(entry, FileMode.Open))
        {
            stream.SetLength(stream.Length - 7);
        }

        MovieLensDataset again = MovieLensLoader.Load(folder, Cached);

        Assert.False(again.Report.RatingsFromCache);
        Assert.Equal(parsed.Ratings, again.Ratings);
        Assert.True(MovieLensLoader.Load(folder, Cached).Report.RatingsFromCache);
    }

    [Fact]
    public void Small_files_and_skip_invalid_loads_are_never_cached()
    {
        string folder = Fixtures.WriteCsvDataset(_dir, Fixtures.SyntheticRatings(20, 30), movies: 30);

        MovieLensLoader.Load(folder, Cached with { CacheMinBytes = 1L << 30 });
        MovieLensLoader.Load(folder, Cached with { SkipInvalid = true });

        Assert.False(Directory.Exists(Cached.CacheFolder!) && Directory.GetFiles(Cached.CacheFolder!).Length > 0);
    }
}
