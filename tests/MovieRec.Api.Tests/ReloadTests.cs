using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using MovieRec.Api.Apis;
using MovieRec.Api.Contracts;

namespace MovieRec.Api.Tests;

/// <summary>POST /admin/reload: the key, the swap under load, and a failed reload leaving the old bundle serving.</summary>
public sealed class ReloadTests(MovieRecApiFactory factory) : IClassFixture<MovieRecApiFactory>, IAsyncLifetime
{
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _client = factory.CreateClient();
        await factory.WaitUntilReadyAsync();
    }

    public Task DisposeAsync()
    {
        _client.Dispose();
        return Task.CompletedTask;
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-key")]
    public async Task Reload_without_the_right_key_is_401(string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/admin/reload");
        if (key is not null)
        {
            request.Headers.Add(ModelApi.ApiKeyHeader, key);
        }

        JsonElement problem = await ApiAssert.ProblemAsync(await _client.SendAsync(request), HttpStatusCode.Unauthorized);

        Assert.Contains(ModelApi.ApiKeyHeader, ApiAssert.Detail(problem), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reload_is_disabled_without_a_configured_key()
    {
        using WebApplicationFactory<Program> noKey = factory.WithWebHostBuilder(b => b.UseSetting("MovieRec:AdminApiKey", ""));
        using HttpClient client = noKey.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/admin/reload");
        request.Headers.Add(ModelApi.ApiKeyHeader, MovieRecApiFactory.AdminKey);

        JsonElement problem = await ApiAssert.ProblemAsync(await client.SendAsync(request), HttpStatusCode.Forbidden);

        Assert.Contains("AdminApiKey", ApiAssert.Detail(problem), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reload_while_requests_are_in_flight_swaps_bundles_without_a_failed_request()
    {
        string before = (await ApiAssert.OkAsync<ModelsResponse>(await _client.GetAsync("/models"))).BundleId;
        var statuses = new ConcurrentBag<HttpStatusCode>();
        var bundlesSeen = new ConcurrentDictionary<string, bool>();
        using var stop = new CancellationTokenSource();
        Task[] load = [.. Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            int i = 0;
            while (!stop.IsCancellationRequested)
            {
                HttpResponseMessage response = await _client.GetAsync($"/recommend/user?userId={1 + ((w * 7) + i++) % Fixtures.Users}&n=5&model=svd");
                statuses.Add(response.StatusCode);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    bundlesSeen[(await ApiAssert.OkAsync<RecommendationResponse>(response)).BundleId] = true;
                }
            }
        }))];

        var reloaded = new List<ReloadResponse>();
        for (int round = 0; round < 3; round++)
        {
            string published = factory.Publish();
            ReloadResponse r = await ApiAssert.OkAsync<ReloadResponse>(await ReloadAsync());
            Assert.Equal(published, r.BundleId);
            reloaded.Add(r);

            // The requests running through the reload go on to be answered by the new bundle.
            Assert.True(await Readiness.UntilAsync(() => Task.FromResult(bundlesSeen.ContainsKey(published))), $"no request saw bundle {published}");
        }

        await stop.CancelAsync();
        await Task.WhenAll(load);

        Assert.NotEmpty(statuses);
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(before, reloaded[0].PreviousBundleId);
        Assert.Equal(reloaded[^1].BundleId, (await ApiAssert.OkAsync<ModelsResponse>(await _client.GetAsync("/models"))).BundleId);
        Assert.Subset(bundlesSeen.Keys.ToHashSet(), reloaded.Select(r => r.BundleId).ToHashSet());
    }

    [Fact]
    public async Task A_failed_reload_is_a_problem_and_the_old_bundle_keeps_serving()
    {
        await ApiAssert.OkAsync<ReloadResponse>(await ReloadAsync());
        string serving = (await ApiAssert.OkAsync<ModelsResponse>(await _client.GetAsync("/models"))).BundleId;
        string broken = factory.Publish();
        string payload = Path.Combine(factory.ModelsPath, broken, "svd.model");
        byte[] bytes = await File.ReadAllBytesAsync(payload);
        bytes[^1] ^= 0xFF;
        await File.WriteAllBytesAsync(payload, bytes);

        JsonElement problem = await ApiAssert.ProblemAsync(await ReloadAsync(), HttpStatusCode.InternalServerError);

        Assert.Contains("checksum", ApiAssert.Detail(problem), StringComparison.Ordinal);
        Assert.Equal(serving, problem.GetProperty("servingBundleId").GetString());
        Assert.Equal(serving, (await ApiAssert.OkAsync<ModelsResponse>(await _client.GetAsync("/models"))).BundleId);
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync("/recommend/user?userId=1&n=3")).StatusCode);

        // A good bundle published afterwards reloads again.
        string good = factory.Publish();
        Assert.Equal(good, (await ApiAssert.OkAsync<ReloadResponse>(await ReloadAsync())).BundleId);
    }

    private Task<HttpResponseMessage> ReloadAsync()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/admin/reload");
        request.Headers.Add(ModelApi.ApiKeyHeader, MovieRecApiFactory.AdminKey);
        return _client.SendAsync(request);
    }
}
