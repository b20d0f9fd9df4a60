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
    [property: Description("The models.")] IReadOnlyList<ModelResponse> Models);

[Description("The result of a reload.")]
public sealed record ReloadResponse(
    [property: Description("The bundle served before.")] string? PreviousBundleId,
    [property: Description("The bundle served now.")] string BundleId,
    [property: Description("Seconds the load took.")] double LoadSeconds);
