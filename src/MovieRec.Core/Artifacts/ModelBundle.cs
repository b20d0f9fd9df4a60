using System.Text.Json;
using MovieRec.Core.Data;
using MovieRec.Core.Models;

namespace MovieRec.Core.Artifacts;

/// <summary>A file of a bundle or dataset with its checksum.</summary>
public sealed record PayloadManifest(string File, string Sha256, long Bytes);

/// <summary>What a bundle was trained from.</summary>
public sealed record DatasetManifest(string Name, string Folder, IReadOnlyList<PayloadManifest> Files, int Ratings, int Users, int Movies);

/// <summary>Holdout metrics recorded when a bundle is trained with evaluation.</summary>
public sealed record HoldoutMetrics(double Rmse, double Mae, double? PrecisionAtK, double? NdcgAtK, int K);

/// <summary>One model of a bundle.</summary>
public sealed record ModelManifest(string Name, string File, JsonElement? Options, double FitSeconds, HoldoutMetrics? Holdout);

/// <summary>manifest.json: everything needed to check a bundle before serving it.</summary>
public sealed record BundleManifest(
    int FormatVersion,
    string Id,
    DateTimeOffset CreatedAt,
    DatasetManifest Dataset,
    IReadOnlyList<ModelManifest> Models,
    IReadOnlyList<PayloadManifest> Payloads,
    double TrainingSeconds)
{
    /// <summary>The live feedback the bundle was trained with (its watermark), or null for a bundle from the dataset alone.</summary>
    public Feedback.FeedbackWatermarkManifest? Feedback { get; init; }
}

/// <summary>A trained model to put in a bundle, with how it was made.</summary>
public sealed record TrainedModel(IRecommenderModel Model, object? Options, double FitSeconds, HoldoutMetrics? Holdout = null);

/// <summary>A loaded, verified bundle: the catalogue, the shared rating matrix and every model. Immutable.</summary>
public sealed class ModelBundle
{
    internal ModelBundle(string folder, BundleManifest manifest, IReadOnlyDictionary<int, Movie> movies, RatingMatrix ratings, IReadOnlyDictionary<string, IRecommenderModel> models)
    {
        Folder = folder;
        Manifest = manifest;
        Movies = movies;
        Ratings = ratings;
        Models = models;
    }

    public string Folder { get; }

    public BundleManifest Manifest { get; }

    /// <summary>The catalogue by movie id.</summary>
    public IReadOnlyDictionary<int, Movie> Movies { get; }

    /// <summary>All training ratings (users' histories for already-rated filtering).</summary>
    public RatingMatrix Ratings { get; }

    public IReadOnlyDictionary<string, IRecommenderModel> Models { get; }

    /// <summary>
    /// This bundle's catalogue and ratings with one other model in place of its own (an experiment variant trained with
    /// its own options on <see cref="Ratings"/>): the manifest lists that model alone.
    /// </summary>
    public ModelBundle WithModel(IRecommenderModel model, IReadOnlyDictionary<string, object?> options)
    {
        ArgumentNullException.ThrowIfNull(model);
        JsonElement values = JsonSerializer.SerializeToElement(options);
        BundleManifest manifest = Manifest with { Models = [new ModelManifest(model.Name, string.Empty, values, 0, null)] };
        return new ModelBundle(Folder, manifest, Movies, Ratings, new Dictionary<string, IRecommenderModel>(StringComparer.OrdinalIgnoreCase) { [model.Name] = model });
    }
}
