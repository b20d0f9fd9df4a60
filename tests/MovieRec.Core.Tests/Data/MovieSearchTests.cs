using MovieRec.Core.Data;

namespace MovieRec.Core.Tests.Data;

public sealed class MovieSearchTests
{
    // Real MovieLens titles, with rating counts like ml-latest-small's so ties go the realistic way.
    private static readonly (Movie Movie, int Ratings)[] Catalogue =
    [
        (new Movie(858, "Godfather, The (1972)", 1972, ["Crime", "Drama"]), 192),
        (new Movie(1221, "Godfather: Part II, The (1974)", 1974, ["Crime", "Drama"]), 129),
        (new Movie(2023, "Godfather: Part III, The (1990)", 1990, ["Crime", "Drama", "Mystery", "Thriller"]), 38),
        (new Movie(2571, "Matrix, The (1999)", 1999, ["Action", "Sci-Fi", "Thriller"]), 278),
        (new Movie(6365, "Matrix Reloaded, The (2003)", 2003, ["Action", "Adventure", "Sci-Fi", "Thriller"]), 81),
        (new Movie(6934, "Matrix Revolutions, The (2003)", 2003, ["Action", "Adventure", "Sci-Fi", "Thriller"]), 54),
        (new Movie(1, "Toy Story (1995)", 1995, ["Adventure", "Animation", "Children", "Comedy", "Fantasy"]), 215),
        (new Movie(3114, "Toy Story 2 (1999)", 1999, ["Adventure", "Animation", "Children", "Comedy", "Fantasy"]), 97),
        (new Movie(47, "Seven (a.k.a. Se7en) (1995)", 1995, ["Mystery", "Thriller"]), 203),
        (new Movie(924, "2001: A Space Odyssey (1968)", 1968, ["Adventure", "Drama", "Sci-Fi"]), 109),
        (new Movie(4973, "Amelie (Fabuleux destin d'Amélie Poulain, Le) (2001)", 2001, ["Comedy", "Romance"]), 120),
        (new Movie(527, "Schindler's List (1993)", 1993, ["Drama", "War"]), 220),
        (new Movie(29, "City of Lost Children, The (Cité des enfants perdus, La) (1995)", 1995, ["Adventure", "Drama"]), 38),
    ];

    private static readonly MovieSearch Search = new(Catalogue.Select(c => c.Movie),
        id => Catalogue.Single(c => c.Movie.MovieId == id).Ratings);

    [Theory]
    [InlineData("godfather", "Godfather, The (1972)")]
    [InlineData("the godfather", "Godfather, The (1972)")]
    [InlineData("Godfather, The", "Godfather, The (1972)")]
    [InlineData("Godfather, The (1972)", "Godfather, The (1972)")]
    [InlineData("godfahter", "Godfather, The (1972)")]
    [InlineData("GODFATHER", "Godfather, The (1972)")]
    [InlineData("godfather part ii", "Godfather: Part II, The (1974)")]
    [InlineData("godfather 1990", "Godfather: Part III, The (1990)")]
    [InlineData("matrix", "Matrix, The (1999)")]
    [InlineData("matrix 1999", "Matrix, The (1999)")]
    [InlineData("the matrix", "Matrix, The (1999)")]
    [InlineData("matrix reloaded", "Matrix Reloaded, The (2003)")]
    [InlineData("matirx", "Matrix, The (1999)")]
    [InlineData("toy story", "Toy Story (1995)")]
    [InlineData("toy stor", "Toy Story (1995)")]
    [InlineData("toy story 2", "Toy Story 2 (1999)")]
    [InlineData("se7en", "Seven (a.k.a. Se7en) (1995)")]
    [InlineData("seven", "Seven (a.k.a. Se7en) (1995)")]
    [InlineData("2001", "2001: A Space Odyssey (1968)")]
    [InlineData("space odyssey", "2001: A Space Odyssey (1968)")]
    [InlineData("amélie", "Amelie (Fabuleux destin d'Amélie Poulain, Le) (2001)")]
    [InlineData("schindlers list", "Schindler's List (1993)")]
    [InlineData("schindler's", "Schindler's List (1993)")]
    [InlineData("city of lost children", "City of Lost Children, The (Cité des enfants perdus, La) (1995)")]
    [InlineData("cite des enfants", "City of Lost Children, The (Cité des enfants perdus, La) (1995)")]
    public void The_movie_a_person_means_comes_first(string query, string expected)
    {
        IReadOnlyList<MovieMatch> found = Search.Search(query);

        Assert.NotEmpty(found);
        Assert.Equal(expected, found[0].Movie.Title);
    }

    [Fact]
    public void All_three_godfathers_are_found_best_first_and_nothing_else()
    {
        IReadOnlyList<MovieMatch> found = Search.Search("godfather");

        Assert.Equal([858, 1221, 2023], found.Select(m => m.Movie.MovieId));
        Assert.True(found[0].Score > found[1].Score);
    }

    [Theory]
    [InlineData("xyzzy")]
    [InlineData("   ")]
    [InlineData("gdfthr")]
    public void Nonsense_finds_nothing(string query) => Assert.Empty(Search.Search(query));

    [Fact]
    public void Short_words_are_not_typo_matched()
    {
        // "toi" is three letters: a typo there would match too much.
        Assert.Empty(Search.Search("toi story 9"));
    }

    [Fact]
    public void A_filter_and_a_limit_apply()
    {
        IReadOnlyList<MovieMatch> found = Search.Search("godfather", m => m.Year > 1973, limit: 1);

        Assert.Equal([1221], found.Select(m => m.Movie.MovieId));
    }

    [Theory]
    [InlineData("Godfather, The (1972)", "the godfather")]
    [InlineData("Cité des enfants perdus, La", "la cite des enfants perdus")]
    [InlineData("Schindler's List (1993)", "schindlers list")]
    public void Titles_normalize_to_the_way_people_type_them(string title, string expected) =>
        Assert.Equal(expected, MovieSearch.NormalizeTitle(title));

    [Theory]
    [InlineData("godfather", "godfahter", 1)]
    [InlineData("matrix", "matirx", 1)]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("abc", "abc", 0)]
    public void Edit_distance_counts_swaps_as_one(string a, string b, int expected) =>
        Assert.Equal(expected, MovieSearch.EditDistance(a, b, 5));

    [SkippableFact]
    public void On_ml_latest_small_the_issue_queries_find_their_movies()
    {
        string? folder = SharedData.Find("datasets", "ml-latest-small");
        Skip.If(folder is null, "../shared/datasets/ml-latest-small is not present beside this checkout; this test needs it.");
        MovieLensDataset data = MovieLensLoader.Load(folder!);
        var counts = data.Ratings.GroupBy(r => r.MovieId).ToDictionary(g => g.Key, g => g.Count());
        var search = new MovieSearch(data.Movies, id => counts.GetValueOrDefault(id));

        Assert.Equal("Godfather, The (1972)", search.Search("godfather")[0].Movie.Title);
        Assert.Equal("Godfather, The (1972)", search.Search("the godfather")[0].Movie.Title);
        Assert.Equal("Godfather, The (1972)", search.Search("godfahter")[0].Movie.Title);
        Assert.Equal("Matrix, The (1999)", search.Search("matrix 1999")[0].Movie.Title);
        Assert.Equal("Toy Story (1995)", search.Search("toy story")[0].Movie.Title);
    }
}
