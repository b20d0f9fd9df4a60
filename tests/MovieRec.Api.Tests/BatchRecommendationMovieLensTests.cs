using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using MovieRec.Core.Data;
using MovieRec.Core.Training;

namespace MovieRec.Api.Tests;

/// <summary>
/// POST /recommend/batch for all 610 users of ml-latest-small (../shared/datasets beside the checkout) against 610 single
/// calls, for svd, implicit-als, item-knn and the default model, over real HTTP with the cache off; one user has live ratings.
/// Skipped, saying so, where the copy is absent.
/// </summary>
public sealed class BatchRecommendationMovieLensTests
{
    [SkippableFact]
    public async Task A_batch_of_all_610_users_matches_610_single_calls_for_every_kernel()
    {
        string data = Core.Tests.SharedData.Require("datasets", "ml-latest-small");
        using var folder = new TempFolder();
        string models = Path.Combine(folder.Path, "models");
        BundleTrainer.Train(MovieLensLoader.Load(data), new BundleTrainingOptions { Output = models, Keep = 1 });
        using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            b.UseSetting("MovieRec:ModelsPath", models);
            b.UseSetting("MovieRec:TrainOnFirstStart", "false");
            b.UseSetting("MovieRec:RecommendationCacheSize", "0");
            b.UseSetting("Serilog:MinimumLevel:Default", "Warning");
        });
        using HttpClient client = factory.CreateClient();
        Assert.Equal(HttpStatusCode.OK, await Readiness.WaitUntilReadyAsync(client));

        // User 1 rates one more movie: their entry must be the fold-in list, as the single call gives it.
        await ApiAssert.OkAsync<Contracts.RatingWrittenResponse>(await client.PostAsJsonAsync("/users/1/ratings", new { movieId = 2571, rating = 1.0 }));
        int[] users = [.. Enumerable.Range(1, 610)];
        foreach (string? model in (string?[])["svd", "implicit-als", "item-knn", null, "hybrid"])
        {
            JsonElement[] entries = await BatchEqualsSingleCalls.AssertAsync(client, users, model, 10, 0, null, true);
            Assert.All(entries, e => Assert.Equal(10, e.GetProperty("items").GetArrayLength()));
            Assert.Equal("fold-in", entries[0].GetProperty("method").GetString());
            Assert.Equal("model", entries[1].GetProperty("method").GetString());
        }
    }
}
