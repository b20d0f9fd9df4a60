using System.Text;
using MovieRec.Core.Data;

namespace MovieRec.Core.Tests.Data;

/// <summary>The catalogue, tags and links: duplicate rows get a rule, every encoding MovieLens used reads right.</summary>
public sealed class CatalogueReadingTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Duplicate_movie_rows_keep_the_last_with_a_warning_naming_the_file_and_lines()
    {
        _dir.Write("ratings.csv", "userId,movieId,rating\n1,1,4.0\n1,2,3.0\n");
        string movies = _dir.Write("movies.csv",
            "movieId,title,genres\n1,Heat (1995),Action\n2,Casino (1995),Drama\n1,Heat (1995),Action|Crime\n2,Casino (1995),Crime\n2,Casino (1995),Crime|Drama\n");

        MovieLensDataset data = MovieLensLoader.Load(_dir.Path);

        Assert.Equal([1, 2], data.Movies.Select(m => m.MovieId).Order());
        Assert.Equal(["Action", "Crime"], data.Movies.Single(m => m.MovieId == 1).Genres);
        Assert.Equal(["Crime", "Drama"], data.Movies.Single(m => m.MovieId == 2).Genres);
        Assert.Equal(2, data.Report.Warnings.Count);
        Assert.Contains($"{movies}: movie 1 is on lines 2 and 4; kept line 4", data.Report.Warnings);
        Assert.Contains($"{movies}: movie 2 is on lines 3, 5 and 6; kept line 6", data.Report.Warnings);
    }

    [Fact]
    public void Duplicate_rows_of_the_older_formats_get_the_same_rule()
    {
        _dir.Write("ratings.dat", "1::1::4::5\n");
        string movies = _dir.Write("movies.dat", "1::Heat (1995)::Action\n1::Heat (1995)::Crime\n");

        MovieLensDataset data = MovieLensLoader.Load(_dir.Path);

        Assert.Equal(["Crime"], Assert.Single(data.Movies).Genres);
        Assert.Equal($"{movies}: movie 1 is on lines 1 and 2; kept line 2", Assert.Single(data.Report.Warnings));
    }

    [Fact]
    public void Duplicate_links_keep_the_last_with_a_warning()
    {
        _dir.Write("ratings.csv", "userId,movieId,rating\n1,1,4.0\n");
        string links = _dir.Write("links.csv", "movieId,imdbId,tmdbId\n1,0114709,862\n1,0114709,863\n");

        MovieLensDataset data = MovieLensLoader.Load(_dir.Path);

        Assert.Equal(863, Assert.Single(data.Links).TmdbId);
        Assert.Equal($"{links}: movie 1 is on lines 2 and 3; kept line 3", Assert.Single(data.Report.Warnings));
    }

    [Fact]
    public void A_latin1_catalogue_tags_and_links_read_as_latin1()
    {
        _dir.Write("ratings.csv", "userId,movieId,rating\n1,73,4.0\n");
        _dir.Write("movies.csv", "movieId,title,genres\n73,\"Misérables, Les (1995)\",Drama|War\n", Encoding.Latin1);
        _dir.Write("tags.csv", "userId,movieId,tag,timestamp\n1,73,émouvant,5\n", Encoding.Latin1);
        _dir.Write("links.csv", "movieId,imdbId,tmdbId\n73,0113828,48750\n", Encoding.Latin1);

        MovieLensDataset data = MovieLensLoader.Load(_dir.Path);

        Assert.Equal("Misérables, Les (1995)", Assert.Single(data.Movies).Title);
        Assert.Equal("émouvant", Assert.Single(data.Tags).Text);
        Assert.Equal(48750, Assert.Single(data.Links).TmdbId);
        Assert.Empty(data.Report.Warnings);
    }

    [Fact]
    public void A_utf8_catalogue_with_a_byte_order_mark_still_reads_as_utf8()
    {
        _dir.Write("ratings.csv", "userId,movieId,rating\n1,73,4.0\n");
        _dir.Write("movies.csv", "movieId,title,genres\n73,\"Misérables, Les (1995)\",Drama|War\n74,\"Amélie (2001)\",Comedy\n", new UTF8Encoding(true));

        MovieLensDataset data = MovieLensLoader.Load(_dir.Path);

        Assert.Equal(["Misérables, Les (1995)", "Amélie (2001)"], data.Movies.Select(m => m.Title));
        Assert.DoesNotContain(data.Movies, m => m.Title.Contains('\uFFFD', StringComparison.Ordinal));
    }
}
