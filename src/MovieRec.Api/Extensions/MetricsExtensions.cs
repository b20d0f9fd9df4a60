using System.Diagnostics;
using Microsoft.Extensions.Options;
using MovieRec.Api.Hosting;
using Prometheus;

namespace MovieRec.Api.Extensions;

/// <summary>
/// Prometheus <c>/metrics</c> (prometheus-net, text exposition format) and the middleware that counts and times every
/// request by route template, method, answering model and status. <c>MovieRec:Metrics:Enabled=false</c> removes both.
/// </summary>
public static class MetricsExtensions
{
    public const string Path = "/metrics";

    public static WebApplicationBuilder AddMovieRecMetrics(this WebApplicationBuilder builder)
    {
        // Always registered: feedback and retrain code count into it whether or not /metrics is served.
        builder.Services.AddSingleton<ServiceMetrics>();
        return builder;
    }

    /// <summary>The request metrics middleware; outside the exception handler, so a fault is counted as the 500 the client gets.</summary>
    public static WebApplication UseMovieRecMetrics(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<MovieRecOptions>>().Value.Metrics.Enabled)
        {
            app.UseMiddleware<RequestMetricsMiddleware>();
        }

        return app;
    }

    /// <summary>
    /// <c>GET /metrics</c>: open by default (a scraper needs no key, even where reads do), or admin-only with
    /// <c>MovieRec:Metrics:RequireAdminKey</c>. Not part of the OpenAPI contract: it is for Prometheus, not API clients.
    /// </summary>
    public static IEndpointRouteBuilder MapMovieRecMetrics(this WebApplication app)
    {
        MetricsOptions options = app.Services.GetRequiredService<IOptions<MovieRecOptions>>().Value.Metrics;
        if (!options.Enabled)
        {
            return app;
        }

        if (options.RequireAdminKey && !app.Services.GetRequiredService<ApiKeyRing>().HasAdminKey)
        {
            throw new OptionsValidationException(nameof(MetricsOptions), typeof(MetricsOptions),
                ["MovieRec:Metrics:RequireAdminKey is true but no admin key is configured (MovieRec:AdminApiKey, or MovieRec:ApiKeys:<name> with the admin role)."]);
        }

        IEndpointConventionBuilder endpoint = app.MapMetrics(Path, app.Services.GetRequiredService<ServiceMetrics>().Registry)
            .WithDisplayName("Prometheus metrics").ExcludeFromDescription();
        if (options.RequireAdminKey)
        {
            endpoint.RequireRole(ApiRoles.Admin);
        }

        return app;
    }

    /// <summary>Names the model that answered this request, for the <c>model</c> label of the request metrics.</summary>
    public static void SetAnsweringModel(this HttpContext? context, string model) => context?.Features.Set(new AnsweringModel(model));

    /// <summary>The request's answering model, set by the endpoint (<see cref="SetAnsweringModel"/>).</summary>
    internal sealed record AnsweringModel(string Name);
}

/// <summary>Counts and times each request once its response is complete; no per-request allocation when the endpoint completes synchronously.</summary>
internal sealed class RequestMetricsMiddleware(RequestDelegate next, ServiceMetrics metrics)
{
    public Task InvokeAsync(HttpContext context)
    {
        long start = Stopwatch.GetTimestamp();
        Task pending;
        try
        {
            pending = next(context);
        }
        catch
        {
            Record(context, start, StatusCodes.Status500InternalServerError);
            throw;
        }

        if (pending.IsCompletedSuccessfully)
        {
            Record(context, start, context.Response.StatusCode);
            return Task.CompletedTask;
        }

        return AwaitAsync(pending, context, start);
    }

    private async Task AwaitAsync(Task pending, HttpContext context, long start)
    {
        try
        {
            await pending.ConfigureAwait(false);
        }
        catch
        {
            Record(context, start, StatusCodes.Status500InternalServerError);
            throw;
        }

        Record(context, start, context.Response.StatusCode);
    }

    private void Record(HttpContext context, long start, int status) =>
        metrics.ObserveRequest(context.GetEndpoint(), MethodLabel(context.Request.Method),
            context.Features.Get<MetricsExtensions.AnsweringModel>()?.Name ?? "", status, Stopwatch.GetElapsedTime(start).TotalSeconds);

    /// <summary>The standard methods by name; anything else is one value, so a client cannot add label values.</summary>
    private static string MethodLabel(string method) =>
        HttpMethods.IsGet(method) ? HttpMethods.Get
        : HttpMethods.IsPost(method) ? HttpMethods.Post
        : HttpMethods.IsPut(method) ? HttpMethods.Put
        : HttpMethods.IsDelete(method) ? HttpMethods.Delete
        : HttpMethods.IsHead(method) ? HttpMethods.Head
        : HttpMethods.IsOptions(method) ? HttpMethods.Options
        : HttpMethods.IsPatch(method) ? HttpMethods.Patch
        : "OTHER";
}
