using System.Net;
using System.Text.Json;
using MovieRec.Api.Apis;
using MovieRec.Api.Contracts;

namespace MovieRec.Api.Tests;

/// <summary>
/// POST /recommend/batch over the synthetic fixture: each entry is byte for byte what GET /recommend/user answers for that
/// user (live ratings, paging, genre and fallback included), in request order; bad input is a 400 naming the field.
/// </summary>
public sealed class BatchRecommendationTests(MovieRecApiFactory factory) : IClassFixture<MovieRecApiFactory>, IAsyncLifetime
{
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _client = factory.CreateClient();
        _client.DefaultRequestHeaders.Add("X-Api-Key", MovieRecApiFactory.AdminKey);
        await factory.WaitUntilReadyAsync();
    }

    public Task DisposeAsync()
    {
        _client.Dispose();
        return Task.CompletedTask;
    }

    [Theory]
    [InlineData(null, 10, 0, null, true)]
    [InlineData("svd", 10, 0, null, true)]
    [InlineData("implicit-als", 5, 3, null, true)]
    [InlineData("svd", 7, 0, "Comedy", true)]
    [InlineData("implicit-als", 20, 0, null, false)]
    [InlineData("baseline", 10, 2, "drama", true)]
    [InlineData("popular", 10, 0, null, true)]
    public async Task Each_entry_is_what_the_single_call_answers(string? model, int n, int offset, string? genre, bool excludeRated)
    {
        int[] users = [.. Enumerable.Range(1, 40), 3, 1];
        await BatchEqualsSingleCalls.AssertAsync(_client, users, model, n, offset, genre, excludeRated);
    }

    [Fact]
    public async Task A_user_with_live_ratings_gets_the_same_fold_in_list_as_the_single_call()
    {
        const int user = 7, stranger = 90_007;
        await ApiAssert.OkAsync<RatingWrittenResponse>(await _client.PostAsJsonAsync($"/users/{user}/ratings", new { movieId = 4, rating = 5.0 }));
        await ApiAssert.OkAsync<RatingWrittenResponse>(await _client.PostAsJsonAsync($"/users/{stranger}/ratings", new { movieId = 7, rating = 4.5 }));
        foreach (string? model in (string?[])[null, "svd", "implicit-als"])
        {
            JsonElement[] entries = await BatchEqualsSingleCalls.AssertAsync(_client, [1, user, stranger, 2], model, 10, 0, null, true);
            Assert.Equal("fold-in", entries[1].GetProperty("method").GetString());
            Assert.Equal("fold-in", entries[2].GetProperty("method").GetString());
            Assert.True(entries[1].GetProperty("liveVersion").GetInt64() > 0);
            Assert.DoesNotContain(entries[1].GetProperty("items").EnumerateArray(), i => i.GetProperty("movieId").GetInt32() == 4);
        }
    }

    [Fact]
    public async Task Unknown_users_are_a_404_naming_them_unless_fallback_is_allowed()
    {
        JsonElement problem = await ApiAssert.ProblemAsync(
            await _client.PostJsonTextAsync("/recommend/batch", """{"userIds":[1,777,2,778,777]}"""), HttpStatusCode.NotFound);
        Assert.Equal([777, 778], problem.GetProperty("userIds").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Contains("777, 778", ApiAssert.Detail(problem), StringComparison.Ordinal);

        HttpResponseMessage response = await _client.PostJsonTextAsync("/recommend/batch", """{"userIds":[1,777],"allowFallback":true,"model":"svd"}""");
        string body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonElement[] entries = [.. JsonDocument.Parse(body).RootElement.GetProperty("results").EnumerateArray()];
        string single = await (await _client.GetAsync("/recommend/user?userId=777&model=svd&allowFallback=true")).Content.ReadAsStringAsync();
        Assert.Equal(single, entries[1].GetRawText());
        Assert.Equal("non-personal", entries[1].GetProperty("method").GetString());
    }

    [Theory]
    [InlineData("""{"userIds":[]}""", "userIds")]
    [InlineData("""{"userIds":null}""", "userIds")]
    [InlineData("""{}""", "userIds")]
    [InlineData("""{"userIds":[1,null]}""", "userIds[1]")]
    [InlineData("""{"userIds":"1"}""", "userIds")]
    [InlineData("""{"userIds":[1],"n":0}""", "n")]
    [InlineData("""{"userIds":[1],"n":101}""", "n")]
    [InlineData("""{"userIds":[1],"n":"ten"}""", "n")]
    [InlineData("""{"userIds":[1],"offset":-1}""", "offset")]
    [InlineData("""{"userIds":[1],"offset":10001}""", "offset")]
    [InlineData("""{"userIds":[1],"genre":"Polka"}""", "genre")]
    [InlineData("""{"userIds":[1],"model":"nope"}""", "model")]
    [InlineData("""[1,2]""", "body")]
    public async Task Bad_input_is_a_400_naming_the_field(string json, string field)
    {
        JsonElement problem = await ApiAssert.ProblemAsync(await _client.PostJsonTextAsync("/recommend/batch", json), HttpStatusCode.BadRequest);
        Assert.Contains(field, ApiAssert.ErrorFields(problem));
    }

    [Fact]
    public async Task More_than_the_limit_or_no_body_is_a_400()
    {
        string tooMany = JsonSerializer.Serialize(new { userIds = Enumerable.Repeat(1, BatchRecommendationApi.MaxUsers + 1) });
        JsonElement problem = await ApiAssert.ProblemAsync(await _client.PostJsonTextAsync("/recommend/batch", tooMany), HttpStatusCode.BadRequest);
        Assert.Equal(["userIds"], ApiAssert.ErrorFields(problem));
        Assert.Contains("1001", ApiAssert.Detail(problem), StringComparison.Ordinal);

        string limit = JsonSerializer.Serialize(new { userIds = Enumerable.Repeat(1, BatchRecommendationApi.MaxUsers), n = 1 });
        BatchRecommendationResponse full = await ApiAssert.OkAsync<BatchRecommendationResponse>(await _client.PostJsonTextAsync("/recommend/batch", limit));
        Assert.Equal(BatchRecommendationApi.MaxUsers, full.Results.Count);

        using var empty = new StringContent("", System.Text.Encoding.UTF8, "application/json");
        JsonElement missing = await ApiAssert.ProblemAsync(await _client.PostAsync("/recommend/batch", empty), HttpStatusCode.BadRequest);
        Assert.Contains("body", ApiAssert.ErrorFields(missing));
    }
}

/// <summary>Compares a batch's entries with the single calls, as raw JSON.</summary>
internal static class BatchEqualsSingleCalls
{
    /// <summary>Asserts entry k of the batch is exactly the body of GET /recommend/user for users[k]; returns the entries.</summary>
    public static async Task<JsonElement[]> AssertAsync(HttpClient client, int[] users, string? model, int n, int offset, string? genre, bool excludeRated)
    {
        var request = new Dictionary<string, object?> { ["userIds"] = users, ["n"] = n, ["model"] = model, ["offset"] = offset, ["excludeRated"] = excludeRated };
        if (genre is not null)
        {
            request["genre"] = genre;
        }

        HttpResponseMessage response = await client.PostAsJsonAsync("/recommend/batch", request);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"expected 200, got {(int)response.StatusCode}: {body}");
        JsonElement[] entries = [.. JsonDocument.Parse(body).RootElement.GetProperty("results").EnumerateArray().Select(e => e.Clone())];
        Assert.Equal(users.Length, entries.Length);
        string query = $"&n={n}&offset={offset}&excludeRated={excludeRated}" + (model is null ? "" : $"&model={model}")
            + (genre is null ? "" : $"&genre={Uri.EscapeDataString(genre)}");
        for (int k = 0; k < users.Length; k++)
        {
            HttpResponseMessage one = await client.GetAsync($"/recommend/user?userId={users[k]}{query}");
            string single = await one.Content.ReadAsStringAsync();
            Assert.True(one.StatusCode == HttpStatusCode.OK, $"GET for user {users[k]}: {(int)one.StatusCode} {single}");
            if (single != entries[k].GetRawText())
            {
                Assert.Fail($"model {model ?? "(default)"}, user {users[k]} (entry {k}): the batch entry differs from the single call.\n"
                    + $"batch:  {entries[k].GetRawText()}\nsingle: {single}");
            }
        }

        return entries;
    }
}
