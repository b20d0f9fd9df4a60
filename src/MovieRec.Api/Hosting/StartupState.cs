namespace MovieRec.Api.Hosting;

/// <summary>Why the service is not serving yet, when the start-up load or first-start training failed; read by /health/ready.</summary>
public sealed class StartupState
{
    private volatile StartupFailure? _failure;

    /// <summary>The latest failed attempt, or null while none has failed (or once a bundle serves).</summary>
    public StartupFailure? LastFailure => _failure;

    public void Failed(int attempt, string reason, TimeSpan retryIn) =>
        _failure = new StartupFailure(attempt, reason, DateTimeOffset.UtcNow + retryIn);

    public void Succeeded() => _failure = null;
}

/// <summary>One failed start-up attempt and when the next one starts.</summary>
public sealed record StartupFailure(int Attempt, string Reason, DateTimeOffset NextAttemptAt);
