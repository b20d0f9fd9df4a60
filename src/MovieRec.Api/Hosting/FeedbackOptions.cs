using System.ComponentModel.DataAnnotations;

namespace MovieRec.Api.Hosting;

/// <summary><c>MovieRec:Feedback</c>: where live ratings and events are stored.</summary>
public sealed class FeedbackOptions
{
    /// <summary><c>sqlite</c> (default: <c>feedback.db</c> in the state folder) or <c>postgres</c>.</summary>
    [Required]
    [RegularExpression("(?i)^(sqlite|postgres|postgresql)$", ErrorMessage = "MovieRec:Feedback:Provider must be 'sqlite' or 'postgres'.")]
    public string Provider { get; set; } = "sqlite";

    /// <summary>Npgsql connection string for <c>postgres</c>; for <c>sqlite</c> an optional file path or connection string instead of the state folder's file.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>How often a replica over PostgreSQL reads the changes other replicas committed (0 turns it off).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(200);
}

/// <summary><c>MovieRec:ApiKeys:&lt;name&gt;</c>: a key and its comma-separated roles (read, write, admin).</summary>
public sealed class ApiKeyOptions
{
    public string? Key { get; set; }

    public string Roles { get; set; } = "read";
}

/// <summary><c>MovieRec:Retrain</c>: when the background retrainer trains a new bundle from the dataset and live ratings.</summary>
public sealed class RetrainOptions
{
    /// <summary>Retrain after this many new live ratings (0: never for that reason).</summary>
    [Range(0, int.MaxValue)]
    public int AfterRatings { get; set; }

    /// <summary>Retrain when this much time has passed since the last bundle and new live ratings arrived (zero: never for that reason).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.Zero;

    /// <summary>Models the retrainer trains; empty: those of the bundle being served.</summary>
    public string? Models { get; set; }

    /// <summary>
    /// <c>process</c> (default): train in a child process at the lowest priority, whose memory and garbage collections
    /// are its own; <c>thread</c>: on one low-priority thread of the service.
    /// </summary>
    public RetrainIsolation Isolation { get; set; } = RetrainIsolation.Process;

    /// <summary>
    /// The retrain process's priority (Linux): <c>idle</c> (default: the idle scheduling policy and nice 19, so it runs
    /// only on a core requests leave free), <c>low</c> (nice 19) or <c>normal</c>.
    /// </summary>
    public RetrainPriority Priority { get; set; } = RetrainPriority.Idle;
}

/// <summary>The retrain process's priority (<c>MovieRec:Retrain:Priority</c>).</summary>
public enum RetrainPriority
{
    Idle,
    Low,
    Normal,
}

/// <summary>Where a retrain runs (<c>MovieRec:Retrain:Isolation</c>).</summary>
public enum RetrainIsolation
{
    Process,
    Thread,
}
