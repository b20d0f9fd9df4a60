using Microsoft.Extensions.Options;

namespace MovieRec.Api.Hosting;

/// <summary>
/// Lets at most <see cref="MovieRecOptions.ScoringConcurrency"/> scoring requests (<c>/recommend</c>, <c>/predict</c>) run
/// their handler at once; the others wait their turn in arrival order without holding a thread (an awaited semaphore).
/// Scoring is CPU work: requests beyond the cores only share them out in time slices, so every one takes longer and a
/// long one is overtaken again and again, where taking turns gives each the whole core and keeps latency even. Only the
/// handler is gated; writing the response is not.
/// </summary>
public sealed class ScoringGate : IDisposable
{
    private readonly SemaphoreSlim? _slots;

    public ScoringGate(IOptions<MovieRecOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Limit = options.Value.ScoringConcurrency;
        _slots = Limit > 0 ? new SemaphoreSlim(Limit, Limit) : null;
    }

    /// <summary>Handlers that may run at once; 0 is no limit.</summary>
    public int Limit { get; }

    /// <summary>The endpoint filter of the scoring route groups.</summary>
    public static ValueTask<object?> Filter(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.HttpContext.RequestServices.GetRequiredService<ScoringGate>().InvokeAsync(context, next);
    }

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(next);
        return _slots is null ? next(context) : Gated(_slots, context, next);
    }

    public void Dispose() => _slots?.Dispose();

    private static async ValueTask<object?> Gated(SemaphoreSlim slots, EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        await slots.WaitAsync().ConfigureAwait(false);
        try
        {
            return await next(context).ConfigureAwait(false);
        }
        finally
        {
            slots.Release();
        }
    }
}
