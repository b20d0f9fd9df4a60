using System.Net;
using MovieRec.Api.Hosting;

namespace MovieRec.Api.Tests;

/// <summary>Waiting for the service, in one place: polls until a condition holds or a generous deadline passes.</summary>
public static class Readiness
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    /// <summary>Polls <paramref name="condition"/> every 20 ms; true as soon as it holds, false at the deadline.</summary>
    public static async Task<bool> UntilAsync(Func<Task<bool>> condition, TimeSpan? deadline = null)
    {
        DateTime end = DateTime.UtcNow + (deadline ?? Deadline);
        while (!await condition())
        {
            if (DateTime.UtcNow > end)
            {
                return false;
            }

            await Task.Delay(20);
        }

        return true;
    }

    /// <summary>Waits until <c>/health/ready</c> answers 200; returns the last status seen.</summary>
    public static async Task<HttpStatusCode> WaitUntilReadyAsync(HttpClient client)
    {
        HttpStatusCode status = HttpStatusCode.ServiceUnavailable;
        await UntilAsync(async () => (status = (await client.GetAsync("/health/ready")).StatusCode) == HttpStatusCode.OK);
        return status;
    }

    /// <summary>Waits until the host serves a bundle (the bootstrapper loads it in the background).</summary>
    public static async Task<ServedBundle> WaitUntilServingAsync(ModelHost host) =>
        await UntilAsync(() => Task.FromResult(host.Current is not null)) ? host.Current!
            : throw new TimeoutException($"The service did not load its bundle within {Deadline.TotalSeconds} s.");
}
