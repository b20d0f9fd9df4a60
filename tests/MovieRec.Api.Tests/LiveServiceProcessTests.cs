using System.Diagnostics;
using MovieRec.Api.Contracts;
using MovieRec.Core.Data;
using MovieRec.Core.Training;

namespace MovieRec.Api.Tests;

/// <summary>
/// The service as a real process (`dotnet MovieRec.Api.dll`): an acknowledged rating survives <c>kill -9</c>, and two
/// processes over one PostgreSQL see each other's ratings within a second.
/// </summary>
public sealed class LiveServiceProcessTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly string _models;

    public LiveServiceProcessTests()
    {
        string data = Fixtures.WriteCsvDataset(_folder, Fixtures.SyntheticRatings());
        _models = Path.Combine(_folder.Path, "models");
        BundleTrainer.Train(MovieLensLoader.Load(data), new BundleTrainingOptions { Models = ["popular", "implicit-als"], Output = _models, Keep = 2 });
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Acknowledged_ratings_survive_kill_9_and_still_shape_the_list()
    {
        string state = Path.Combine(_folder.Path, "state");
        const int user = 700_001;
        int[] rated = [.. Enumerable.Range(0, 5).Select(Fixtures.MovieId)];
        RecommendationResponse before;
        using (ServiceProcess first = await ServiceProcess.StartAsync(_models, ("MovieRec__StatePath", state)))
        {
            foreach (int movie in rated)
            {
                await ApiAssert.OkAsync<RatingWrittenResponse>(await first.Client.PostAsJsonAsync($"/users/{user}/ratings", new { movieId = movie, rating = 5.0 }));
            }

            before = await ApiAssert.OkAsync<RecommendationResponse>(await first.Client.GetAsync($"/recommend/user?userId={user}&n=10"));
            Assert.Equal("fold-in", before.Method);
            first.Kill9();
        }

        using ServiceProcess second = await ServiceProcess.StartAsync(_models, ("MovieRec__StatePath", state));
        UserRatingsResponse ratings = await ApiAssert.OkAsync<UserRatingsResponse>(await second.Client.GetAsync($"/users/{user}/ratings"));
        Assert.Equal(rated.Order(), ratings.Ratings.Select(r => r.MovieId).Order());
        RecommendationResponse after = await ApiAssert.OkAsync<RecommendationResponse>(await second.Client.GetAsync($"/recommend/user?userId={user}&n=10"));
        Assert.Equal(before.Items.Select(i => i.MovieId), after.Items.Select(i => i.MovieId));
        Assert.DoesNotContain(after.Items, i => rated.Contains(i.MovieId));
    }

    [SkippableFact]
    public async Task Two_processes_over_one_postgresql_see_each_others_ratings_within_a_second()
    {
        await using TestPostgres database = await TestPostgres.CreateAsync();
        (string, string)[] settings = [("MovieRec__Feedback__Provider", "postgres"), ("MovieRec__Feedback__ConnectionString", database.ConnectionString)];
        using ServiceProcess a = await ServiceProcess.StartAsync(_models, [("MovieRec__StatePath", Path.Combine(_folder.Path, "state-a")), .. settings]);
        using ServiceProcess b = await ServiceProcess.StartAsync(_models, [("MovieRec__StatePath", Path.Combine(_folder.Path, "state-b")), .. settings]);

        const int user = 3;
        RecommendationResponse onB = await ApiAssert.OkAsync<RecommendationResponse>(await b.Client.GetAsync($"/recommend/user?userId={user}&n=10"));
        int movie = onB.Items[0].MovieId;
        await ApiAssert.OkAsync<RatingWrittenResponse>(await a.Client.PostAsJsonAsync($"/users/{user}/ratings", new { movieId = movie, rating = 1.0 }));
        var clock = Stopwatch.StartNew();
        bool changed = false;
        while (!changed && clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            RecommendationResponse now = await ApiAssert.OkAsync<RecommendationResponse>(await b.Client.GetAsync($"/recommend/user?userId={user}&n=10"));
            changed = now.Items.All(i => i.MovieId != movie);
            if (!changed)
            {
                await Task.Delay(20);
            }
        }

        Assert.True(changed, "the other process never dropped the movie rated on the first");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"the other process took {clock.Elapsed.TotalMilliseconds:0} ms (more than 1 s) to follow the rating");
    }
}
