using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace MovieRec.Api.Tests;

/// <summary>
/// Tracing over OTLP against a real HTTP receiver on a loopback port (a stand-in for an OpenTelemetry collector that
/// keeps what it is sent): spans arrive when an endpoint is configured, and without one no tracer exists at all.
/// </summary>
public sealed class TracingTests(MovieRecApiFactory factory) : IClassFixture<MovieRecApiFactory>
{
    [Fact]
    public async Task Configured_endpoint_receives_the_request_spans_over_OTLP_http()
    {
        await using var collector = await OtlpReceiver.StartAsync();
        // OTEL_BSP_SCHEDULE_DELAY (the standard batch-export delay, read from configuration) is short, so spans arrive
        // while the host runs instead of only at its shutdown.
        using WebApplicationFactory<Program> traced = factory.WithWebHostBuilder(b => b
            .UseSetting("MovieRec:Tracing:OtlpEndpoint", collector.Address)
            .UseSetting("OTEL_BSP_SCHEDULE_DELAY", "100"));
        Assert.NotNull(traced.Services.GetService<TracerProvider>());
        using HttpClient client = traced.CreateClient();
        await Readiness.WaitUntilReadyAsync(client);
        // No ambient activity of the test runner may become the request's parent (and decide its sampling).
        Activity.Current = null;
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/recommend/user?userId=3&n=5&model=svd")).StatusCode);

        Assert.True(await Readiness.UntilAsync(() => Task.FromResult(collector.Contains("/recommend/user")), TimeSpan.FromSeconds(60)),
            $"No span for /recommend/user reached the receiver; it got {collector.Requests.Count} requests: {string.Join(", ", collector.Requests.Select(r => r.Path))}.");
        Received export = collector.Requests.First(r => Encoding.UTF8.GetString(r.Body).Contains("/recommend/user", StringComparison.Ordinal));
        Assert.Equal("/v1/traces", export.Path);
        Assert.Equal("application/x-protobuf", export.ContentType);
        string body = Encoding.UTF8.GetString(export.Body);
        // The OTLP protobuf carries strings as UTF-8: the service name, the answering model's tag, and no health probes.
        Assert.Contains("movierec", body, StringComparison.Ordinal);
        Assert.Contains("movierec.model", body, StringComparison.Ordinal);
        Assert.DoesNotContain(collector.Requests, r => Encoding.UTF8.GetString(r.Body).Contains("/health/ready", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Without_an_endpoint_there_is_no_tracer_and_nothing_is_exported()
    {
        await using var collector = await OtlpReceiver.StartAsync();
        // The receiver is up, but only the standard variable's absence and an empty setting are configured.
        using (WebApplicationFactory<Program> untraced = factory.WithWebHostBuilder(b => b.UseSetting("MovieRec:Tracing:OtlpEndpoint", "")))
        {
            Assert.Null(untraced.Services.GetService<TracerProvider>());
            using HttpClient client = untraced.CreateClient();
            await Readiness.WaitUntilReadyAsync(client);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/recommend/user?userId=3&n=5&model=svd")).StatusCode);
        }

        Assert.Empty(collector.Requests);
    }

    [Fact]
    public void A_malformed_endpoint_stops_start_up_naming_the_setting()
    {
        using WebApplicationFactory<Program> bad = factory.WithWebHostBuilder(b => b.UseSetting("MovieRec:Tracing:OtlpEndpoint", "collector:4318"));

        Exception e = Assert.ThrowsAny<Exception>(() => bad.CreateClient());
        Assert.Contains("MovieRec:Tracing:OtlpEndpoint", e.ToString(), StringComparison.Ordinal);
    }

    private sealed record Received(string Path, string? ContentType, byte[] Body);

    /// <summary>A loopback HTTP server that answers every OTLP export with 200 and an empty (valid) protobuf response, keeping each request.</summary>
    private sealed class OtlpReceiver : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private OtlpReceiver(WebApplication app, string address)
        {
            _app = app;
            Address = address;
        }

        public string Address { get; }

        public ConcurrentQueue<Received> Requests { get; } = new();

        public bool Contains(string text) => Requests.Any(r => Encoding.UTF8.GetString(r.Body).Contains(text, StringComparison.Ordinal));

        public static async Task<OtlpReceiver> StartAsync()
        {
            WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            WebApplication app = builder.Build();
            OtlpReceiver? receiver = null;
            app.Run(async context =>
            {
                using var body = new MemoryStream();
                try
                {
                    await context.Request.Body.CopyToAsync(body);
                }
                catch (IOException)
                {
                    // An export cut off mid-body is still a request that arrived.
                }

                receiver!.Requests.Enqueue(new Received(context.Request.Path, context.Request.ContentType, body.ToArray()));
                context.Response.ContentType = "application/x-protobuf";
                context.Response.StatusCode = StatusCodes.Status200OK;
            });
            await app.StartAsync();
            string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            receiver = new OtlpReceiver(app, address);
            return receiver;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
