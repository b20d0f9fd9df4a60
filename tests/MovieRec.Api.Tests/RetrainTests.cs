using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using MovieRec.Api.Contracts;
using MovieRec.Api.Hosting;
using MovieRec.Core.Feedback;

namespace MovieRec.Api.Tests;

/// <summary>Background retraining: from the dataset plus live ratings, one at a time, the watermark in /models, a failure keeps the bundle.</summary>
public sealed class RetrainTests(MovieRecApiFactory factory) : IClassFixture<MovieRecApiFactory>
{
    [Theory]
    [InlineData("process", 800_001)]
    [InlineData("thread", 800_011)]
    public async Task A_retrain_learns_the_live_ratings_swaps_the_bundle_and_records_the_watermark(string isolation, int user)
    {
        using WebApplicationFactory<Program> service = await StartOwnCopyAsync(("MovieRec:Retrain:Isolation", isolation));
        using HttpClient client = AdminClient(service);
        ModelHost host = service.Services.GetRequiredService<ModelHost>();
        ServedBundle before = host.Current!;
        RatingWrittenResponse last = null!;
        foreach (int m in (int[])[1, 2, 3])
        {
            last = await ApiAssert.OkAsync<RatingWrittenResponse>(await client.PostAsJsonAsync($"/users/{user}/ratings", new { movieId = Fixtures.MovieId(m), rating = 4.0 }));
        }

        RetrainStatus done = await ApiAssert.OkAsync<RetrainStatus>(await client.PostAsync("/admin/retrain?wait=true", null));
        Assert.True(done.Succeeded, done.Error);
        Assert.NotEqual(before.Id, done.BundleId);
        Assert.Equal(last.Sequence, done.FeedbackWatermark);

        ModelsResponse models = await ApiAssert.OkAsync<ModelsResponse>(await client.GetAsync("/models"));
        Assert.Equal(done.BundleId, models.BundleId);
        Assert.Equal(last.Sequence, models.FeedbackWatermark!.LastSequence);
        Assert.Equal(0, models.LiveFeedback!.PendingChanges);
        Assert.True(host.Current!.IsKnownUser(user), "the retrained bundle has the live user");
        Assert.Equal(before.ModelNames, models.Models.Select(m => m.Name));
    }

    [Fact]
    public async Task After_the_configured_number_of_ratings_a_retrain_starts_by_itself()
    {
        using WebApplicationFactory<Program> auto = await StartOwnCopyAsync(("MovieRec:Retrain:AfterRatings", "2"));
        using HttpClient client = AdminClient(auto);
        ModelHost host = auto.Services.GetRequiredService<ModelHost>();
        string first = host.Current!.Id;
        await ApiAssert.OkAsync<RatingWrittenResponse>(await client.PostAsJsonAsync("/users/800002/ratings", new { movieId = Fixtures.MovieId(1), rating = 4.0 }));
        await Task.Delay(1500);
        Assert.Equal(first, host.Current.Id);
        RatingWrittenResponse second = await ApiAssert.OkAsync<RatingWrittenResponse>(
            await client.PostAsJsonAsync("/users/800002/ratings", new { movieId = Fixtures.MovieId(2), rating = 4.0 }));
        await WaitForWatermarkAsync(host, second.Sequence);

        Assert.NotEqual(first, host.Current.Id);
        Assert.Equal(second.Sequence, host.Current.Bundle.Manifest.Feedback!.LastSequence);
    }

    [Fact]
    public async Task When_the_interval_has_passed_and_ratings_are_pending_a_retrain_starts_by_itself()
    {
        using WebApplicationFactory<Program> auto = await StartOwnCopyAsync(("MovieRec:Retrain:Interval", "00:00:02"));
        using HttpClient client = AdminClient(auto);
        ModelHost host = auto.Services.GetRequiredService<ModelHost>();
        // Nothing pending: the interval alone does not retrain.
        string first = host.Current!.Id;
        await Task.Delay(3000);
        Assert.Equal(first, host.Current.Id);

        RatingWrittenResponse rated = await ApiAssert.OkAsync<RatingWrittenResponse>(
            await client.PostAsJsonAsync("/users/800003/ratings", new { movieId = Fixtures.MovieId(1), rating = 4.0 }));
        await WaitForWatermarkAsync(host, rated.Sequence);

        Assert.NotEqual(first, host.Current.Id);
        Assert.Equal(rated.Sequence, host.Current.Bundle.Manifest.Feedback!.LastSequence);
        RetrainStatus status = auto.Services.GetRequiredService<Retrainer>().Status;
        Assert.Contains("MovieRec:Retrain:Interval", status.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void The_worker_reads_back_the_live_ratings_it_was_given_deletions_included()
    {
        string file = Path.Combine(Path.GetTempPath(), $"movierec-live-{Guid.NewGuid():N}.bin");
        LiveRating[] live = [new(7, 42, 4.5f, 1_700_000_000, 1), new(7, 43, null, 1_700_000_001, 2), new(int.MaxValue, 1, 0.5f, -1, long.MaxValue)];
        try
        {
            RetrainWorker.WriteLiveRatings(file, live);
            Assert.Equal(live, RetrainWorker.ReadLiveRatings(file));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_worker_that_cannot_train_exits_with_1_and_says_why()
    {
        string request = Path.Combine(Path.GetTempPath(), $"movierec-request-{Guid.NewGuid():N}.json");
        File.WriteAllText(request, "{\"Data\":\"/no/such/folder\",\"Models\":[\"svd\"],\"Output\":\"/tmp\",\"Provider\":\"sqlite\",\"LiveRatings\":\"/no/such/file\",\"Threads\":1}");
        TextWriter error = Console.Error;
        using var captured = new StringWriter();
        Console.SetError(captured);
        try
        {
            Assert.Equal(1, RetrainWorker.Run(request));
        }
        finally
        {
            Console.SetError(error);
            File.Delete(request);
        }

        Assert.Contains("/no/such/folder", captured.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(RetrainPriority.Idle, "/usr/bin/chrt --idle 0 /usr/bin/nice -n 19 ")]
    [InlineData(RetrainPriority.Low, "/usr/bin/nice -n 19 ")]
    [InlineData(RetrainPriority.Normal, "")]
    public void The_worker_starts_as_this_program_at_the_configured_priority(RetrainPriority priority, string prefix)
    {
        System.Diagnostics.ProcessStartInfo start = RetrainWorker.StartInfo("/tmp/request.json", priority);
        string command = string.Join(' ', [start.FileName, .. start.ArgumentList]);
        Assert.EndsWith($"{typeof(RetrainWorker).Assembly.Location} {RetrainWorker.Argument} /tmp/request.json", command, StringComparison.Ordinal);
        if (File.Exists("/usr/bin/chrt") && File.Exists("/usr/bin/nice"))
        {
            Assert.StartsWith(prefix, command, StringComparison.Ordinal);
        }

        if (priority == RetrainPriority.Normal)
        {
            Assert.DoesNotContain("nice", command, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Retrain_needs_the_admin_role()
    {
        using HttpClient client = factory.CreateClient();
        await factory.WaitUntilReadyAsync();
        await ApiAssert.ProblemAsync(await client.PostAsync("/admin/retrain", null), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_failed_retrain_keeps_the_bundle_and_says_why_and_only_one_runs_at_a_time()
    {
        using WebApplicationFactory<Program> broken = await StartOwnCopyAsync(("MovieRec:Retrain:Models", "no-such-model"));
        using HttpClient client = AdminClient(broken);

        string served = broken.Services.GetRequiredService<ModelHost>().Current!.Id;
        RetrainStatus failed = await ApiAssert.OkAsync<RetrainStatus>(await client.PostAsync("/admin/retrain?wait=true", null));
        Assert.False(failed.Succeeded);
        Assert.Contains("no-such-model", failed.Error, StringComparison.Ordinal);
        ModelsResponse after = await ApiAssert.OkAsync<ModelsResponse>(await client.GetAsync("/models"));
        Assert.Equal(served, after.BundleId);
        Assert.Equal(failed.Error, after.Retrain!.Error);

        // Hold the retrainer's one-at-a-time gate as a running retrain does: a second request is refused.
        Retrainer retrainer = broken.Services.GetRequiredService<Retrainer>();
        Assert.True(retrainer.Gate.Wait(0));
        try
        {
            Assert.Null(retrainer.TryStart("test"));
            JsonElement busy = await ApiAssert.ProblemAsync(await client.PostAsync("/admin/retrain", null), HttpStatusCode.Conflict);
            Assert.Contains("already running", busy.GetProperty("title").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            retrainer.Gate.Release();
        }
    }

    /// <summary>
    /// A client with the admin key that waits up to 5 minutes: a retrain with <c>wait=true</c> answers when it is done,
    /// and on a machine busy with other tests an idle-priority training can take longer than HttpClient's default 100 s.
    /// </summary>
    private static HttpClient AdminClient(WebApplicationFactory<Program> service)
    {
        HttpClient client = service.CreateClient();
        client.Timeout = TimeSpan.FromMinutes(5);
        client.DefaultRequestHeaders.Add("X-Api-Key", MovieRecApiFactory.AdminKey);
        return client;
    }

    /// <summary>A service over its own copy of the fixture bundle (a retrain publishes into its models folder), serving.</summary>
    private async Task<WebApplicationFactory<Program>> StartOwnCopyAsync(params (string Key, string Value)[] settings)
    {
        string models = Path.Combine(Path.GetTempPath(), "movierec-tests", Guid.NewGuid().ToString("N"), "models");
        CopyFolder(factory.ModelsPath, models);
        WebApplicationFactory<Program> service = factory.WithWebHostBuilder(b =>
        {
            b.UseSetting("MovieRec:ModelsPath", models);
            foreach ((string key, string value) in settings)
            {
                b.UseSetting(key, value);
            }
        });
        using HttpClient warmUp = service.CreateClient(); // starts the host
        ModelHost host = service.Services.GetRequiredService<ModelHost>();
        for (int i = 0; i < 600 && host.Current is null; i++)
        {
            await Task.Delay(50);
        }

        return service;
    }

    // A background retrain is a child process: on a machine busy with other tests it may take a while, so wait up to 5 minutes.
    private static async Task WaitForWatermarkAsync(ModelHost host, long sequence)
    {
        for (int i = 0; i < 3000 && host.Current!.Bundle.Manifest.Feedback?.LastSequence != sequence; i++)
        {
            await Task.Delay(100);
        }
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
