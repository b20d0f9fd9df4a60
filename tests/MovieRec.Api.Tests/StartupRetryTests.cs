using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;

namespace MovieRec.Api.Tests;

/// <summary>A failed first start is reported by /health/ready with its reason and retried until a bundle serves.</summary>
public sealed class StartupRetryTests(MovieRecApiFactory factory) : IClassFixture<MovieRecApiFactory>
{
    [Fact]
    public async Task An_offline_first_start_reports_unhealthy_with_the_reason_and_retries_until_the_data_appears()
    {
        using var empty = new TempFolder();
        string data = Path.Combine(empty.Path, "ml-latest-small");
        using WebApplicationFactory<Program> app = factory.WithWebHostBuilder(b =>
        {
            b.UseSetting("MovieRec:ModelsPath", Path.Combine(empty.Path, "models"));
            b.UseSetting("MovieRec:DataPath", data);
            b.UseSetting("MovieRec:AllowDownload", "false");
            b.UseSetting("MovieRec:FirstStartModels", "baseline,popular");
            b.UseSetting("MovieRec:FirstStartRetrySeconds", "0.2");
        });
        using HttpClient client = app.CreateClient();

        string health = "";
        for (int i = 0; i < 200 && !health.Contains("does not exist", StringComparison.Ordinal); i++)
        {
            health = await (await client.GetAsync("/health/ready")).Content.ReadAsStringAsync();
            await Task.Delay(25);
        }

        Assert.StartsWith("Unhealthy", health, StringComparison.Ordinal);
        Assert.Contains(data, health, StringComparison.Ordinal);
        Assert.Contains("retry", health, StringComparison.OrdinalIgnoreCase);
        await ApiAssert.ProblemAsync(await client.GetAsync("/recommend/user?userId=1"), HttpStatusCode.ServiceUnavailable);

        // The data arrives (a mount, a copy): a later attempt trains and serves without a restart.
        string staging = data + ".copying";
        Directory.CreateDirectory(staging);
        foreach (string file in Directory.GetFiles(factory.DataPath))
        {
            File.Copy(file, Path.Combine(staging, Path.GetFileName(file)));
        }

        Directory.Move(staging, data);

        HttpStatusCode ready = HttpStatusCode.ServiceUnavailable;
        for (int i = 0; i < 600 && ready != HttpStatusCode.OK; i++)
        {
            ready = (await client.GetAsync("/health/ready")).StatusCode;
            await Task.Delay(50);
        }

        Assert.Equal(HttpStatusCode.OK, ready);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/recommend/user?userId=1&model=popular")).StatusCode);
    }

    [Fact]
    public async Task Without_a_bundle_and_with_training_off_health_says_so()
    {
        using var empty = new TempFolder();
        using WebApplicationFactory<Program> app = factory.WithWebHostBuilder(b =>
        {
            b.UseSetting("MovieRec:ModelsPath", Path.Combine(empty.Path, "models"));
            b.UseSetting("MovieRec:TrainOnFirstStart", "false");
        });
        using HttpClient client = app.CreateClient();

        string health = "";
        for (int i = 0; i < 200 && !health.Contains("TrainOnFirstStart", StringComparison.Ordinal); i++)
        {
            health = await (await client.GetAsync("/health/ready")).Content.ReadAsStringAsync();
            await Task.Delay(25);
        }

        Assert.StartsWith("Unhealthy", health, StringComparison.Ordinal);
        Assert.Contains("TrainOnFirstStart", health, StringComparison.Ordinal);
    }

    [Fact]
    public async Task At_start_a_broken_current_bundle_falls_back_to_the_newest_intact_one()
    {
        using var folder = new TempFolder();
        string models = Path.Combine(folder.Path, "models");
        Core.Data.MovieLensDataset dataset = Core.Data.MovieLensLoader.Load(factory.DataPath);
        string intact = Path.GetFileName(Core.Training.BundleTrainer.Train(dataset, new Core.Training.BundleTrainingOptions { Models = ["baseline", "popular"], Output = models }));
        await Task.Delay(1100); // bundle ids carry the second they were made
        string broken = Core.Training.BundleTrainer.Train(dataset, new Core.Training.BundleTrainingOptions { Models = ["baseline", "popular"], Output = models });
        string payload = Path.Combine(broken, "popular.model");
        byte[] bytes = await File.ReadAllBytesAsync(payload);
        bytes[^1] ^= 0xFF;
        await File.WriteAllBytesAsync(payload, bytes);
        using WebApplicationFactory<Program> app = factory.WithWebHostBuilder(b =>
        {
            b.UseSetting("MovieRec:ModelsPath", models);
            b.UseSetting("MovieRec:TrainOnFirstStart", "false");
        });
        using HttpClient client = app.CreateClient();

        for (int i = 0; i < 600 && (await client.GetAsync("/health/ready")).StatusCode != HttpStatusCode.OK; i++)
        {
            await Task.Delay(50);
        }

        Assert.Equal(intact, (await ApiAssert.OkAsync<Contracts.ModelsResponse>(await client.GetAsync("/models"))).BundleId);
    }
}
