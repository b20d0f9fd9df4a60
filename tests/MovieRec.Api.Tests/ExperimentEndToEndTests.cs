using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using MovieRec.Core.Data;
using MovieRec.Core.Training;
using Xunit.Abstractions;

namespace MovieRec.Api.Tests;

/// <summary>
/// An experiment configured in appsettings (environment variables), run through the real service process over
/// HTTP: 2,000 simulated users get lists from /recommend/user and report impressions and clicks to /events, with
/// clicks drawn at a known higher rate for the treatment; GET /experiments/{name} must name the treatment.
/// </summary>
public sealed class ExperimentEndToEndTests(ITestOutputHelper output) : IDisposable
{
    private const int Users = 2000;
    private const int ListLength = 5;
    private const double ControlRate = 0.10;
    private const double TreatmentRate = 0.15;

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Two_thousand_users_through_recommend_and_events_name_the_better_variant()
    {
        string data = Fixtures.WriteCsvDataset(_folder, Fixtures.SyntheticRatings(Users, 60));
        string models = Path.Combine(_folder.Path, "models");
        BundleTrainer.Train(MovieLensLoader.Load(data), new BundleTrainingOptions { Models = ["popular", "svd"], Output = models, Keep = 2 });
        using ServiceProcess service = await ServiceProcess.StartAsync(models,
            ("MovieRec__StatePath", Path.Combine(_folder.Path, "state")),
            ("MovieRec__DefaultModel", "popular"),
            ("MovieRec__Experiments__0__Name", "home"),
            ("MovieRec__Experiments__0__Type", "ab"),
            ("MovieRec__Experiments__0__Salt", "e2e-salt"),
            ("MovieRec__Experiments__0__Variants__0__Name", "control"),
            ("MovieRec__Experiments__0__Variants__0__Model", "popular"),
            ("MovieRec__Experiments__0__Variants__1__Name", "treatment"),
            ("MovieRec__Experiments__0__Variants__1__Model", "svd"));
        HttpClient client = service.Client;
        var variants = new ConcurrentDictionary<int, string>();

        await Parallel.ForEachAsync(Enumerable.Range(1, Users), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (user, cancellationToken) =>
        {
            HttpResponseMessage response = await client.GetAsync($"/recommend/user?userId={user}&n={ListLength}", cancellationToken);
            JsonElement list = await ApiAssert.OkAsync<JsonElement>(response);
            Assert.Equal("home", list.GetProperty("experiment").GetString());
            string variant = list.GetProperty("variant").GetString()!;
            string id = list.GetProperty("recommendationId").GetString()!;
            Assert.Equal(variant == "treatment" ? "svd" : "popular", list.GetProperty("model").GetString());
            variants[user] = variant;
            // Each user's clicks come from their own seeded draws: the same outcome whatever the thread order.
            var random = new Random(user);
            double rate = variant == "treatment" ? TreatmentRate : ControlRate;
            foreach (JsonElement item in list.GetProperty("items").EnumerateArray())
            {
                int movie = item.GetProperty("movieId").GetInt32();
                await ApiAssert.OkAsync<JsonElement>(await client.PostAsJsonAsync("/events",
                    new { userId = user, movieId = movie, type = "impression", recommendationId = id }, cancellationToken));
                if (random.NextDouble() < rate)
                {
                    await ApiAssert.OkAsync<JsonElement>(await client.PostAsJsonAsync("/events",
                        new { userId = user, movieId = movie, type = "click", recommendationId = id }, cancellationToken));
                }
            }
        });

        // Sticky: a second request puts the user in the same variant.
        JsonElement again = await ApiAssert.OkAsync<JsonElement>(await client.GetAsync($"/recommend/user?userId=7&n={ListLength}"));
        Assert.Equal(variants[7], again.GetProperty("variant").GetString());

        JsonElement report = await ApiAssert.OkAsync<JsonElement>(await client.GetAsync("/experiments/home"));
        string summary = report.ToString();
        output.WriteLine(summary);
        Assert.Equal("treatment", report.GetProperty("winner").GetString());
        Assert.Equal("treatment wins", report.GetProperty("decision").GetString());
        JsonElement comparison = report.GetProperty("comparisons")[0];
        Assert.True(comparison.GetProperty("pValue").GetDouble() < 0.05, summary);
        Assert.True(comparison.GetProperty("userLevelPValue").GetDouble() < 0.05, summary);
        Assert.True(comparison.GetProperty("lift").GetDouble() > 0, summary);
        Assert.Equal(JsonValueKind.Null, report.GetProperty("sampleRatioWarning").ValueKind);
        Assert.False(report.GetProperty("sampleRatio").GetProperty("mismatch").GetBoolean(), summary);
        Assert.Equal(Users, report.GetProperty("users").GetInt64());
        JsonElement[] arms = [.. report.GetProperty("variants").EnumerateArray()];
        Assert.Equal(Users, arms.Sum(a => a.GetProperty("users").GetInt64()));
        Assert.Equal(variants.Count(v => v.Value == "treatment"), arms[1].GetProperty("users").GetInt64());
        Assert.Equal((long)Users * ListLength, arms.Sum(a => a.GetProperty("impressions").GetInt64()));
        Assert.InRange(arms[0].GetProperty("ctr").GetDouble(), 0.08, 0.12);
        Assert.InRange(arms[1].GetProperty("ctr").GetDouble(), 0.13, 0.17);
    }
}
