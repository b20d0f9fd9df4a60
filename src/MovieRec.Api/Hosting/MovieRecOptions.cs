using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace MovieRec.Api.Hosting;

/// <summary>The <c>MovieRec</c> configuration section.</summary>
public sealed class MovieRecOptions
{
    public const string Section = "MovieRec";

    /// <summary>Bundle root (environment <c>MOVIEREC_MODELS</c>); the bundle named by its <c>current</c> pointer is served.</summary>
    [Required]
    public string ModelsPath { get; set; } = "models";

    /// <summary>Dataset folder trained from on a first start (environment <c>MOVIEREC_DATA</c>).</summary>
    [Required]
    public string DataPath { get; set; } = "data/ml-latest-small";

    /// <summary>Train the default models when <see cref="ModelsPath"/> holds no bundle.</summary>
    public bool TrainOnFirstStart { get; set; } = true;

    /// <summary>Download the dataset named by the last part of <see cref="DataPath"/> when that folder is absent.</summary>
    public bool AllowDownload { get; set; } = true;

    /// <summary>Seconds before a failed start-up (no data offline, a broken bundle) is tried again; the delay doubles up to 10 minutes.</summary>
    [Range(0.05, 3600)]
    public double FirstStartRetrySeconds { get; set; } = 10;

    /// <summary>Models trained on a first start.</summary>
    public string FirstStartModels { get; set; } = Core.Training.BundleTrainingOptions.DefaultModelList;

    /// <summary>The key <c>POST /admin/reload</c> requires in <c>X-Api-Key</c>; reload is disabled while it is empty.</summary>
    public string? AdminApiKey { get; set; }

    /// <summary>
    /// The service's own state (environment <c>MOVIEREC_STATE</c>): the SQLite feedback file and anything else it writes that
    /// is not a bundle. Default: <c>state/</c> beside the models folder.
    /// </summary>
    public string? StatePath { get; set; }

    /// <summary>Where live feedback is stored (<c>MovieRec:Feedback</c>).</summary>
    [ValidateObjectMembers]
    public FeedbackOptions Feedback { get; set; } = new();

    /// <summary>API keys by name (<c>MovieRec:ApiKeys:&lt;name&gt;:Key</c> and <c>:Roles</c>).</summary>
    public Dictionary<string, ApiKeyOptions> ApiKeys { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The model <c>/recommend/user</c> and <c>POST /recommend</c> use when none is named.</summary>
    [Required]
    public string DefaultModel { get; set; } = "hybrid";

    /// <summary>
    /// Experiments configured in appsettings (<c>MovieRec:Experiments:0:Name</c>, <c>:Type</c>, <c>:Variants:0:Model</c>, ...);
    /// <c>/admin/experiments</c> adds more to the feedback store, and a stored one overrides a configured one of the same name.
    /// </summary>
    public List<Core.Experiments.ExperimentDefinition> Experiments { get; set; } = [];

    /// <summary>Background retraining (<c>MovieRec:Retrain</c>).</summary>
    [ValidateObjectMembers]
    public RetrainOptions Retrain { get; set; } = new();

    /// <summary>The Prometheus endpoint <c>/metrics</c> (<c>MovieRec:Metrics</c>).</summary>
    [ValidateObjectMembers]
    public MetricsOptions Metrics { get; set; } = new();

    /// <summary>OpenTelemetry tracing over OTLP (<c>MovieRec:Tracing</c>); off unless an endpoint is configured.</summary>
    [ValidateObjectMembers]
    public TracingOptions Tracing { get; set; } = new();

    /// <summary>Body limit of <c>POST /ratings/batch</c> (10,000 rows need about 700 KB).</summary>
    [Range(1024, 256 * 1024 * 1024)]
    public long MaxBatchBodyBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>The state folder as an absolute path.</summary>
    public string ResolveStatePath() => Path.GetFullPath(string.IsNullOrWhiteSpace(StatePath)
        ? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(ModelsPath)) ?? ".", "state")
        : StatePath);

    /// <summary>Request bodies larger than this are refused with 413.</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public long MaxRequestBodyBytes { get; set; } = 256 * 1024;

    /// <summary>Recommendation lists remembered per bundle (models are immutable, so a list never goes stale); 0 turns the cache off.</summary>
    [Range(0, 10_000_000)]
    public int RecommendationCacheSize { get; set; } = 100_000;

    /// <summary>
    /// Scoring requests (<c>/recommend</c>, <c>/predict</c>) whose handlers run at once; the rest wait their turn in arrival
    /// order (see <see cref="ScoringGate"/>). 0 is no limit.
    /// </summary>
    [Range(0, 4096)]
    public int ScoringConcurrency { get; set; }
}
