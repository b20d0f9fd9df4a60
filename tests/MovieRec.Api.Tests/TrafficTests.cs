using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using MovieRec.Api.Apis;
using MovieRec.Api.Hosting;

namespace MovieRec.Api.Tests;

/// <summary>Rate limiting per client address (429 problem with Retry-After, strict on /admin) and configurable CORS.</summary>
public sealed class TrafficTests(MovieRecApiFactory factory) : IClassFixture<MovieRecApiFactory>
{
    [Fact]
    public async Task Wrong_admin_keys_beyond_the_admin_limit_get_429_with_retry_after_while_the_api_still_answers()
    {
        using WebApplicationFactory<Program> app = factory.WithWebHostBuilder(b => b.UseSetting("MovieRec:RateLimit:AdminPermitsPerMinute", "3"));
        using HttpClient client = app.CreateClient();
        client.DefaultRequestHeaders.Add(ModelApi.ApiKeyHeader, "wrong-key");

        HttpStatusCode[] first = [.. await Task.WhenAll(Enumerable.Range(0, 3).Select(async _ => (await client.PostAsync("/admin/reload", null)).StatusCode))];
        HttpResponseMessage limited = await client.PostAsync("/admin/reload", null);
        JsonElement problem = await ApiAssert.ProblemAsync(limited, HttpStatusCode.TooManyRequests);

        Assert.All(first, s => Assert.Equal(HttpStatusCode.Unauthorized, s));
        Assert.InRange(limited.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 60);
        Assert.Contains("/admin", ApiAssert.Detail(problem), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
        Assert.NotEqual(HttpStatusCode.TooManyRequests, (await client.GetAsync("/models")).StatusCode);
    }

    [Fact]
    public async Task The_general_limit_is_configurable_and_answers_429_problems_even_to_html_clients()
    {
        using WebApplicationFactory<Program> app = factory.WithWebHostBuilder(b => b.UseSetting("MovieRec:RateLimit:PermitsPerSecond", "1"));
        using HttpClient client = app.CreateClient();
        client.DefaultRequestHeaders.Accept.ParseAdd("text/html");
        await client.GetAsync("/movies/1");

        HttpResponseMessage? limited = null;
        for (int i = 0; i < 20 && limited is null; i++)
        {
            HttpResponseMessage response = await client.GetAsync("/movies/1");
            limited = response.StatusCode == HttpStatusCode.TooManyRequests ? response : null;
        }

        Assert.NotNull(limited);
        await ApiAssert.ProblemAsync(limited, HttpStatusCode.TooManyRequests);
        Assert.NotNull(limited.Headers.RetryAfter);
    }

    [Fact]
    public void The_default_limits_leave_the_load_benchmarks_unthrottled_and_admin_strict()
    {
        var defaults = new RateLimitOptions();

        // The wrk benchmarks reach about 30,000 requests/s from one loopback client; ingest about 20,000 ratings/s.
        Assert.True(defaults.Enabled);
        Assert.True(defaults.PermitsPerSecond >= 100_000, $"{defaults.PermitsPerSecond}");
        Assert.InRange(defaults.AdminPermitsPerMinute, 1, 60);
    }

    [Fact]
    public async Task Cors_answers_configured_origins_only()
    {
        using WebApplicationFactory<Program> app = factory.WithWebHostBuilder(b =>
        {
            b.UseSetting("MovieRec:Cors:AllowedOrigins:0", "https://front.example");
            b.UseSetting("MovieRec:Cors:AllowedOrigins:1", "http://localhost:3000");
        });
        using HttpClient client = app.CreateClient();
        using HttpClient plain = factory.CreateClient();

        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/predict");
        preflight.Headers.Add("Origin", "https://front.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "content-type");
        HttpResponseMessage allowed = await client.SendAsync(preflight);
        HttpResponseMessage simple = await SendWithOriginAsync(client, "http://localhost:3000");
        HttpResponseMessage other = await SendWithOriginAsync(client, "https://evil.example");
        HttpResponseMessage off = await SendWithOriginAsync(plain, "https://front.example");

        Assert.True(allowed.IsSuccessStatusCode, $"{(int)allowed.StatusCode}");
        Assert.Equal(["https://front.example"], allowed.Headers.GetValues("Access-Control-Allow-Origin"));
        Assert.Contains("POST", string.Join(",", allowed.Headers.GetValues("Access-Control-Allow-Methods")), StringComparison.Ordinal);
        Assert.Equal(["http://localhost:3000"], simple.Headers.GetValues("Access-Control-Allow-Origin"));
        Assert.False(other.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.False(off.Headers.Contains("Access-Control-Allow-Origin"));
    }

    private static Task<HttpResponseMessage> SendWithOriginAsync(HttpClient client, string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/health/live");
        request.Headers.Add("Origin", origin);
        return client.SendAsync(request);
    }
}
