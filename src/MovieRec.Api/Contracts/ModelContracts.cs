using System.ComponentModel;
using System.Text.Json;
using MovieRec.Core.Artifacts;

namespace MovieRec.Api.Contracts;

[Description("A model of the bundle being served.")]
public sealed record ModelResponse(
    [property: Description("Name to pass as 'model'.")] string Name,
    [property: Description("What the model is.")] string? Description,
    [property: Description("Training options as recorded in the manifest.")] JsonElement? Options,
    [property: Description("Seconds the fit took.")] double FitSeconds,
    [property: Description("Holdout metrics, when the bundle was trained with --eval.")] HoldoutMetrics? Holdout,
    [property: Description("Whether GET /movies/{id}/similar can use it.")] bool SupportsSimilar,
    [property: Description("Whether POST /recommend folds visitors into it.")] bool SupportsFoldIn);

[Description("The bundle being served and its models.")]
public sealed record ModelsResponse(
    [property: Description("Bundle version (its id).")] string BundleId,
    [property: Description("When the bundle was trained.")] DateTimeOffset CreatedAt,
    [property: Description("The dataset it was trained on.")] string Dataset,
    [property: Description("Training ratings.")] int Ratings,
    [property: Description("Users.")] int Users,
    [property: Description("Movies in the catalogue.")] int Movies,
    [property: Description("The models.")] IReadOnlyList<ModelResponse> Models)
{
    [Description("The model used when a request names none (MovieRec:DefaultModel, or the best ranker the bundle has).")]
    public string? DefaultModel { get; init; }

    [Description("The live feedback this bundle was trained with: its watermark (last change included); null when trained from the dataset alone.")]
    public MovieRec.Core.Feedback.FeedbackWatermarkManifest? FeedbackWatermark { get; init; }

    [Description("The feedback store as this replica sees it now.")]
    public LiveFeedbackResponse? LiveFeedback { get; init; }

    [Description("The last (or running) background retrain.")]
    public MovieRec.Api.Hosting.RetrainStatus? Retrain { get; init; }
}

[Description("The feedback store as this replica sees it.")]
public sealed record LiveFeedbackResponse(
    [property: Description("sqlite or postgres.")] string Provider,
    [property: Description("Last change seen (sequence number).")] long LastSequence,
    [property: Description("Live ratings (not deleted).")] long LiveRatings,
    [property: Description("Users with live feedback.")] int Users,
    [property: Description("Changes since the served bundle's watermark (not yet trained on).")] long PendingChanges);

[Description("The result of a reload.")]
public sealed record ReloadResponse(
    [property: Description("The bundle served before.")] string? PreviousBundleId,
    [property: Description("The bundle served now.")] string BundleId,
    [property: Description("Seconds the load took.")] double LoadSeconds);
