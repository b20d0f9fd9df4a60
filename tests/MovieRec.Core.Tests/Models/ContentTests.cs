using MovieRec.Core.Data;
using MovieRec.Core.Models;
using MovieRec.Core.Models.Content;

namespace MovieRec.Core.Tests.Models;

public sealed class ContentTests
{
    private static readonly string[][] GenreSets = [["Animation", "Children"], ["Comedy"], ["Drama", "Romance"], ["Action", "Sci-Fi"], ["Horror"]];

    public static List<Movie> Catalogue(int count) =>
        [.. Enumerable.Range(0, count).Select(m => new Movie(Fixtures.MovieId(m), $"Movie {m} ({1990 + (m % 20)})", 1990 + (m % 20), GenreSets[m % GenreSets.Length]))];

    public static List<Tag> SomeTags() => [new Tag(1, Fixtures.MovieId(0), "pixar", 1), new Tag(2, Fixtures.MovieId(5), "pixar", 2)];

    [Fact]
    public void Similar_movies_share_genres_and_an_unrated_movie_still_has_them()
    {
        List<Movie> movies = Catalogue(60);
        movies.Add(new Movie(9_999, "Unseen Cartoon (2024)", 2024, ["Animation", "Children"]));
        var model = (ContentModel)new ContentTrainer(movies, SomeTags()).Fit(RatingMatrix.Build(Fixtures.SyntheticRatings()));

        IReadOnlyList<ScoredMovie> similar = model.Similar(9_999, 5);

        Assert.Equal(5, similar.Count);
        Assert.All(similar, s => Assert.Contains("Animation", movies.Single(m => m.MovieId == s.MovieId).Genres));
        Assert.All(similar, s => Assert.InRange(s.Score, 0f, 1.0001f));
        Assert.Equal(model.Similarity(1, 16), model.Similarity(16, 1));
        Assert.Equal(1f, model.Similarity(1, 1)!.Value, 4);
        // The shared tag makes movies 0 and 5 (ids 1 and 16) closer than two other animated movies.
        Assert.True(model.Similarity(1, 16) > model.Similarity(1, 31));
    }

    [Fact]
    public void A_movie_without_ratings_is_predicted_by_content_and_says_so()
    {
        List<Movie> movies = Catalogue(60);
        movies.Add(new Movie(9_999, "Unseen Cartoon (2024)", 2024, ["Animation", "Children"]));
        RatingMatrix m = RatingMatrix.Build(Fixtures.SyntheticRatings());
        IRecommenderModel content = new ContentTrainer(movies, SomeTags()).Fit(m);
        IRecommenderModel hybrid = ModelRegistry.Hybrid(new MovieRec.Core.Models.Hybrid.HybridOptions { BaseModels = ["baseline", "content"], RankingModel = "popular" },
            new ModelContext(1, movies, SomeTags())).Fit(m);

        foreach (IRecommenderModel model in (IRecommenderModel[])[content, hybrid])
        {
            Prediction p = model.Predict(1, 9_999);
            Assert.Equal(PredictionFallback.UnratedMovieByContent, p.Fallback);
            Assert.Contains("content model", p.FallbackReason, StringComparison.Ordinal);
            Assert.InRange(p.Rating, m.Scale.Min, m.Scale.Max);
            Assert.Equal(PredictionFallback.UnknownMovie, model.Predict(1, 123_456).Fallback);
        }
    }

    [Fact]
    public void Without_a_catalogue_the_trainer_says_what_it_needs()
    {
        var e = Assert.Throws<ArgumentException>(() => new ContentTrainer([], []).Fit(RatingMatrix.Build(Fixtures.SyntheticRatings())));
        Assert.Contains("catalogue", e.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Toy_story_neighbours_in_ml_latest_small_are_animation_or_children_films()
    {
        string folder = SharedData.Require("datasets", "ml-latest-small");
        MovieLensDataset data = MovieLensLoader.Load(folder);
        var model = (ContentModel)new ContentTrainer(data.Movies, data.Tags).Fit(RatingMatrix.Build(data.Ratings));
        Dictionary<int, Movie> byId = data.Movies.ToDictionary(m => m.MovieId);

        IReadOnlyList<ScoredMovie> similar = model.Similar(1, 10); // Toy Story (1995)

        Assert.Equal(10, similar.Count);
        Assert.All(similar, s => Assert.True(byId[s.MovieId].Genres.Intersect(["Animation", "Children"]).Any(), byId[s.MovieId].Title));

        HashSet<int> rated = [.. data.Ratings.Select(r => r.MovieId)];
        Movie unrated = data.Movies.First(m => !rated.Contains(m.MovieId) && m.Genres.Count > 0);
        Assert.NotEmpty(model.Similar(unrated.MovieId, 10));
    }
}
