using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using MovieRec.Api.Contracts;
using MovieRec.Api.Hosting;

namespace MovieRec.Api.Tests;

/// <summary>
/// <c>/metrics</c> over HTTP: Prometheus text format, and its series move with the requests made (read before and after).
/// The factory is this class's own, and its registry is the host's own, so nothing else counts into it meanwhile.
/// </summary>
public sealed class MetricsTests(MovieRecApiFactory factory) : IClassFixture<MovieRecApiFactory>, IAsyncLifetime
{
    private HttpClient _client = null!;
    private ServedBundle _bundle = null!;

    public async Task InitializeAsync()
    {
        _client = factory.CreateClient();
        _bundle = await factory.WaitUntilReadyAsync();
    }

    public Task DisposeAsync()
    {
        _client.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Metrics_answer_in_Prometheus_text_format()
    {
        HttpResponseMessage response = await _client.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("version=0.0.4", response.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        string text = await response.Content.ReadAsStringAsync();
        Assert.Contains("# TYPE movierec_http_requests_total counter", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE movierec_http_request_duration_seconds histogram", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE movierec_recommendation_cache_lookups_total counter", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE movierec_bundle_age_seconds gauge", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE movierec_feedback_ratings_total counter", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE movierec_retrains_started_total counter", text, StringComparison.Ordinal);
        // Every sample line parses as name{labels} value.
        Assert.NotEmpty(PrometheusText.Parse(text));
    }

    [Fact]
    public async Task Request_counter_and_latency_histogram_of_recommend_user_move_with_requests()
    {
        var series = new Dictionary<string, string> { ["endpoint"] = "/recommend/user", ["method"] = "GET", ["model"] = "svd" };
        var ok = new Dictionary<string, string>(series) { ["code"] = "200" };
        IReadOnlyList<PrometheusSample> before = await ScrapeAsync();

        for (int user = 1; user <= 3; user++)
        {
            Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync($"/recommend/user?userId={user}&n=5&model=svd")).StatusCode);
        }

        IReadOnlyList<PrometheusSample> after = await ScrapeAsync();
        Assert.Equal(3, PrometheusText.Value(after, "movierec_http_requests_total", ok) - PrometheusText.Value(before, "movierec_http_requests_total", ok));
        Assert.Equal(3, PrometheusText.Value(after, "movierec_http_request_duration_seconds_count", series)
            - PrometheusText.Value(before, "movierec_http_request_duration_seconds_count", series));
        Assert.True(PrometheusText.Value(after, "movierec_http_request_duration_seconds_sum", series)
            > PrometheusText.Value(before, "movierec_http_request_duration_seconds_sum", series));
        // Every request lands in the +Inf bucket.
        Assert.Equal(3, PrometheusText.Value(after, "movierec_http_request_duration_seconds_bucket", new(series) { ["le"] = "+Inf" })
            - PrometheusText.Value(before, "movierec_http_request_duration_seconds_bucket", new(series) { ["le"] = "+Inf" }));
    }

    [Fact]
    public async Task Model_label_is_the_answering_model_and_the_endpoint_label_the_route_template()
    {
        IReadOnlyList<PrometheusSample> before = await ScrapeAsync();

        // No model named: the default model answers (hybrid is not in the fixture bundle, so implicit-als).
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync("/recommend/user?userId=2&n=3")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync($"/movies/{Fixtures.MovieId(1)}/similar?n=3&model=svd")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _client.PostAsJsonAsync("/predict", new PredictRequest { UserId = 1, MovieId = Fixtures.MovieId(0), Model = "baseline" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _client.PostAsJsonAsync("/recommend/batch", new BatchRecommendationRequest { UserIds = [1, 2], Model = "svd" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync("/no/such/path/12345")).StatusCode);

        IReadOnlyList<PrometheusSample> after = await ScrapeAsync();
        double Delta(Dictionary<string, string> labels) =>
            PrometheusText.Value(after, "movierec_http_requests_total", labels) - PrometheusText.Value(before, "movierec_http_requests_total", labels);
        Assert.Equal(1, Delta(new() { ["endpoint"] = "/recommend/user", ["method"] = "GET", ["model"] = "implicit-als", ["code"] = "200" }));
        Assert.Equal(1, Delta(new() { ["endpoint"] = "/movies/{id:int}/similar", ["method"] = "GET", ["model"] = "svd", ["code"] = "200" }));
        Assert.Equal(1, Delta(new() { ["endpoint"] = "/predict/", ["method"] = "POST", ["model"] = "baseline", ["code"] = "200" }));
        Assert.Equal(1, Delta(new() { ["endpoint"] = "/recommend/batch", ["method"] = "POST", ["model"] = "svd", ["code"] = "200" }));
        Assert.Equal(1, Delta(new() { ["endpoint"] = "unmatched", ["method"] = "GET", ["model"] = "", ["code"] = "404" }));
        // The raw path never becomes a label value.
        Assert.DoesNotContain(after, s => s.Labels.Values.Any(v => v.Contains("12345", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Cache_hit_counter_moves_on_a_repeated_request()
    {
        IReadOnlyList<PrometheusSample> before = await ScrapeAsync();

        const string url = "/recommend/user?userId=7&n=4&model=svd&offset=1";
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync(url)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync(url)).StatusCode);

        IReadOnlyList<PrometheusSample> after = await ScrapeAsync();
        double Delta(string result) => PrometheusText.Value(after, "movierec_recommendation_cache_lookups_total", new() { ["result"] = result })
            - PrometheusText.Value(before, "movierec_recommendation_cache_lookups_total", new() { ["result"] = result });
        Assert.Equal(1, Delta("miss"));
        Assert.Equal(1, Delta("hit"));
    }

    [Fact]
    public async Task Bundle_id_and_age_are_gauges_of_the_served_bundle()
    {
        IReadOnlyList<PrometheusSample> samples = await ScrapeAsync();

        var bundle = new Dictionary<string, string> { ["bundle_id"] = _bundle.Id };
        Assert.Equal(1, PrometheusText.Value(samples, "movierec_bundle_info", bundle));
        Assert.Equal(_bundle.ModelNames.Count, PrometheusText.Value(samples, "movierec_bundle_models", bundle));
        double age = PrometheusText.Value(samples, "movierec_bundle_age_seconds", bundle);
        Assert.InRange(age, 0, (DateTimeOffset.UtcNow - _bundle.Bundle.Manifest.CreatedAt).TotalSeconds + 1);
        Assert.Single(samples, s => s.Name == "movierec_bundle_info");
    }

    [Fact]
    public async Task Feedback_counters_count_accepted_and_rejected_ratings()
    {
        using HttpClient writer = factory.CreateClient();
        writer.DefaultRequestHeaders.Add("X-Api-Key", MovieRecApiFactory.AdminKey);
        IReadOnlyList<PrometheusSample> before = await ScrapeAsync();

        Assert.Equal(HttpStatusCode.OK,
            (await writer.PostAsJsonAsync("/users/9001/ratings", new RatingRequest { MovieId = Fixtures.MovieId(3), Rating = 4 })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest,
            (await writer.PostAsJsonAsync("/users/9001/ratings", new RatingRequest { MovieId = Fixtures.MovieId(3), Rating = 42 })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await writer.PostAsJsonAsync("/ratings/batch", new BatchRatingsRequest
        {
            Ratings = [new BatchRatingRow { UserId = 9002, MovieId = Fixtures.MovieId(4), Rating = 3 }, new BatchRatingRow { UserId = 9002, MovieId = Fixtures.MovieId(5), Rating = 5 }],
        })).StatusCode);

        IReadOnlyList<PrometheusSample> after = await ScrapeAsync();
        double Delta(string result) => PrometheusText.Value(after, "movierec_feedback_ratings_total", new() { ["result"] = result })
            - PrometheusText.Value(before, "movierec_feedback_ratings_total", new() { ["result"] = result });
        Assert.Equal(3, Delta("accepted"));
        Assert.Equal(1, Delta("rejected"));
        Assert.True(PrometheusText.Value(after, "movierec_feedback_live_ratings", []) >= 3);
    }

    [Fact]
    public async Task Metrics_need_no_key_even_where_reads_do_unless_configured_admin_only()
    {
        using WebApplicationFactory<Program> readKeyed = factory.WithWebHostBuilder(b => b
            .UseSetting("MovieRec:ApiKeys:reader:Key", "reader-key").UseSetting("MovieRec:ApiKeys:reader:Roles", "read"));
        using HttpClient open = readKeyed.CreateClient();
        await Readiness.WaitUntilReadyAsync(open);
        Assert.Equal(HttpStatusCode.Unauthorized, (await open.GetAsync("/recommend/user?userId=1")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await open.GetAsync("/metrics")).StatusCode);

        using WebApplicationFactory<Program> adminOnly = factory.WithWebHostBuilder(b => b.UseSetting("MovieRec:Metrics:RequireAdminKey", "true"));
        using HttpClient client = adminOnly.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/metrics")).StatusCode);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Add("X-Api-Key", MovieRecApiFactory.AdminKey);
        HttpResponseMessage withKey = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, withKey.StatusCode);
        Assert.Contains("# TYPE movierec_http_requests_total counter", await withKey.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_can_be_turned_off()
    {
        using WebApplicationFactory<Program> off = factory.WithWebHostBuilder(b => b.UseSetting("MovieRec:Metrics:Enabled", "false"));
        using HttpClient client = off.CreateClient();
        await Readiness.WaitUntilReadyAsync(client);

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/metrics")).StatusCode);
    }

    private async Task<IReadOnlyList<PrometheusSample>> ScrapeAsync()
    {
        HttpResponseMessage response = await _client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return PrometheusText.Parse(await response.Content.ReadAsStringAsync());
    }
}

/// <summary>One sample line of the Prometheus text format.</summary>
public sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>A small reader of the Prometheus text exposition format (enough for these tests: no escapes beyond \" and \\).</summary>
public static class PrometheusText
{
    public static IReadOnlyList<PrometheusSample> Parse(string text)
    {
        var samples = new List<PrometheusSample>();
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            int brace = line.IndexOf('{', StringComparison.Ordinal);
            int space = line.LastIndexOf(' ');
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            string name;
            if (brace >= 0 && brace < space)
            {
                name = line[..brace];
                int end = line.LastIndexOf('}');
                int p = brace + 1;
                while (p < end)
                {
                    int eq = line.IndexOf('=', p);
                    string key = line[p..eq];
                    var value = new System.Text.StringBuilder();
                    int q = eq + 2;
                    for (; line[q] != '"'; q++)
                    {
                        value.Append(line[q] == '\\' ? line[++q] : line[q]);
                    }

                    labels[key] = value.ToString();
                    p = q + 1;
                    if (p < end && line[p] == ',')
                    {
                        p++;
                    }
                }
            }
            else
            {
                name = line[..line.IndexOf(' ', StringComparison.Ordinal)];
            }

            string number = line[(space + 1)..];
            double parsed = number switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                _ => double.Parse(number, NumberStyles.Float, CultureInfo.InvariantCulture),
            };
            samples.Add(new PrometheusSample(name, labels, parsed));
        }

        return samples;
    }

    /// <summary>The value of the sample with this name and exactly these labels; 0 when there is none (a series not created yet).</summary>
    public static double Value(IReadOnlyList<PrometheusSample> samples, string name, Dictionary<string, string> labels) =>
        samples.FirstOrDefault(s => s.Name == name && s.Labels.Count == labels.Count
            && labels.All(l => s.Labels.TryGetValue(l.Key, out string? v) && v == l.Value))?.Value ?? 0;
}
