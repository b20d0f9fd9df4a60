using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using MovieRec.Api.Contracts;
using MovieRec.Core.Data;
using MovieRec.Core.Training;

namespace MovieRec.Api.Tests;

/// <summary>
/// Every endpoint against a bundle trained on the real ml-latest-small (../shared/datasets beside the checkout);
/// skipped, saying so, where that copy is absent.
/// </summary>
public sealed class MovieLensSmallTests
{
    [SkippableFact]
    public async Task Every_endpoint_answers_over_a_bundle_trained_on_ml_latest_small()
    {
        string? data = FindShared("datasets", "ml-latest-small");
        Skip.If(data is null, "../shared/datasets/ml-latest-small is not present beside this checkout; this test needs it.");
        using var folder = new TempFolder();
        string models = Path.Combine(folder.Path, "models");
        BundleTrainer.Train(MovieLensLoader.Load(data!), new BundleTrainingOptions { Output = models, Keep = 1 });
        using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            b.UseSetting("MovieRec:ModelsPath", models);
            b.UseSetting("MovieRec:TrainOnFirstStart", "false");
            b.UseSetting("Serilog:MinimumLevel:Default", "Warning");
        });
        using HttpClient client = factory.CreateClient();
        Assert.Equal(HttpStatusCode.OK, await Readiness.WaitUntilReadyAsync(client));

        ModelsResponse bundle = await ApiAssert.OkAsync<ModelsResponse>(await client.GetAsync("/models"));
        Assert.Equal(("ml-latest-small", 100_836, 610, 9_742), (bundle.Dataset, bundle.Ratings, bundle.Users, bundle.Movies));

        PredictionResponse p = await ApiAssert.OkAsync<PredictionResponse>(
            await client.PostAsJsonAsync("/predict", new PredictRequest { UserId = 1, MovieId = 1, Model = "svd" }));
        Assert.False(p.IsFallback);
        Assert.InRange(p.Rating, 3f, 5f);

        PredictBatchResponse batch = await ApiAssert.OkAsync<PredictBatchResponse>(await client.PostAsJsonAsync("/predict/batch",
            new PredictBatchRequest { Pairs = [new() { UserId = 1, MovieId = 1 }, new() { UserId = 610, MovieId = 318 }] }));
        Assert.Equal(2, batch.Predictions.Count);

        RecommendationResponse comedy = await ApiAssert.OkAsync<RecommendationResponse>(
            await client.GetAsync("/recommend/user?userId=1&n=10&model=svd&genre=Comedy&excludeRated=true"));
        Assert.Equal(10, comedy.Items.Count);
        Assert.All(comedy.Items, m => Assert.Contains("Comedy", m.Genres));

        RecommendationResponse visitor = await ApiAssert.OkAsync<RecommendationResponse>(await client.PostAsJsonAsync("/recommend",
            new VisitorRecommendationRequest { Ratings = [new() { MovieId = 1, Rating = 5 }, new() { MovieId = 2571, Rating = 4.5f }], N = 10 }));
        Assert.Equal("fold-in", visitor.Method);
        Assert.DoesNotContain(visitor.Items, m => m.MovieId is 1 or 2571);

        MoviePage toy = await ApiAssert.OkAsync<MoviePage>(await client.GetAsync("/movies?query=toy&genre=Animation&page=1&pageSize=20"));
        Assert.Contains(toy.Items, m => m.Title == "Toy Story (1995)");

        (string Query, string Title)[] searches =
        [
            ("godfather", "Godfather, The (1972)"), ("the godfather", "Godfather, The (1972)"),
            ("godfahter", "Godfather, The (1972)"), ("matrix 1999", "Matrix, The (1999)"),
        ];
        foreach ((string query, string title) in searches)
        {
            MoviePage found = await ApiAssert.OkAsync<MoviePage>(await client.GetAsync($"/movies?query={Uri.EscapeDataString(query)}"));
            Assert.Equal(title, found.Items[0].Title);
        }

        MovieResponse toyStory = await ApiAssert.OkAsync<MovieResponse>(await client.GetAsync("/movies/1"));
        Assert.Equal((1995, 215), (toyStory.Year, toyStory.RatingCount));

        SimilarMoviesResponse similar = await ApiAssert.OkAsync<SimilarMoviesResponse>(await client.GetAsync("/movies/1/similar?n=10&model=svd"));
        Assert.Equal(10, similar.Items.Count);

        UserRatingsResponse ratings = await ApiAssert.OkAsync<UserRatingsResponse>(await client.GetAsync("/users/1/ratings"));
        Assert.Equal((232, 100, 3), (ratings.Count, ratings.Ratings.Count, ratings.Pages));

        await ApiAssert.ProblemAsync(await client.GetAsync("/recommend/user?userId=611"), HttpStatusCode.NotFound);

        await TwoVisitorsGetTheirOwnGenresAsync(client);
        await LiveRatingsShapeTheNextListAsync(client);
    }

    /// <summary>The issue's two visitors (five Pixar films vs five horror films, all 5) through the default model.</summary>
    private static async Task TwoVisitorsGetTheirOwnGenresAsync(HttpClient client)
    {
        int[] pixar = [1, 6377, 68954, 4886, 50872], horror = [1258, 1214, 1997, 1982, 1219];
        RecommendationResponse kids = await VisitorAsync(client, pixar);
        RecommendationResponse scary = await VisitorAsync(client, horror);
        Assert.Equal(("hybrid", "fold-in"), (kids.AnsweredBy, kids.Method));
        Assert.True(kids.Items.Select(i => i.MovieId).Intersect(scary.Items.Select(i => i.MovieId)).Count() <= 1,
            $"the two visitors share more than one movie: {string.Join(", ", kids.Items.Select(i => i.Title))} / {string.Join(", ", scary.Items.Select(i => i.Title))}");
        Assert.True(scary.Items.Count(i => i.Genres.Contains("Horror")) >= 6, $"the horror visitor's list: {string.Join(", ", scary.Items.Select(i => i.Title))}");
        Assert.True(kids.Items.Count(i => i.Genres.Contains("Animation") || i.Genres.Contains("Children") || i.Genres.Contains("Adventure")) >= 7,
            $"the Pixar visitor's list: {string.Join(", ", kids.Items.Select(i => i.Title))}");
        Assert.True(kids.Items.Count(i => i.Genres.Contains("Horror")) <= 1);
    }

    private static async Task<RecommendationResponse> VisitorAsync(HttpClient client, int[] movies) =>
        await ApiAssert.OkAsync<RecommendationResponse>(await client.PostAsJsonAsync("/recommend",
            new VisitorRecommendationRequest { Ratings = [.. movies.Select(m => new VisitorRating { MovieId = m, Rating = 5 })], N = 10 }));

    /// <summary>A new user's five ratings give a personal list without them; user 1's rating of a top-10 movie removes it at once.</summary>
    private static async Task LiveRatingsShapeTheNextListAsync(HttpClient client)
    {
        const int newUser = 100_001;
        int[] rated = [1258, 1214, 1997, 1982, 1219];
        foreach (int movie in rated)
        {
            await ApiAssert.OkAsync<RatingWrittenResponse>(await client.PostAsJsonAsync($"/users/{newUser}/ratings", new { movieId = movie, rating = 5.0 }));
        }

        RecommendationResponse mine = await ApiAssert.OkAsync<RecommendationResponse>(await client.GetAsync($"/recommend/user?userId={newUser}&n=10"));
        RecommendationResponse popular = await ApiAssert.OkAsync<RecommendationResponse>(await client.PostAsJsonAsync("/recommend", new VisitorRecommendationRequest { N = 10 }));
        Assert.Equal(("hybrid", "fold-in"), (mine.Model, mine.Method));
        Assert.DoesNotContain(mine.Items, i => rated.Contains(i.MovieId));
        Assert.True(mine.Items.Select(i => i.MovieId).Intersect(popular.Items.Select(i => i.MovieId)).Count() <= 3, "the new user got the popularity list");

        RecommendationResponse before = await ApiAssert.OkAsync<RecommendationResponse>(await client.GetAsync("/recommend/user?userId=1&n=10"));
        int pick = before.Items[3].MovieId;
        await ApiAssert.OkAsync<RatingWrittenResponse>(await client.PostAsJsonAsync("/users/1/ratings", new { movieId = pick, rating = 4.0 }));
        RecommendationResponse after = await ApiAssert.OkAsync<RecommendationResponse>(await client.GetAsync("/recommend/user?userId=1&n=10"));
        Assert.DoesNotContain(after.Items, i => i.MovieId == pick);
        UserRatingsResponse ones = await ApiAssert.OkAsync<UserRatingsResponse>(await client.GetAsync("/users/1/ratings?pageSize=10"));
        Assert.Equal((233, 10, 1), (ones.Count, ones.Ratings.Count, ones.LiveRatings));
    }

    private static string? FindShared(params string[] parts)
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null)
        {
            foreach (string candidate in (string[])[Path.Combine([dir, "..", "shared", .. parts]), Path.Combine([dir, "shared", .. parts])])
            {
                if (Directory.Exists(candidate))
                {
                    return Path.GetFullPath(candidate);
                }
            }

            dir = Path.GetDirectoryName(dir);
        }

        return null;
    }
}
