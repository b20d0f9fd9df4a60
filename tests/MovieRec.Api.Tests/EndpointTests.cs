using System.Net;
using System.Text.Json;
using MovieRec.Api.Contracts;
using MovieRec.Api.Hosting;

namespace MovieRec.Api.Tests;

/// <summary>Every endpoint and every documented error, over the bundle the factory trained on the fixture.</summary>
public sealed class EndpointTests(MovieRecApiFactory factory) : IClassFixture<MovieRecApiFactory>, IAsyncLifetime
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

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    public async Task Health_endpoints_answer_healthy_once_a_bundle_serves(string url)
    {
        HttpResponseMessage response = await _client.GetAsync(url);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Predict_answers_a_known_pair_from_the_model()
    {
        int movie = Fixtures.MovieId(0);

        PredictionResponse p = await ApiAssert.OkAsync<PredictionResponse>(
            await _client.PostAsJsonAsync("/predict", new PredictRequest { UserId = 1, MovieId = movie, Model = "svd" }));

        Assert.Equal((1, movie, "svd"), (p.UserId, p.MovieId, p.Model));
        Assert.False(p.IsFallback);
        Assert.Null(p.FallbackReason);
        Assert.InRange(p.Rating, 0.5f, 5f);
        Assert.Equal(_bundle.Bundle.Models["svd"].Predict(1, movie).Rating, p.Rating);
    }

    [Fact]
    public async Task Predict_unknown_user_or_movie_is_404_naming_the_id()
    {
        JsonElement user = await ApiAssert.ProblemAsync(
            await _client.PostAsJsonAsync("/predict", new PredictRequest { UserId = 9999, MovieId = 1 }), HttpStatusCode.NotFound);
        JsonElement movie = await ApiAssert.ProblemAsync(
            await _client.PostAsJsonAsync("/predict", new PredictRequest { UserId = 1, MovieId = 8888 }), HttpStatusCode.NotFound);

        Assert.Contains("9999", ApiAssert.Detail(user), StringComparison.Ordinal);
        Assert.Equal(9999, user.GetProperty("userId").GetInt32());
        Assert.Contains("8888", ApiAssert.Detail(movie), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Predict_with_allowFallback_says_which_fallback_answered()
    {
        PredictionResponse p = await ApiAssert.OkAsync<PredictionResponse>(
            await _client.PostAsJsonAsync("/predict", new PredictRequest { UserId = 9999, MovieId = 1, AllowFallback = true }));

        Assert.True(p.IsFallback);
        Assert.Contains("user 9999", p.FallbackReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_model_is_400_listing_the_available_ones()
    {
        JsonElement problem = await ApiAssert.ProblemAsync(
            await _client.PostAsJsonAsync("/predict", new PredictRequest { UserId = 1, MovieId = 1, Model = "nope" }), HttpStatusCode.BadRequest);
        JsonElement viaQuery = await ApiAssert.ProblemAsync(
            await _client.GetAsync("/recommend/user?userId=1&model=nope"), HttpStatusCode.BadRequest);

        Assert.Equal(["model"], ApiAssert.ErrorFields(problem));
        foreach (string name in MovieRecApiFactory.Models.Split(','))
        {
            Assert.Contains(name, ApiAssert.Detail(problem), StringComparison.Ordinal);
            Assert.Contains(name, ApiAssert.Detail(viaQuery), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("""{"userId":"one","movieId":1}""", "userId")]
    [InlineData("""{"userId":1,"movieId":[1]}""", "movieId")]
    [InlineData("""{"userId":1,""", "body")]
    [InlineData("not json", "body")]
    public async Task Malformed_json_is_400_naming_the_field(string json, string field)
    {
        JsonElement problem = await ApiAssert.ProblemAsync(await _client.PostJsonTextAsync("/predict", json), HttpStatusCode.BadRequest);

        Assert.Equal([field], ApiAssert.ErrorFields(problem));
    }

    [Fact]
    public async Task A_missing_body_is_400_naming_the_body()
    {
        JsonElement problem = await ApiAssert.ProblemAsync(await _client.PostAsync("/predict", null), HttpStatusCode.BadRequest);

        Assert.Equal(["body"], ApiAssert.ErrorFields(problem));
    }

    [Fact]
    public async Task A_query_value_that_is_not_a_number_is_400_naming_the_parameter()
    {
        JsonElement problem = await ApiAssert.ProblemAsync(await _client.GetAsync("/recommend/user?userId=abc"), HttpStatusCode.BadRequest);

        Assert.Contains("userId", ApiAssert.Detail(problem), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Request_bodies_over_the_limit_are_refused_with_413()
    {
        string big = $$"""{"ratings":[{{string.Join(',', Enumerable.Repeat("""{"movieId":1,"rating":4}""", 400))}}],"n":10}""";

        JsonElement problem = await ApiAssert.ProblemAsync(await _client.PostJsonTextAsync("/recommend", big), HttpStatusCode.RequestEntityTooLarge);

        Assert.Contains("4096", ApiAssert.Detail(problem), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Batch_predicts_every_pair_in_order()
    {
        var request = new PredictBatchRequest { Pairs = [new() { UserId = 1, MovieId = 1 }, new() { UserId = 2, MovieId = 4 }, new() { UserId = 3, MovieId = 7 }] };

        PredictBatchResponse batch = await ApiAssert.OkAsync<PredictBatchResponse>(await _client.PostAsJsonAsync("/predict/batch", request));

        Assert.Equal(_bundle.Id, batch.BundleId);
        Assert.Equal([1, 2, 3], batch.Predictions.Select(p => p.UserId));
        Assert.Equal([1, 4, 7], batch.Predictions.Select(p => p.MovieId));
    }

    [Fact]
    public async Task Batch_errors_name_the_field_or_the_unknown_id()
    {
        JsonElement empty = await ApiAssert.ProblemAsync(
            await _client.PostAsJsonAsync("/predict/batch", new PredictBatchRequest { Pairs = [] }), HttpStatusCode.BadRequest);
        JsonElement unknown = await ApiAssert.ProblemAsync(
            await _client.PostAsJsonAsync("/predict/batch", new PredictBatchRequest { Pairs = [new() { UserId = 1, MovieId = 1 }, new() { UserId = 777, MovieId = 1 }] }),
            HttpStatusCode.NotFound);
        PredictBatchResponse allowed = await ApiAssert.OkAsync<PredictBatchResponse>(
            await _client.PostAsJsonAsync("/predict/batch", new PredictBatchRequest { Pairs = [new() { UserId = 777, MovieId = 1 }], AllowFallback = true }));

        Assert.Equal(["pairs"], ApiAssert.ErrorFields(empty));
        Assert.Contains("777", ApiAssert.Detail(unknown), StringComparison.Ordinal);
        Assert.True(allowed.Predictions[0].IsFallback);
    }

    [Theory]
    [InlineData("svd")]
    [InlineData("implicit-als")]
    [InlineData("popular")]
    [InlineData("baseline")]
    public async Task Recommend_user_ranks_unrated_movies_with_their_catalogue_entries(string model)
    {
        RecommendationResponse r = await ApiAssert.OkAsync<RecommendationResponse>(
            await _client.GetAsync($"/recommend/user?userId=5&n=7&model={model}"));

        Assert.Equal(7, r.Items.Count);
        Assert.Equal(Enumerable.Range(1, 7), r.Items.Select(i => i.Rank));
        Assert.All(r.Items, i => Assert.StartsWith("Movie ", i.Title, StringComparison.Ordinal));
        Assert.All(r.Items, i => Assert.NotNull(i.Year));
        Assert.True(r.Items.Zip(r.Items.Skip(1)).All(p => p.First.Score >= p.Second.Score));
        int u = _bundle.Ratings.Users.IndexOf(5);
        HashSet<int> rated = [.. _bundle.Ratings.ItemsOf(u).ToArray().Select(_bundle.Ratings.Items.RawId)];
        Assert.DoesNotContain(r.Items, i => rated.Contains(i.MovieId));
        Assert.Equal(("model", model), (r.Method, r.AnsweredBy));
    }

    [Fact]
    public async Task Recommend_user_filters_by_genre_and_can_include_rated_movies()
    {
        RecommendationResponse comedy = await ApiAssert.OkAsync<RecommendationResponse>(
            await _client.GetAsync("/recommend/user?userId=5&n=5&genre=comedy"));
        RecommendationResponse all = await ApiAssert.OkAsync<RecommendationResponse>(
            await _client.GetAsync($"/recommend/user?userId=5&n={Fixtures.Movies}&excludeRated=false"));

        Assert.NotEmpty(comedy.Items);
        Assert.All(comedy.Items, i => Assert.Contains("Comedy", i.Genres));
        Assert.Equal(Fixtures.Movies, all.Items.Count);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(101)]
    public async Task N_outside_1_to_100_is_400_naming_n(int n)
    {
        JsonElement get = await ApiAssert.ProblemAsync(await _client.GetAsync($"/recommend/user?userId=1&n={n}"), HttpStatusCode.BadRequest);
        JsonElement post = await ApiAssert.ProblemAsync(
            await _client.PostAsJsonAsync("/recommend", new VisitorRecommendationRequest { N = n }), HttpStatusCode.BadRequest);
        JsonElement similar = await ApiAssert.ProblemAsync(await _client.GetAsync($"/movies/1/similar?n={n}"), HttpStatusCode.BadRequest);

        Assert.Equal(["n"], ApiAssert.ErrorFields(get));
        Assert.Equal(["n"], ApiAssert.ErrorFields(post));
        Assert.Equal(["n"], ApiAssert.ErrorFields(similar));
    }

    [Fact]
    public async Task Recommend_user_for_an_unknown_user_is_404_unless_a_fallback_is_asked_for()
    {
        JsonElement problem = await ApiAssert.ProblemAsync(await _client.GetAsync("/recommend/user?userId=4242"), HttpStatusCode.NotFound);
        RecommendationResponse fallback = await ApiAssert.OkAsync<RecommendationResponse>(
            await _client.GetAsync("/recommend/user?userId=4242&n=3&allowFallback=true"));

        Assert.Contains("4242", ApiAssert.Detail(problem), StringComparison.Ordinal);
        Assert.Equal("non-personal", fallback.Method);
        Assert.Contains("4242", fallback.FallbackReason, StringComparison.Ordinal);
        Assert.Equal(3, fallback.Items.Count);
    }

    [Fact]
    public async Task Unknown_genre_is_400_listing_the_genres()
    {
        JsonElement problem = await ApiAssert.ProblemAsync(await _client.GetAsync("/recommend/user?userId=1&genre=Western"), HttpStatusCode.BadRequest);

        Assert.Equal(["genre"], ApiAssert.ErrorFields(problem));
        Assert.Contains("Sci-Fi", ApiAssert.Detail(problem), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_visitor_is_folded_into_a_factorization_model_and_never_gets_what_they_rated()
    {
        int[] rated = [Fixtures.MovieId(0), Fixtures.MovieId(1), Fixtures.MovieId(2)];
        var request = new VisitorRecommendationRequest
        {
            Ratings = [.. rated.Select(m => new VisitorRating { MovieId = m, Rating = 4.5f })],
            N = 5,
        };

        RecommendationResponse r = await ApiAssert.OkAsync<RecommendationResponse>(await _client.PostAsJsonAsync("/recommend", request));

        Assert.Null(r.UserId);
        Assert.Equal(("fold-in", "implicit-als", null), (r.Method, r.AnsweredBy, r.FallbackReason));
        Assert.Equal(5, r.Items.Count);
        Assert.DoesNotContain(r.Items, i => rated.Contains(i.MovieId));
    }

    [Fact]
    public async Task A_folded_in_visitor_can_ask_for_one_genre()
    {
        var request = new VisitorRecommendationRequest { Ratings = [new() { MovieId = 1, Rating = 5 }], N = 4, Genre = "drama" };

        RecommendationResponse r = await ApiAssert.OkAsync<RecommendationResponse>(await _client.PostAsJsonAsync("/recommend", request));

        Assert.Equal(4, r.Items.Count);
        Assert.All(r.Items, i => Assert.Contains("Drama", i.Genres));
    }

    [Fact]
    public async Task Repeated_recommendations_are_identical_and_reported_by_the_serving_bundle()
    {
        RecommendationResponse first = await ApiAssert.OkAsync<RecommendationResponse>(await _client.GetAsync("/recommend/user?userId=9&n=6"));
        RecommendationResponse second = await ApiAssert.OkAsync<RecommendationResponse>(await _client.GetAsync("/recommend/user?userId=9&n=6"));

        Assert.Equal(first.Items.Select(i => (i.MovieId, i.Score)), second.Items.Select(i => (i.MovieId, i.Score)));
        Assert.Equal(_bundle.Id, first.BundleId);
        // No model named: MovieRec:DefaultModel (hybrid), which this bundle lacks, so the best ranker it has (implicit-als).
        Assert.Equal("implicit-als", first.Model);
        Assert.Equal(_bundle.Bundle.Models["implicit-als"].Recommend(9, 6).Select(s => s.MovieId), first.Items.Select(i => i.MovieId));
    }

    [Fact]
    public async Task A_visitor_without_ratings_or_with_a_model_that_cannot_fold_in_gets_popular_movies_and_the_reason()
    {
        RecommendationResponse none = await ApiAssert.OkAsync<RecommendationResponse>(
            await _client.PostAsJsonAsync("/recommend", new VisitorRecommendationRequest { N = 4 }));
        RecommendationResponse baseline = await ApiAssert.OkAsync<RecommendationResponse>(await _client.PostAsJsonAsync("/recommend",
            new VisitorRecommendationRequest { Ratings = [new() { MovieId = 1, Rating = 5 }], N = 4, Model = "baseline" }));

        Assert.Equal(("popularity", "popular"), (none.Method, none.AnsweredBy));
        Assert.Contains("no ratings", none.FallbackReason, StringComparison.Ordinal);
        Assert.Equal(("popularity", "popular", "baseline"), (baseline.Method, baseline.AnsweredBy, baseline.Model));
        Assert.Contains("cannot fold in", baseline.FallbackReason, StringComparison.Ordinal);
        Assert.DoesNotContain(baseline.Items, i => i.MovieId == 1);
        Assert.Equal(_bundle.Bundle.Models["popular"].Recommend(-1, 4).Select(s => s.MovieId), none.Items.Select(i => i.MovieId));
    }

    [Fact]
    public async Task Visitor_ratings_off_the_scale_or_of_unknown_movies_are_refused()
    {
        JsonElement scale = await ApiAssert.ProblemAsync(await _client.PostAsJsonAsync("/recommend",
            new VisitorRecommendationRequest { Ratings = [new() { MovieId = 1, Rating = 4 }, new() { MovieId = 4, Rating = 7 }] }), HttpStatusCode.BadRequest);
        JsonElement unknown = await ApiAssert.ProblemAsync(await _client.PostAsJsonAsync("/recommend",
            new VisitorRecommendationRequest { Ratings = [new() { MovieId = 5555, Rating = 4 }] }), HttpStatusCode.NotFound);

        Assert.Equal(["ratings[1].rating"], ApiAssert.ErrorFields(scale));
        Assert.Contains("5555", ApiAssert.Detail(unknown), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Movies_search_by_text_and_genre_a_page_at_a_time()
    {
        MoviePage first = await ApiAssert.OkAsync<MoviePage>(await _client.GetAsync("/movies?query=movie 1&genre=Animation&page=1&pageSize=2"));
        MoviePage second = await ApiAssert.OkAsync<MoviePage>(await _client.GetAsync("/movies?query=movie 1&genre=Animation&page=2&pageSize=2"));
        MoviePage everything = await ApiAssert.OkAsync<MoviePage>(await _client.GetAsync("/movies?pageSize=100"));

        // "Movie 1", "Movie 10".."Movie 19" with i % 5 == 0 are Animation: 10 and 15.
        Assert.Equal(2, first.Total);
        Assert.Equal(["Movie 10, The (2000)", "Movie 15, The (2005)"], first.Items.Select(m => m.Title).Order());
        Assert.Empty(second.Items);
        Assert.Equal(Fixtures.Movies + 2, everything.Total);
        Assert.Equal(everything.Items.Select(m => m.MovieId).Order(), everything.Items.Select(m => m.MovieId));
    }

    [Theory]
    [InlineData("/movies?page=0", "page")]
    [InlineData("/movies?pageSize=0", "pageSize")]
    [InlineData("/movies?pageSize=101", "pageSize")]
    [InlineData("/movies?genre=Western", "genre")]
    public async Task Movies_search_refuses_bad_paging_naming_the_field(string url, string field)
    {
        JsonElement problem = await ApiAssert.ProblemAsync(await _client.GetAsync(url), HttpStatusCode.BadRequest);

        Assert.Equal([field], ApiAssert.ErrorFields(problem));
    }

    [Fact]
    public async Task A_movie_by_id_with_its_rating_statistics()
    {
        MovieResponse movie = await ApiAssert.OkAsync<MovieResponse>(await _client.GetAsync("/movies/1"));
        MovieResponse unrated = await ApiAssert.OkAsync<MovieResponse>(await _client.GetAsync($"/movies/{Fixtures.MovieId(Fixtures.Movies)}"));
        JsonElement problem = await ApiAssert.ProblemAsync(await _client.GetAsync("/movies/31337"), HttpStatusCode.NotFound);

        Assert.Equal(("Movie 0, The (1990)", 1990), (movie.Title, movie.Year));
        Assert.Equal(["Animation", "Children"], movie.Genres);
        Assert.Equal(_bundle.Ratings.ItemRatingCount(_bundle.Ratings.Items.IndexOf(1)), movie.RatingCount);
        Assert.NotNull(movie.MeanRating);
        Assert.Equal((0, null), (unrated.RatingCount, unrated.MeanRating));
        Assert.Contains("31337", ApiAssert.Detail(problem), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Similar_movies_by_svd_exclude_the_movie_itself()
    {
        SimilarMoviesResponse r = await ApiAssert.OkAsync<SimilarMoviesResponse>(await _client.GetAsync("/movies/4/similar?n=5&model=svd"));

        Assert.Equal((4, "svd"), (r.MovieId, r.Model));
        Assert.Equal(5, r.Items.Count);
        Assert.DoesNotContain(r.Items, i => i.MovieId == 4);
        Assert.All(r.Items, i => Assert.InRange(i.Score, -1.001f, 1.001f));
    }

    [Fact]
    public async Task Similar_movies_errors_name_the_model_or_the_movie()
    {
        JsonElement unsupported = await ApiAssert.ProblemAsync(await _client.GetAsync("/movies/4/similar?model=baseline"), HttpStatusCode.BadRequest);
        JsonElement unknownModel = await ApiAssert.ProblemAsync(await _client.GetAsync("/movies/4/similar?model=item-knn"), HttpStatusCode.BadRequest);
        JsonElement unknownMovie = await ApiAssert.ProblemAsync(await _client.GetAsync("/movies/31337/similar"), HttpStatusCode.NotFound);

        Assert.Contains("svd", ApiAssert.Detail(unsupported), StringComparison.Ordinal);
        Assert.Equal(["model"], ApiAssert.ErrorFields(unknownModel));
        Assert.Contains("31337", ApiAssert.Detail(unknownMovie), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_users_ratings_highest_first()
    {
        UserRatingsResponse r = await ApiAssert.OkAsync<UserRatingsResponse>(await _client.GetAsync("/users/3/ratings"));
        JsonElement problem = await ApiAssert.ProblemAsync(await _client.GetAsync("/users/4040/ratings"), HttpStatusCode.NotFound);

        Assert.Equal(_bundle.Ratings.UserRatingCount(_bundle.Ratings.Users.IndexOf(3)), r.Count);
        Assert.Equal(r.Count, r.Ratings.Count);
        Assert.True(r.Ratings.Zip(r.Ratings.Skip(1)).All(p => p.First.Rating >= p.Second.Rating));
        Assert.All(r.Ratings, x => Assert.NotNull(x.Title));
        Assert.Contains("4040", ApiAssert.Detail(problem), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Models_lists_the_bundle_version_and_every_model_with_its_options()
    {
        ModelsResponse r = await ApiAssert.OkAsync<ModelsResponse>(await _client.GetAsync("/models"));

        Assert.Equal(_bundle.Id, r.BundleId);
        Assert.Equal(MovieRecApiFactory.Models.Split(','), r.Models.Select(m => m.Name));
        Assert.Equal((Fixtures.Users, Fixtures.Movies + 2), (r.Users, r.Movies));
        ModelResponse svd = r.Models.Single(m => m.Name == "svd");
        Assert.True(svd.SupportsSimilar && svd.SupportsFoldIn);
        Assert.True(svd.Options!.Value.TryGetProperty("factors", out _));
        Assert.False(r.Models.Single(m => m.Name == "popular").SupportsFoldIn);
    }

    [Fact]
    public async Task Swagger_documents_every_endpoint_with_examples()
    {
        using JsonDocument doc = JsonDocument.Parse(await _client.GetStringAsync("/swagger/v1/swagger.json"));
        HttpResponseMessage ui = await _client.GetAsync("/swagger/index.html");

        string[] paths = [.. doc.RootElement.GetProperty("paths").EnumerateObject().Select(p => p.Name)];
        Assert.Equal(
            ["/admin/experiments", "/admin/experiments/{name}", "/admin/reload", "/admin/retrain", "/events", "/experiments", "/experiments/{name}", "/health", "/models", "/movies", "/movies/{id}", "/movies/{id}/similar", "/predict", "/predict/batch", "/ratings/batch",
                "/recommend", "/recommend/batch", "/recommend/user", "/users/{id}/ratings", "/users/{userId}/ratings", "/users/{userId}/ratings/{movieId}"],
            paths.Order(StringComparer.Ordinal));
        JsonElement predict = doc.RootElement.GetProperty("components").GetProperty("schemas").GetProperty("PredictRequest");
        Assert.Equal(1, predict.GetProperty("example").GetProperty("userId").GetInt32());
        Assert.Equal("MovieLens user id.", predict.GetProperty("properties").GetProperty("userId").GetProperty("description").GetString());
        Assert.Equal(HttpStatusCode.OK, ui.StatusCode);
    }
}
