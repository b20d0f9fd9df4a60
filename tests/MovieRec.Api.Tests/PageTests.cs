using System.Net;
using MovieRec.Api.Contracts;

namespace MovieRec.Api.Tests;

/// <summary>The page, the dashboard and its chart images, over HTTP (the browser tests drive them in Chromium).</summary>
public sealed class PageTests(MovieRecApiFactory factory) : IClassFixture<MovieRecApiFactory>, IAsyncLifetime
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
    [InlineData("/", "text/html", "<script src=\"/app.js\"")]
    [InlineData("/app.js", "text/javascript", "POST")]
    [InlineData("/style.css", "text/css", "fieldset.stars")]
    [InlineData("/dashboard", "text/html", "<script src=\"/dashboard.js\"")]
    [InlineData("/dashboard.js", "text/javascript", "/dashboard/charts/")]
    public async Task The_page_and_the_dashboard_are_served_without_external_resources(string url, string type, string content)
    {
        HttpResponseMessage response = await _client.GetAsync(url);
        string body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(type, response.Content.Headers.ContentType!.MediaType);
        Assert.Contains(content, body, StringComparison.Ordinal);
        // Works offline: no CDN, no external script, style or font (links out to IMDb and TMDB are plain anchors).
        Assert.DoesNotMatch(@"(src|href)=""(https?:)?//", body);
        Assert.DoesNotContain("@import", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ratings")]
    [InlineData("long-tail")]
    [InlineData("top-rated")]
    [InlineData("genres")]
    [InlineData("models")]
    public async Task Every_dashboard_chart_is_a_png_and_an_svg(string name)
    {
        HttpResponseMessage png = await _client.GetAsync($"/dashboard/charts/{name}.png");
        HttpResponseMessage svg = await _client.GetAsync($"/dashboard/charts/{name}.svg");

        Assert.Equal(HttpStatusCode.OK, png.StatusCode);
        Assert.Equal("image/png", png.Content.Headers.ContentType!.MediaType);
        byte[] bytes = await png.Content.ReadAsByteArrayAsync();
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
        Assert.True(bytes.Length > 5_000, $"{name}.png is only {bytes.Length} bytes");
        Assert.Equal("image/svg+xml", svg.Content.Headers.ContentType!.MediaType);
        Assert.Contains("<svg", await svg.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/dashboard/charts/nothing.png")]
    [InlineData("/dashboard/charts/ratings.gif")]
    [InlineData("/dashboard/charts/ratings")]
    public async Task An_unknown_chart_is_a_404_problem_listing_the_charts(string url)
    {
        var problem = await ApiAssert.ProblemAsync(await _client.GetAsync(url), HttpStatusCode.NotFound);

        Assert.Contains("ratings, long-tail, top-rated, genres, models", ApiAssert.Detail(problem), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_movie_has_its_imdb_and_tmdb_ids_from_links_csv()
    {
        // The fixture's links.csv has rows for movies 1 ("1,0114709,862") and 4 (an IMDb id only), none for the others.
        MovieResponse toy = await ApiAssert.OkAsync<MovieResponse>(await _client.GetAsync("/movies/1"));
        MovieResponse other = await ApiAssert.OkAsync<MovieResponse>(await _client.GetAsync($"/movies/{Fixtures.MovieId(2)}"));

        Assert.Equal(("0114709", 862), (toy.ImdbId, toy.TmdbId));
        Assert.Equal((null, null), (other.ImdbId, other.TmdbId));
    }
}
