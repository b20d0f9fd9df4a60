using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using MovieRec.Api.Hosting;

namespace MovieRec.Api.Tests;

/// <summary>GET /health: JSON detail of the bundle, start-up, feedback store and retrain; /health/live and /health/ready keep their plain text.</summary>
public sealed class HealthTests(MovieRecApiFactory factory) : IClassFixture<MovieRecApiFactory>
{
    [Fact]
    public async Task Health_reports_the_served_bundle_its_models_age_and_the_parts_state()
    {
        ServedBundle bundle = await factory.WaitUntilReadyAsync();
        using HttpClient client = factory.CreateClient();

        HttpResponseMessage response = await client.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        JsonElement health = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("ready", health.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, health.GetProperty("reason").ValueKind);
        Assert.Equal(bundle.Id, health.GetProperty("bundleId").GetString());
        Assert.Equal(bundle.ModelNames, [.. health.GetProperty("models").EnumerateArray().Select(m => m.GetString()!)]);
        // MovieRec:DefaultModel is hybrid, which the fixture bundle lacks: the fallback answers.
        Assert.Equal("implicit-als", health.GetProperty("defaultModel").GetString());
        Assert.Equal(bundle.Bundle.Manifest.CreatedAt, health.GetProperty("bundleCreatedAt").GetDateTimeOffset());
        double age = health.GetProperty("bundleAgeSeconds").GetDouble();
        Assert.InRange(age, 0, (DateTimeOffset.UtcNow - bundle.Bundle.Manifest.CreatedAt).TotalSeconds + 1);
        Assert.Equal(bundle.LoadedAt, health.GetProperty("bundleLoadedAt").GetDateTimeOffset());
        JsonElement feedback = health.GetProperty("feedback");
        Assert.Equal("open", feedback.GetProperty("state").GetString());
        Assert.Equal("sqlite", feedback.GetProperty("provider").GetString());
        Assert.True(feedback.GetProperty("liveRatings").GetInt64() >= 0);
        Assert.False(health.GetProperty("retrain").GetProperty("running").GetBoolean());

        // The probes keep their plain-text answers.
        Assert.Equal("Healthy", await client.GetStringAsync("/health/live"));
        Assert.Equal("Healthy", await client.GetStringAsync("/health/ready"));
    }

    [Fact]
    public async Task Without_a_bundle_health_is_503_with_the_state_and_why()
    {
        using var empty = new TempFolder();
        using WebApplicationFactory<Program> app = factory.WithWebHostBuilder(b =>
        {
            b.UseSetting("MovieRec:ModelsPath", Path.Combine(empty.Path, "models"));
            b.UseSetting("MovieRec:TrainOnFirstStart", "false");
            b.UseSetting("MovieRec:FirstStartRetrySeconds", "60");
        });
        using HttpClient client = app.CreateClient();

        JsonElement health = default;
        HttpStatusCode status = HttpStatusCode.OK;
        Assert.True(await Readiness.UntilAsync(async () =>
        {
            HttpResponseMessage response = await client.GetAsync("/health");
            status = response.StatusCode;
            health = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            return health.GetProperty("state").GetString() == "not-ready";
        }), "GET /health never said not-ready");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("MovieRec:TrainOnFirstStart", health.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.True(health.GetProperty("nextAttemptAt").GetDateTimeOffset() > DateTimeOffset.UtcNow);
        Assert.Equal(JsonValueKind.Null, health.GetProperty("bundleId").ValueKind);
        Assert.Empty(health.GetProperty("models").EnumerateArray());
        Assert.Equal("open", health.GetProperty("feedback").GetProperty("state").GetString());
        Assert.StartsWith("Unhealthy", await (await client.GetAsync("/health/ready")).Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
