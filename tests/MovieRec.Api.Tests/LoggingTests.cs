using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Core;
using Serilog.Events;

namespace MovieRec.Api.Tests;

/// <summary>What the service logs for clients' mistakes: one request line at Information, no error, no stack trace.</summary>
public sealed class LoggingTests(MovieRecApiFactory factory) : IClassFixture<MovieRecApiFactory>
{
    [Fact]
    public async Task A_burst_of_bad_requests_logs_one_information_line_each_and_nothing_at_error()
    {
        var sink = new CollectingSink();
        using WebApplicationFactory<Program> app = factory.WithWebHostBuilder(b =>
        {
            b.UseSetting("Serilog:MinimumLevel:Default", "Information");
            b.ConfigureServices(s => s.AddSingleton<ILogEventSink>(sink));
        });
        using HttpClient client = app.CreateClient();
        await WaitReadyAsync(client);
        string[] bodies =
        [
            """{"userId":"abc"}""", """{"userId":1,""", "not json", "{}", """{"userId":null,"movieId":1}""", "[]", "null",
        ];
        const int Rounds = 20;
        sink.Events.Clear();

        for (int round = 0; round < Rounds; round++)
        {
            foreach (string body in bodies)
            {
                Assert.Equal(HttpStatusCode.BadRequest, (await client.PostJsonTextAsync("/predict", body)).StatusCode);
            }

            Assert.Equal(HttpStatusCode.BadRequest, (await client.PostJsonTextAsync("/predict/batch", """{"pairs":[null]}""")).StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, (await client.PostJsonTextAsync("/recommend", """{"ratings":[null]}""")).StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/recommend/user?userId=abc")).StatusCode);
        }

        int expected = Rounds * (bodies.Length + 3);
        for (int i = 0; i < 100 && RequestLines(sink).Count < expected; i++)
        {
            await Task.Delay(20);
        }

        LogEvent[] errors = [.. sink.Events.Where(e => e.Level >= LogEventLevel.Error)];
        Assert.True(errors.Length == 0, $"error-level lines for client mistakes: {string.Join(" | ", errors.Select(e => e.RenderMessage()))}");
        Assert.DoesNotContain(sink.Events, e => e.Exception is not null);
        List<LogEvent> lines = RequestLines(sink);
        Assert.True(expected == lines.Count,
            $"expected {expected} request lines, got {lines.Count}: {string.Join(" | ", lines.GroupBy(e => e.RenderMessage()[..30]).Select(g => $"{g.Key} x{g.Count()}"))}");
        Assert.All(lines, e => Assert.Equal(LogEventLevel.Information, e.Level));
        Assert.All(lines, e => Assert.Equal("400", e.Properties["StatusCode"].ToString()));
    }

    [Fact]
    public void Only_server_faults_are_logged_as_errors()
    {
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        context.Request.Path = "/predict";

        context.Response.StatusCode = 400;
        LogEventLevel clientError = Extensions.HostingExtensions.RequestLogLevel(context, 1, null);
        context.Response.StatusCode = 500;
        LogEventLevel serverError = Extensions.HostingExtensions.RequestLogLevel(context, 1, null);

        Assert.Equal((LogEventLevel.Information, LogEventLevel.Error), (clientError, serverError));
    }

    [Fact]
    public void Successful_reads_are_logged_at_debug_writes_and_client_errors_at_information()
    {
        LogEventLevel Level(string method, string path, int status)
        {
            var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
            context.Request.Method = method;
            context.Request.Path = path;
            context.Response.StatusCode = status;
            return Extensions.HostingExtensions.RequestLogLevel(context, 1, null);
        }

        Assert.Equal(LogEventLevel.Debug, Level("GET", "/recommend/user", 200));
        Assert.Equal(LogEventLevel.Debug, Level("HEAD", "/movies", 200));
        Assert.Equal(LogEventLevel.Information, Level("GET", "/recommend/user", 404));
        Assert.Equal(LogEventLevel.Information, Level("POST", "/users/1/ratings", 201));
        Assert.Equal(LogEventLevel.Information, Level("POST", "/recommend", 200));
        Assert.Equal(LogEventLevel.Error, Level("GET", "/recommend/user", 500));
    }

    [Fact]
    public void A_readiness_probe_answered_not_ready_is_not_an_error()
    {
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Path = "/health/ready";
        context.Response.StatusCode = 503;

        Assert.Equal(LogEventLevel.Debug, Extensions.HostingExtensions.RequestLogLevel(context, 1, null));
        Assert.Equal(LogEventLevel.Error, Extensions.HostingExtensions.RequestLogLevel(context, 1, new InvalidOperationException("fault")));
        context.Request.Path = "/metrics";
        context.Response.StatusCode = 500;
        Assert.Equal(LogEventLevel.Error, Extensions.HostingExtensions.RequestLogLevel(context, 1, null));
    }

    [Fact]
    public async Task A_request_before_a_bundle_serves_is_a_warning_line_not_an_error()
    {
        var sink = new CollectingSink();
        using var empty = new TempFolder();
        using WebApplicationFactory<Program> app = factory.WithWebHostBuilder(b =>
        {
            b.UseSetting("MovieRec:ModelsPath", Path.Combine(empty.Path, "models"));
            b.UseSetting("MovieRec:TrainOnFirstStart", "false");
            b.UseSetting("Serilog:MinimumLevel:Default", "Debug");
            b.ConfigureServices(s => s.AddSingleton<ILogEventSink>(sink));
        });
        using HttpClient client = app.CreateClient();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/recommend/user?userId=1")).StatusCode);
        for (int i = 0; i < 100 && RequestLines(sink).Count < 2; i++)
        {
            await Task.Delay(20);
        }

        List<LogEvent> lines = RequestLines(sink);
        Assert.Equal(LogEventLevel.Debug, Assert.Single(lines, e => e.Properties["RequestPath"].ToString() == "\"/health/ready\"").Level);
        Assert.Equal(LogEventLevel.Warning, Assert.Single(lines, e => e.Properties["RequestPath"].ToString() == "\"/recommend/user\"").Level);
        Assert.DoesNotContain(sink.Events, e => e.Level >= LogEventLevel.Error);
    }

    private static List<LogEvent> RequestLines(CollectingSink sink) =>
        [.. sink.Events.Where(e => e.MessageTemplate.Text.StartsWith("HTTP ", StringComparison.Ordinal))];

    private static async Task WaitReadyAsync(HttpClient client)
    {
        for (int i = 0; i < 600 && (await client.GetAsync("/health/ready")).StatusCode != HttpStatusCode.OK; i++)
        {
            await Task.Delay(50);
        }
    }

    private sealed class CollectingSink : ILogEventSink
    {
        public ConcurrentQueue<LogEvent> Events { get; } = new();

        public void Emit(LogEvent logEvent) => Events.Enqueue(logEvent);
    }
}
