using System.Text;
using MovieRec.Core.Data;

namespace MovieRec.Core.Tests.Data;

public sealed class MovieLensLoaderTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Csv_folder_reads_ratings_movies_tags_and_links()
    {
        _dir.Write("ratings.csv", "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,3,4.5,964981247\n2,1,0.5,964982224\n");
        _dir.Write("movies.csv",
            "movieId,title,genres\n" +
            "1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy\n" +
            "3,\"American President, The (1995)\",Comedy|Drama|Romance\n" +
            "5,\"Babylon 5\",(no genres listed)\n" +
            "7,\"Fawlty Towers (1975-1979) \",Comedy\n");
        _dir.Write("tags.csv", "userId,movieId,tag,timestamp\n2,1,\"pixar, classic\",1445714994\n");
        _dir.Write("links.csv", "movieId,imdbId,tmdbId\n1,0114709,862\n3,0112346,\n");

        MovieLensDataset data = MovieLensLoader.Load(_dir.Path);

        Assert.Equal(MovieLensFormat.Csv, data.Format);
        Assert.Equal(RatingScale.HalfStars, data.Scale);
        Assert.Equal([new Rating(1, 1, 4.0f, 964982703), new Rating(1, 3, 4.5f, 964981247), new Rating(2, 1, 0.5f, 964982224)], data.Ratings);
        Assert.Equal(4, data.Movies.Count);
        Assert.Equal(new Movie(1, "Toy Story (1995)", 1995, ["Adventure", "Animation", "Children", "Comedy", "Fantasy"]).Title, data.Movies[0].Title);
        Assert.Equal(["Adventure", "Animation", "Children", "Comedy", "Fantasy"], data.Movies[0].Genres);
        Assert.Equal("American President, The (1995)", data.Movies[1].Title);
        Assert.Equal(1995, data.Movies[1].Year);
        Assert.Null(data.Movies[2].Year);
        Assert.Empty(data.Movies[2].Genres);
        Assert.Equal("Fawlty Towers (1975-1979)", data.Movies[3].Title);
        Assert.Equal(1975, data.Movies[3].Year);
        Assert.Equal("pixar, classic", Assert.Single(data.Tags).Text);
        Assert.Null(data.Links[1].TmdbId);
        Assert.Equal(862, data.Links[0].TmdbId);
    }

    [Fact]
    public void Accepts_a_byte_order_mark_and_crlf_line_endings()
    {
        _dir.Write("ratings.csv", "userId,movieId,rating,timestamp\r\n1,10,3.0,5\r\n2,10,2.5,6\r\n", new UTF8Encoding(true));
        _dir.Write("movies.csv", "movieId,title,genres\r\n10,Heat (1995),Action|Crime\r\n", new UTF8Encoding(true));

        MovieLensDataset data = MovieLensLoader.Load(_dir.Path);

        Assert.Equal(2, data.Ratings.Length);
        Assert.Equal(2.5f, data.Ratings[1].Value);
        Assert.Equal("Heat (1995)", data.Movies[0].Title);
        Assert.Equal(["Action", "Crime"], data.Movies[0].Genres);
    }

    [Fact]
    public void Ml100k_folder_reads_tab_ratings_and_latin1_items_with_genre_flags()
    {
        _dir.Write("u.data", "196\t242\t3\t881250949\n186\t302\t3\t891717742\n");
        _dir.Write("u.genre", "unknown|0\nAction|1\nAdventure|2\nAnimation|3\nChildren's|4\nComedy|5\nCrime|6\nDocumentary|7\nDrama|8\nFantasy|9\nFilm-Noir|10\nHorror|11\nMusical|12\nMystery|13\nRomance|14\nSci-Fi|15\nThriller|16\nWar|17\nWestern|18\n\n");
        string flags242 = "0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0";
        string flags302 = "1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0";
        _dir.Write("u.item", $"242|Kolya (1996)|24-Jan-1997||http://us.imdb.com/M/title-exact?Kolya%20(1996)|{flags242}\n302|Café Lumière|01-Jan-1998||http://x|{flags302}\n", Encoding.Latin1);

        MovieLensDataset data = MovieLensLoader.Load(_dir.Path);

        Assert.Equal(MovieLensFormat.Ml100k, data.Format);
        Assert.Equal(RatingScale.WholeStars, data.Scale);
        Assert.Equal(new Rating(196, 242, 3f, 881250949), data.Ratings[0]);
        Assert.Equal(["Animation", "Children's", "Comedy"], data.Movies[0].Genres);
        Assert.Equal(1996, data.Movies[0].Year);
        Assert.Equal("Café Lumière", data.Movies[1].Title);
        Assert.Equal(1998, data.Movies[1].Year); // from the release date
        Assert.Empty(data.Movies[1].Genres); // 'unknown' is no genre
    }

    [Fact]
    public void Dat_folder_reads_double_colon_files()
    {
        _dir.Write("ratings.dat", "1::1193::5::978300760\n1::661::3::978302109\n");
        _dir.Write("movies.dat", "1193::One Flew Over the Cuckoo's Nest (1975)::Drama\n661::James and the Giant Peach (1996)::Animation|Children's|Musical\n", Encoding.Latin1);
        _dir.Write("tags.dat", "15::4973::excellent!::1215184630\n");

        MovieLensDataset data = MovieLensLoader.Load(_dir.Path);

        Assert.Equal(MovieLensFormat.Dat, data.Format);
        Assert.Equal(new Rating(1, 661, 3f, 978302109), data.Ratings[1]);
        Assert.Equal("One Flew Over the Cuckoo's Nest (1975)", data.Movies[0].Title);
        Assert.Equal(["Animation", "Children's", "Musical"], data.Movies[1].Genres);
        Assert.Equal("excellent!", Assert.Single(data.Tags).Text);
    }

    [Theory]
    [InlineData("userId,movieId,rating,timestamp\n1,2,3.5,100\n")]
    [InlineData("userId,movieId,rating\n1,2,3.5\n")]
    [InlineData("movieId,userId,rating\n2,1,3.5\n")]
    [InlineData("1,2,3.5,100\n")]
    [InlineData("1\t2\t3.5\t100\n")]
    [InlineData("1::2::3.5::100\n")]
    public void A_ratings_file_is_read_in_any_layout(string content)
    {
        string path = _dir.Write("split.test", content);

        Rating rating = Assert.Single(MovieLensLoader.LoadRatings(path, RatingScale.HalfStars));

        Assert.Equal((1, 2, 3.5f), (rating.UserId, rating.MovieId, rating.Value));
    }

    [Fact]
    public void A_malformed_row_stops_the_load_naming_file_line_column_and_text()
    {
        _dir.Write("ratings.csv", "userId,movieId,rating,timestamp\n1,1,4.0,1\n1,2,four,2\n");

        var e = Assert.Throws<MovieLensDataException>(() => MovieLensLoader.Load(_dir.Path));

        Assert.EndsWith("ratings.csv", e.FilePath);
        Assert.Equal(3, e.Line);
        Assert.Equal("rating", e.Column);
        Assert.Equal("four", e.Text);
        Assert.Contains("ratings.csv:3", e.Message, StringComparison.Ordinal);
        Assert.Contains("'rating'", e.Message, StringComparison.Ordinal);
        Assert.Contains("four", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_field_is_named()
    {
        _dir.Write("ratings.csv", "userId,movieId,rating,timestamp\n1,1\n");

        var e = Assert.Throws<MovieLensDataException>(() => MovieLensLoader.Load(_dir.Path));

        Assert.Equal("rating", e.Column);
        Assert.Contains("missing", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Skip_invalid_skips_bad_rows_and_reports_count_and_examples()
    {
        _dir.Write("ratings.csv", "userId,movieId,rating,timestamp\n1,1,4.0,1\nx,2,3.0,2\n1,3,9.0,3\n1,4,,4\n2,1,3.0,5\n");

        MovieLensDataset data = MovieLensLoader.Load(_dir.Path, new LoadOptions { SkipInvalid = true, MaxReportedProblems = 2 });

        Assert.Equal(2, data.Ratings.Length);
        Assert.Equal(3, data.Report.SkippedRows);
        Assert.Equal(2, data.Report.Problems.Count);
        Assert.Contains("ratings.csv:3", data.Report.Problems[0], StringComparison.Ordinal);
    }

    [Fact]
    public void A_rating_outside_the_declared_scale_has_its_own_message()
    {
        _dir.Write("u.data", "1\t1\t3\t1\n1\t2\t0.5\t2\n");

        var e = Assert.Throws<MovieLensDataException>(() => MovieLensLoader.Load(_dir.Path));

        Assert.Contains("outside the rating scale 1.0..5.0", e.Message, StringComparison.Ordinal);
        Assert.Equal(2, e.Line);
    }

    [Fact]
    public void A_missing_folder_an_unknown_folder_and_an_empty_ratings_file_each_get_a_clear_message()
    {
        var missing = Assert.Throws<MovieLensDataException>(() => MovieLensLoader.Load(Path.Combine(_dir.Path, "nope")));
        Assert.Contains("does not exist", missing.Message, StringComparison.Ordinal);
        Assert.Contains("data fetch", missing.Message, StringComparison.Ordinal);

        _dir.Write("notes.txt", "hello");
        var unknown = Assert.Throws<MovieLensDataException>(() => MovieLensLoader.Load(_dir.Path));
        Assert.Contains("not a MovieLens dataset folder", unknown.Message, StringComparison.Ordinal);

        _dir.Write("ratings.csv", "userId,movieId,rating,timestamp\n");
        var empty = Assert.Throws<MovieLensDataException>(() => MovieLensLoader.Load(_dir.Path));
        Assert.Contains("has no ratings", empty.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_header_without_a_required_column_is_named()
    {
        _dir.Write("ratings.csv", "user,movieId,rating\n1,1,4\n");

        var e = Assert.Throws<MovieLensDataException>(() => MovieLensLoader.Load(_dir.Path));

        Assert.Contains("no 'userId' column", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_pairs_keep_the_latest_rating_and_are_counted()
    {
        _dir.Write("ratings.csv", "userId,movieId,rating,timestamp\n1,1,2.0,50\n2,1,3.0,10\n1,1,4.0,40\n1,1,5.0,60\n");

        MovieLensDataset data = MovieLensLoader.Load(_dir.Path);

        Assert.Equal(2, data.Report.DuplicateRatings);
        Assert.Equal([new Rating(2, 1, 3.0f, 10), new Rating(1, 1, 5.0f, 60)], data.Ratings);
    }

    [Theory]
    [InlineData("Toy Story (1995)", 1995)]
    [InlineData("Babylon 5", null)]
    [InlineData("Fawlty Towers (1975-1979)", 1975)]
    [InlineData("Stranger Things (2016– )", 2016)]
    [InlineData("Blade Runner 2049 (2017) ", 2017)]
    [InlineData("1984 (1956)", 1956)]
    public void The_year_is_parsed_from_the_end_of_the_title(string title, int? year) =>
        Assert.Equal(year, MovieLensLoader.ParseYear(title));

    [SkippableFact]
    public void Shared_ml_latest_small_has_the_published_counts()
    {
        string folder = SharedData.Require("datasets", "ml-latest-small");

        DatasetSummary s = DatasetSummary.Of(MovieLensLoader.Load(folder));

        Assert.Equal((100_836, 610, 9_742, 9_724, 3_683), (s.Ratings, s.Users, s.Movies, s.RatedMovies, s.Tags));
        Assert.Equal((0.5f, 5.0f), (s.MinRating, s.MaxRating));
        Assert.Equal(0, s.DuplicateRatings);
    }

    [SkippableFact]
    public void Shared_ml_100k_has_the_published_counts()
    {
        string folder = SharedData.Require("datasets", "ml-100k");

        MovieLensDataset data = MovieLensLoader.Load(folder);
        DatasetSummary s = DatasetSummary.Of(data);

        Assert.Equal((100_000, 943, 1_682), (s.Ratings, s.Users, s.Movies));
        Assert.Equal("Toy Story (1995)", data.Movies[0].Title);
        Assert.Equal(18, s.Genres.Count);
    }
}
