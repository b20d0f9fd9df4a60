using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using MovieRec.Api.Contracts;
using MovieRec.Core.Artifacts;
using MovieRec.Core.Data;

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
        BundleTrainer.Train(MovieLensLoader.Load(data!), BundleTrainer.ParseModels(BundleTrainer.DefaultModels), models, false, 1, 42, _ => { });
        using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            b.UseSetting("MovieRec:ModelsPath", models);
            b.UseSetting("MovieRec:TrainOnFirstStart", "false");
            b.UseSetting("Serilog:MinimumLevel:Default", "Warning");
        });
        using HttpClient client = factory.CreateClient();
        for (int i = 0; i < 600 && (await client.GetAsync("/health/ready")).StatusCode != HttpStatusCode.OK; i++)
        {
            await Task.Delay(50);
        }

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

        MovieResponse toyStory = await ApiAssert.OkAsync<MovieResponse>(await client.GetAsync("/movies/1"));
        Assert.Equal((1995, 215), (toyStory.Year, toyStory.RatingCount));

        SimilarMoviesResponse similar = await ApiAssert.OkAsync<SimilarMoviesResponse>(await client.GetAsync("/movies/1/similar?n=10&model=svd"));
        Assert.Equal(10, similar.Items.Count);

        UserRatingsResponse ratings = await ApiAssert.OkAsync<UserRatingsResponse>(await client.GetAsync("/users/1/ratings"));
        Assert.Equal(232, ratings.Count);

        await ApiAssert.ProblemAsync(await client.GetAsync("/recommend/user?userId=611"), HttpStatusCode.NotFound);
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
