using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using MovieRec.Api.Contracts;
using MovieRec.Api.Hosting;
using MovieRec.Core.Artifacts;

namespace MovieRec.Api.Tests;

/// <summary>A model in Spark's ALSModel.save layout, imported into a bundle, served over HTTP.</summary>
public sealed class SparkImportTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task An_imported_spark_als_model_answers_recommend_user_with_the_dot_product_top_10()
    {
        int[] movies = [.. Enumerable.Range(0, 80).Select(Fixtures.MovieId)];
        SparkAlsLayout layout = SparkAlsLayout.Write(Path.Combine(_dir.Path, "als"), users: 30, movies, rank: 12, seed: 3);
        string models = Path.Combine(_dir.Path, "models");
        SparkAls.Import(layout.Folder, models);
        using var factory = new SparkBundleFactory(models, Fixtures.WriteCsvDataset(_dir, Fixtures.SyntheticRatings()));
        using HttpClient client = factory.CreateClient();
        await factory.WaitUntilReadyAsync();

        foreach (int user in (int[])[1, 2, 15, 30])
        {
            RecommendationResponse response = await ApiAssert.OkAsync<RecommendationResponse>(
                await client.GetAsync($"/recommend/user?userId={user}&model={SparkAls.ModelName}&n=10"));

            Assert.Equal(layout.DotProductTop(user, 10), response.Items.Select(i => i.MovieId));
            Assert.Equal("model", response.Method);
        }
    }

    private sealed class SparkBundleFactory(string models, string data) : WebApplicationFactory<Program>
    {
        public async Task WaitUntilReadyAsync()
        {
            ModelHost host = Services.GetRequiredService<ModelHost>();
            for (int i = 0; i < 600 && host.Current is null; i++)
            {
                await Task.Delay(50);
            }

            Assert.NotNull(host.Current);
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Testing");
            builder.UseSetting("MovieRec:ModelsPath", models);
            builder.UseSetting("MovieRec:DataPath", data);
            builder.UseSetting("MovieRec:AllowDownload", "false");
            builder.UseSetting("MovieRec:RecommendationCacheSize", "0");
            builder.UseSetting("Serilog:MinimumLevel:Default", "Warning");
        }
    }
}
