using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using MovieRec.Api.Contracts;
using MovieRec.Api.Hosting;

namespace MovieRec.Api.Tests;

/// <summary>Live feedback over HTTP: ratings (single, batch, delete), events, the merged and paged ratings view, API keys.</summary>
public sealed class FeedbackApiTests(MovieRecApiFactory factory) : IClassFixture<MovieRecApiFactory>, IAsyncLifetime
{
    private HttpClient _client = null!;
    private ServedBundle _bundle = null!;

    public async Task InitializeAsync()
    {
        _client = factory.CreateClient();
        // The factory configures an admin key, so writes need a key: the admin key includes write.
        _client.DefaultRequestHeaders.Add("X-Api-Key", MovieRecApiFactory.AdminKey);
        _bundle = await factory.WaitUntilReadyAsync();
    }

    public Task DisposeAsync()
    {
        _client.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_new_user_becomes_live_with_a_first_rating_and_gets_recommendations_without_it()
    {
        const int user = 900_001;
        int movie = Fixtures.MovieId(3);
        RatingWrittenResponse written = await ApiAssert.OkAsync<RatingWrittenResponse>(
            await _client.PostAsJsonAsync($"/users/{user}/ratings", new { movieId = movie, rating = 5.0 }));
        Assert.True(written.NewUser);
        Assert.True(written.Sequence > 0);

        UserRatingsResponse ratings = await ApiAssert.OkAsync<UserRatingsResponse>(await _client.GetAsync($"/users/{user}/ratings"));
        UserRatingResponse only = Assert.Single(ratings.Ratings);
        Assert.Equal((movie, 5f, "live"), (only.MovieId, only.Rating, only.Source));

        RecommendationResponse top = await ApiAssert.OkAsync<RecommendationResponse>(await _client.GetAsync($"/recommend/user?userId={user}&n=20&model=implicit-als"));
        Assert.Equal("fold-in", top.Method);
        Assert.DoesNotContain(top.Items, i => i.MovieId == movie);
        Assert.Equal(written.Sequence, top.LiveVersion);
    }

    [Fact]
    public async Task Explanations_name_rated_movies_and_removing_the_top_one_lowers_the_score()
    {
        const int user = 900_060;
        float[] given = [5, 4.5f, 4, 5, 3.5f, 5];
        for (int m = 0; m < given.Length; m++)
        {
            await ApiAssert.OkAsync<RatingWrittenResponse>(await _client.PostAsJsonAsync($"/users/{user}/ratings", new { movieId = Fixtures.MovieId(m * 3), rating = given[m] }));
        }

        RecommendationResponse first = await ApiAssert.OkAsync<RecommendationResponse>(
            await _client.GetAsync($"/recommend/user?userId={user}&n=5&explain=true&model=implicit-als"));
        RankedMovie best = first.Items[0];
        Assert.NotNull(best.Because);
        Assert.Equal(3, best.Because!.Count);
        Assert.All(best.Because, b => Assert.Contains(b.MovieId, Enumerable.Range(0, given.Length).Select(m => Fixtures.MovieId(m * 3))));
        Assert.True(best.Because[0].Weight >= best.Because[1].Weight && best.Because[1].Weight >= best.Because[2].Weight);

        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteAsync($"/users/{user}/ratings/{best.Because[0].MovieId}")).StatusCode);
        RecommendationResponse after = await ApiAssert.OkAsync<RecommendationResponse>(
            await _client.GetAsync($"/recommend/user?userId={user}&n=100&explain=true&model=implicit-als"));
        float score = after.Items.Single(i => i.MovieId == best.MovieId).Score;
        Assert.True(score < best.Score, $"the score of {best.MovieId} was {best.Score} and is {score} without {best.Because[0].MovieId}");
    }

    [Fact]
    public async Task Pages_of_recommendations_do_not_repeat()
    {
        int user = _bundle.Ratings.Users.RawId(11);
        var seen = new List<int>();
        for (int offset = 0; offset < 30; offset += 10)
        {
            RecommendationResponse page = await ApiAssert.OkAsync<RecommendationResponse>(await _client.GetAsync($"/recommend/user?userId={user}&n=10&offset={offset}"));
            Assert.Equal(offset + 1, page.Items[0].Rank);
            seen.AddRange(page.Items.Select(i => i.MovieId));
        }

        RecommendationResponse whole = await ApiAssert.OkAsync<RecommendationResponse>(await _client.GetAsync($"/recommend/user?userId={user}&n=30"));
        Assert.Equal(whole.Items.Select(i => i.MovieId), seen);
        Assert.Equal(seen.Count, seen.Distinct().Count());
    }

    [Fact]
    public async Task A_second_rating_of_the_same_movie_replaces_the_first()
    {
        const int user = 900_002;
        int movie = Fixtures.MovieId(4);
        await ApiAssert.OkAsync<RatingWrittenResponse>(await _client.PostAsJsonAsync($"/users/{user}/ratings", new { movieId = movie, rating = 1.0 }));
        RatingWrittenResponse second = await ApiAssert.OkAsync<RatingWrittenResponse>(
            await _client.PostAsJsonAsync($"/users/{user}/ratings", new { movieId = movie, rating = 4.5, timestamp = 1234 }));
        Assert.False(second.NewUser);

        UserRatingsResponse ratings = await ApiAssert.OkAsync<UserRatingsResponse>(await _client.GetAsync($"/users/{user}/ratings"));
        Assert.Equal((4.5f, 1), (Assert.Single(ratings.Ratings).Rating, ratings.Count));
    }

    [Fact]
    public async Task A_rating_of_a_user_in_the_data_overlays_the_dataset_and_leaves_the_recommendations()
    {
        int user = _bundle.Ratings.Users.RawId(5);
        RecommendationResponse before = await ApiAssert.OkAsync<RecommendationResponse>(await _client.GetAsync($"/recommend/user?userId={user}&n=10&model=implicit-als"));
        int movie = before.Items[0].MovieId;

        await ApiAssert.OkAsync<RatingWrittenResponse>(await _client.PostAsJsonAsync($"/users/{user}/ratings", new { movieId = movie, rating = 2.0 }));
        RecommendationResponse after = await ApiAssert.OkAsync<RecommendationResponse>(await _client.GetAsync($"/recommend/user?userId={user}&n=10&model=implicit-als"));
        Assert.DoesNotContain(after.Items, i => i.MovieId == movie);

        UserRatingsResponse ratings = await ApiAssert.OkAsync<UserRatingsResponse>(await _client.GetAsync($"/users/{user}/ratings?pageSize=1000"));
        Assert.Equal(_bundle.Ratings.UserRatingCount(5) + 1, ratings.Count);
        Assert.Equal(1, ratings.LiveRatings);
    }

    [Fact]
    public async Task A_batch_is_stored_whole_and_a_bad_row_stores_nothing_and_is_named()
    {
        object Row(int user, int m, double rating) => new { userId = user, movieId = Fixtures.MovieId(m), rating };
        BatchWrittenResponse ok = await ApiAssert.OkAsync<BatchWrittenResponse>(await _client.PostAsJsonAsync("/ratings/batch",
            new { ratings = new[] { Row(900_010, 1, 4), Row(900_010, 2, 3), Row(900_011, 1, 5) } }));
        Assert.Equal((3, 2), (ok.Count, ok.Users));

        HttpResponseMessage bad = await _client.PostAsJsonAsync("/ratings/batch",
            new { ratings = new[] { Row(900_012, 1, 4), Row(900_012, 2, 9), Row(900_012, 3, 4) } });
        JsonElement problem = await ApiAssert.ProblemAsync(bad, HttpStatusCode.BadRequest);
        Assert.Equal(["ratings[1].rating"], ApiAssert.ErrorFields(problem));
        Assert.StartsWith("Row 1:", ApiAssert.Detail(problem), StringComparison.Ordinal);
        await ApiAssert.ProblemAsync(await _client.GetAsync("/users/900012/ratings"), HttpStatusCode.NotFound);

        JsonElement unknownMovie = await ApiAssert.ProblemAsync(await _client.PostAsJsonAsync("/ratings/batch",
            new { ratings = new[] { Row(900_013, 1, 4), new { userId = 900_013, movieId = 99_999_999, rating = 4.0 } } }), HttpStatusCode.BadRequest);
        Assert.Equal(["ratings[1].movieId"], ApiAssert.ErrorFields(unknownMovie));
    }

    [Fact]
    public async Task A_batch_over_ten_thousand_rows_is_refused()
    {
        var json = new StringBuilder("{\"ratings\":[");
        for (int k = 0; k <= 10_000; k++)
        {
            json.Append(k == 0 ? "" : ",").Append("{\"userId\":1,\"movieId\":").Append(Fixtures.MovieId(k % 50)).Append(",\"rating\":3}");
        }

        json.Append("]}");
        JsonElement problem = await ApiAssert.ProblemAsync(await _client.PostJsonTextAsync("/ratings/batch", json.ToString()), HttpStatusCode.BadRequest);
        Assert.Equal(["ratings"], ApiAssert.ErrorFields(problem));
    }

    [Fact]
    public async Task Deleting_a_dataset_rating_hides_it_and_a_second_delete_is_404()
    {
        int user = _bundle.Ratings.Users.RawId(7);
        int movie = _bundle.Ratings.Items.RawId(_bundle.Ratings.ItemsOf(7)[0]);
        HttpResponseMessage deleted = await _client.DeleteAsync($"/users/{user}/ratings/{movie}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);

        UserRatingsResponse ratings = await ApiAssert.OkAsync<UserRatingsResponse>(await _client.GetAsync($"/users/{user}/ratings?pageSize=1000"));
        Assert.DoesNotContain(ratings.Ratings, r => r.MovieId == movie);
        Assert.Equal(_bundle.Ratings.UserRatingCount(7) - 1, ratings.Count);
        await ApiAssert.ProblemAsync(await _client.DeleteAsync($"/users/{user}/ratings/{movie}"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Ratings_page_with_page_and_page_size()
    {
        int user = _bundle.Ratings.Users.RawId(2);
        int count = _bundle.Ratings.UserRatingCount(2);
        UserRatingsResponse first = await ApiAssert.OkAsync<UserRatingsResponse>(await _client.GetAsync($"/users/{user}/ratings?page=1&pageSize=5"));
        UserRatingsResponse second = await ApiAssert.OkAsync<UserRatingsResponse>(await _client.GetAsync($"/users/{user}/ratings?page=2&pageSize=5"));
        Assert.Equal((count, 5, (count + 4) / 5), (first.Count, first.Ratings.Count, first.Pages));
        Assert.Empty(first.Ratings.Select(r => r.MovieId).Intersect(second.Ratings.Select(r => r.MovieId)));
        Assert.True(first.Ratings[^1].Rating >= second.Ratings[0].Rating);

        JsonElement problem = await ApiAssert.ProblemAsync(await _client.GetAsync($"/users/{user}/ratings?pageSize=0"), HttpStatusCode.BadRequest);
        Assert.Equal(["pageSize"], ApiAssert.ErrorFields(problem));
    }

    [Theory]
    [InlineData("{\"rating\":4}", "movieId")]
    [InlineData("{\"movieId\":1}", "rating")]
    [InlineData("{\"movieId\":1,\"rating\":7}", "rating")]
    [InlineData("{\"movieId\":1,\"rating\":4,\"timestamp\":-5}", "timestamp")]
    public async Task A_bad_rating_is_a_400_naming_the_field(string body, string field)
    {
        JsonElement problem = await ApiAssert.ProblemAsync(await _client.PostJsonTextAsync("/users/900020/ratings", body), HttpStatusCode.BadRequest);
        Assert.Equal([field], ApiAssert.ErrorFields(problem));
    }

    [Fact]
    public async Task A_rating_of_a_movie_outside_the_catalogue_is_404()
    {
        JsonElement problem = await ApiAssert.ProblemAsync(
            await _client.PostAsJsonAsync("/users/900021/ratings", new { movieId = 99_999_999, rating = 3.0 }), HttpStatusCode.NotFound);
        Assert.Equal(99_999_999, problem.GetProperty("movieId").GetInt32());
    }

    [Fact]
    public async Task Events_are_recorded_and_a_bad_type_is_a_400()
    {
        EventResponse e = await ApiAssert.OkAsync<EventResponse>(await _client.PostAsJsonAsync("/events",
            new { userId = 900_030, movieId = Fixtures.MovieId(1), type = "click", recommendationId = "r-1" }));
        Assert.True(e.Id > 0);
        Assert.Equal(("click", "r-1"), (e.Type, e.RecommendationId));

        JsonElement problem = await ApiAssert.ProblemAsync(await _client.PostAsJsonAsync("/events",
            new { userId = 900_030, movieId = Fixtures.MovieId(1), type = "Bad Type!" }), HttpStatusCode.BadRequest);
        Assert.Equal(["type"], ApiAssert.ErrorFields(problem));
    }

    [Fact]
    public async Task Writes_need_a_write_key_when_keys_are_configured_and_reads_stay_open()
    {
        using WebApplicationFactory<Program> keyed = factory.WithWebHostBuilder(b => b
            .UseSetting("MovieRec:StatePath", Path.Combine(Path.GetTempPath(), "movierec-tests", Guid.NewGuid().ToString("N")))
            .UseSetting("MovieRec:ApiKeys:web:Key", "writer-key")
            .UseSetting("MovieRec:ApiKeys:web:Roles", "write")
            .UseSetting("MovieRec:ApiKeys:dash:Key", "admin-key-2")
            .UseSetting("MovieRec:ApiKeys:dash:Roles", "admin"));
        using HttpClient client = keyed.CreateClient();
        for (int i = 0; i < 600 && !(await client.GetAsync("/health/ready")).IsSuccessStatusCode; i++)
        {
            await Task.Delay(50);
        }

        object body = new { movieId = Fixtures.MovieId(1), rating = 4.0 };
        await ApiAssert.ProblemAsync(await client.PostAsJsonAsync("/users/900040/ratings", body), HttpStatusCode.Unauthorized);
        client.DefaultRequestHeaders.Add("X-Api-Key", "wrong");
        await ApiAssert.ProblemAsync(await client.PostAsJsonAsync("/users/900040/ratings", body), HttpStatusCode.Unauthorized);

        client.DefaultRequestHeaders.Remove("X-Api-Key");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/movies?pageSize=1")).StatusCode);

        foreach (string key in (string[])["writer-key", "admin-key-2", MovieRecApiFactory.AdminKey])
        {
            client.DefaultRequestHeaders.Remove("X-Api-Key");
            client.DefaultRequestHeaders.Add("X-Api-Key", key);
            await ApiAssert.OkAsync<RatingWrittenResponse>(await client.PostAsJsonAsync("/users/900040/ratings", body));
        }
    }

    [Fact]
    public async Task A_key_without_the_write_role_is_403_and_read_keys_close_reads()
    {
        using WebApplicationFactory<Program> keyed = factory.WithWebHostBuilder(b => b
            .UseSetting("MovieRec:StatePath", Path.Combine(Path.GetTempPath(), "movierec-tests", Guid.NewGuid().ToString("N")))
            .UseSetting("MovieRec:ApiKeys:reader:Key", "reader-key")
            .UseSetting("MovieRec:ApiKeys:reader:Roles", "read"));
        using HttpClient client = keyed.CreateClient();
        for (int i = 0; i < 600 && keyed.Services.GetService(typeof(ModelHost)) is ModelHost { Current: null }; i++)
        {
            await Task.Delay(50);
        }

        await ApiAssert.ProblemAsync(await client.GetAsync("/movies?pageSize=1"), HttpStatusCode.Unauthorized);
        client.DefaultRequestHeaders.Add("X-Api-Key", "reader-key");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/movies?pageSize=1")).StatusCode);
        JsonElement problem = await ApiAssert.ProblemAsync(
            await client.PostAsJsonAsync("/users/900041/ratings", new { movieId = Fixtures.MovieId(1), rating = 4.0 }), HttpStatusCode.Forbidden);
        Assert.Equal("write", problem.GetProperty("requiredRole").GetString());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
    }

    [Fact]
    public async Task Acknowledged_ratings_are_there_after_a_restart_over_the_same_state()
    {
        string state = Path.Combine(Path.GetTempPath(), "movierec-tests", Guid.NewGuid().ToString("N"));
        int movie = Fixtures.MovieId(6);
        using (WebApplicationFactory<Program> first = factory.WithWebHostBuilder(b => b.UseSetting("MovieRec:StatePath", state)))
        {
            using HttpClient client = first.CreateClient();
            client.DefaultRequestHeaders.Add("X-Api-Key", MovieRecApiFactory.AdminKey);
            await WaitReadyAsync(client);
            await ApiAssert.OkAsync<RatingWrittenResponse>(await client.PostAsJsonAsync("/users/900050/ratings", new { movieId = movie, rating = 3.5 }));
        }

        using WebApplicationFactory<Program> second = factory.WithWebHostBuilder(b => b.UseSetting("MovieRec:StatePath", state));
        using HttpClient again = second.CreateClient();
        await WaitReadyAsync(again);
        UserRatingsResponse ratings = await ApiAssert.OkAsync<UserRatingsResponse>(await again.GetAsync("/users/900050/ratings"));
        Assert.Equal((movie, 3.5f), (Assert.Single(ratings.Ratings).MovieId, ratings.Ratings[0].Rating));
        Assert.True(File.Exists(Path.Combine(state, "feedback.db")));
    }

    private static async Task WaitReadyAsync(HttpClient client)
    {
        for (int i = 0; i < 600 && !(await client.GetAsync("/health/ready")).IsSuccessStatusCode; i++)
        {
            await Task.Delay(50);
        }
    }
}
