using System.Net;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MovieRec.Api.Apis;
using MovieRec.Api.Contracts;
using MovieRec.Api.Hosting;
using MovieRec.Core.Artifacts;
using MovieRec.Core.Training;

namespace MovieRec.Api.Tests;

/// <summary>Starting without a bundle: training on first start, and answers before any bundle serves.</summary>
public sealed class FirstStartTests(MovieRecApiFactory factory) : IClassFixture<MovieRecApiFactory>
{
    [Fact]
    public async Task A_first_start_trains_the_configured_models_from_the_dataset_folder_then_turns_ready()
    {
        using var empty = new TempFolder();
        string models = Path.Combine(empty.Path, "models");
        using WebApplicationFactory<Program> app = factory.WithWebHostBuilder(b =>
        {
            b.UseSetting("MovieRec:ModelsPath", models);
            b.UseSetting("MovieRec:FirstStartModels", "baseline,popular,svd");
        });
        using HttpClient client = app.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, await Readiness.WaitUntilReadyAsync(client));
        Assert.NotNull(BundleStore.CurrentFolder(models));
        ModelsResponse r = await ApiAssert.OkAsync<ModelsResponse>(await client.GetAsync("/models"));
        Assert.Equal(["baseline", "popular", "svd"], r.Models.Select(m => m.Name));
    }

    [Fact]
    public async Task Without_a_bundle_or_data_the_service_is_live_but_not_ready()
    {
        using var empty = new TempFolder();
        using WebApplicationFactory<Program> app = factory.WithWebHostBuilder(b =>
        {
            b.UseSetting("MovieRec:ModelsPath", Path.Combine(empty.Path, "models"));
            b.UseSetting("MovieRec:DataPath", Path.Combine(empty.Path, "no-such-dataset"));
        });
        using HttpClient client = app.CreateClient();

        // Wait for start-up to report its failed attempt (no bundle, no data, no download; it retries later), not for a
        // guessed time.
        StartupState state = app.Services.GetRequiredService<StartupState>();
        DateTime deadline = DateTime.UtcNow + Readiness.Deadline;
        while (state.LastFailure is null)
        {
            Assert.True(DateTime.UtcNow < deadline, "start-up reported no failed attempt in time");
            await Task.Delay(50);
        }

        Assert.Null(app.Services.GetRequiredService<ModelHost>().Current);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/health/ready")).StatusCode);
        await ApiAssert.ProblemAsync(await client.GetAsync("/recommend/user?userId=1"), HttpStatusCode.ServiceUnavailable);
    }

    [Fact]
    public async Task Without_a_popular_model_a_visitor_gets_the_chosen_models_non_personal_ranking()
    {
        using var folder = new TempFolder();
        string models = Path.Combine(folder.Path, "models");
        BundleTrainer.Train(Core.Data.MovieLensLoader.Load(factory.DataPath), new BundleTrainingOptions { Models = ["baseline", "svd"], Output = models, Keep = 1 });
        using WebApplicationFactory<Program> app = factory.WithWebHostBuilder(b => b.UseSetting("MovieRec:ModelsPath", models));
        using HttpClient client = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, await Readiness.WaitUntilReadyAsync(client));

        RecommendationResponse r = await ApiAssert.OkAsync<RecommendationResponse>(await client.PostAsJsonAsync("/recommend",
            new VisitorRecommendationRequest { Ratings = [new() { MovieId = 1, Rating = 4 }], N = 3, Model = "baseline", Genre = "Comedy" }));

        Assert.Equal(("non-personal", "baseline"), (r.Method, r.AnsweredBy));
        Assert.Contains("cannot fold in", r.FallbackReason, StringComparison.Ordinal);
        Assert.Equal(3, r.Items.Count);
        Assert.All(r.Items, m => Assert.Contains("Comedy", m.Genres));
    }

    [Fact]
    public void Handlers_answer_503_before_a_bundle_is_loaded()
    {
        using var host = new ModelHost(Options.Create(new MovieRecOptions()), NullLogger<ModelHost>.Instance);

        var result = PredictionApi.Predict(new PredictRequest { UserId = 1, MovieId = 1 }, host).Result as ProblemHttpResult;

        Assert.Equal(StatusCodes.Status503ServiceUnavailable, result?.StatusCode);
    }
}
