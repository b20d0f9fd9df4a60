using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MovieRec.Api.Contracts;
using MovieRec.Api.Hosting;

namespace MovieRec.Api.Tests;

/// <summary>The scoring gate: at most ScoringConcurrency handlers at once, the rest in turn; 0 lets every request through.</summary>
public sealed class ScoringGateTests(MovieRecApiFactory factory) : IClassFixture<MovieRecApiFactory>
{
    [Fact]
    public async Task With_one_slot_a_second_request_waits_until_the_first_handler_is_done()
    {
        using var gate = new ScoringGate(Options.Create(new MovieRecOptions { ScoringConcurrency = 1 }));
        var context = new DefaultEndpointFilterInvocationContext(new DefaultHttpContext());
        var release = new TaskCompletionSource<object?>(TaskCreationOptions.RunContinuationsAsynchronously);
        bool secondRan = false;

        ValueTask<object?> first = gate.InvokeAsync(context, _ => new ValueTask<object?>(release.Task));
        ValueTask<object?> second = gate.InvokeAsync(context, _ =>
        {
            secondRan = true;
            return ValueTask.FromResult<object?>("second");
        });

        Assert.False(secondRan);
        Assert.False(second.IsCompleted);
        release.SetResult("first");
        Assert.Equal("first", await first);
        Assert.Equal("second", await second);
        Assert.True(secondRan);
    }

    [Fact]
    public async Task Without_a_limit_handlers_run_side_by_side()
    {
        using var gate = new ScoringGate(Options.Create(new MovieRecOptions()));
        var context = new DefaultEndpointFilterInvocationContext(new DefaultHttpContext());
        var release = new TaskCompletionSource<object?>(TaskCreationOptions.RunContinuationsAsynchronously);

        ValueTask<object?> first = gate.InvokeAsync(context, _ => new ValueTask<object?>(release.Task));
        ValueTask<object?> second = gate.InvokeAsync(context, _ => ValueTask.FromResult<object?>("second"));

        Assert.Equal(0, gate.Limit);
        Assert.True(second.IsCompleted);
        Assert.Equal("second", await second);
        release.SetResult("first");
        Assert.Equal("first", await first);
    }

    [Fact]
    public async Task A_gated_service_answers_concurrent_recommendations_and_predictions()
    {
        using WebApplicationFactory<Program> app = factory.WithWebHostBuilder(b => b.UseSetting("MovieRec:ScoringConcurrency", "1"));
        using HttpClient client = app.CreateClient();

        HttpResponseMessage[] answers = await Task.WhenAll(Enumerable.Range(1, 12).Select(u => u % 3 == 0
            ? client.PostAsJsonAsync("/predict", new PredictRequest { UserId = u, MovieId = 1 })
            : client.GetAsync($"/recommend/user?userId={u}&n=5")));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        Assert.Equal(1, app.Services.GetRequiredService<ScoringGate>().Limit);
    }

    [Fact]
    public void A_negative_limit_is_refused_at_start_up()
    {
        using WebApplicationFactory<Program> app = factory.WithWebHostBuilder(b => b.UseSetting("MovieRec:ScoringConcurrency", "-1"));
        Exception e = Assert.ThrowsAny<Exception>(() => app.CreateClient());
        Assert.Contains(nameof(MovieRecOptions.ScoringConcurrency), e.ToString(), StringComparison.Ordinal);
    }
}
