using MovieRec.Core.Data;

namespace MovieRec.Core.Models;

/// <summary>Learns a model from ratings. Trainers hold their options; a trainer can fit many models.</summary>
public interface IRecommenderTrainer
{
    /// <summary>The stable, lower-case model name used by the CLI and the API (e.g. "baseline").</summary>
    string Name { get; }

    IRecommenderModel Fit(RatingMatrix train, TrainingOptions? options = null);
}

/// <summary>A trained model: immutable and safe to use from many threads at once.</summary>
public interface IRecommenderModel
{
    string Name { get; }

    /// <summary>The ratings the model was trained on (dense indices, id maps, scale).</summary>
    RatingMatrix Train { get; }

    /// <summary>Predicts the rating of a raw user id for a raw movie id, falling back to baselines for unknown ids.</summary>
    Prediction Predict(int userId, int movieId);

    /// <summary>
    /// The top <paramref name="n"/> movies for a raw user id, best first. Unknown users get the model's
    /// non-personal ranking. <paramref name="filter"/> sees raw movie ids.
    /// </summary>
    IReadOnlyList<ScoredMovie> Recommend(int userId, int n, bool excludeRated = true, Func<int, bool>? filter = null);

    /// <summary>What the model can do beyond predicting and ranking (similar movies, fold-in, explanations), resolved once.</summary>
    ModelCapabilities Capabilities { get; }

    /// <summary>The clipped rating estimate for dense indices of a known user and item.</summary>
    float Estimate(int u, int i);

    /// <summary>Ranking scores of every item for dense user index <paramref name="u"/> (higher is better).</summary>
    void Score(int u, Span<float> scores);
}

/// <summary>How a fit runs, as opposed to what it learns (which is the algorithm's options record).</summary>
public sealed record TrainingOptions
{
    public static readonly TrainingOptions Default = new();

    /// <summary>Worker threads; 0 means one per core, 1 is the deterministic single-thread mode.</summary>
    public int Threads { get; init; }

    public IProgress<TrainingProgress>? Progress { get; init; }

    public CancellationToken CancellationToken { get; init; }

    public int EffectiveThreads => Threads > 0 ? Threads : Environment.ProcessorCount;
}

/// <summary>Progress of an iterative fit.</summary>
public sealed record TrainingProgress(string Model, int Epoch, int Epochs, double? TrainLoss = null, double? ValidationRmse = null);

/// <summary>Why a prediction did not come from the model itself.</summary>
public enum PredictionFallback
{
    None,

    /// <summary>The user is not in the training data: the movie's baseline answered.</summary>
    UnknownUser,

    /// <summary>The movie is not in the training data: the user's baseline answered.</summary>
    UnknownMovie,

    /// <summary>Neither is known: the global mean answered.</summary>
    UnknownUserAndMovie,

    /// <summary>The movie has no ratings but is in the catalogue: the content model answered from similar movies the user rated.</summary>
    UnratedMovieByContent,
}

/// <summary>A predicted rating, clipped to the rating scale, saying whether and why a fallback answered.</summary>
public sealed record Prediction(int UserId, int MovieId, float Rating, PredictionFallback Fallback)
{
    public bool IsFallback => Fallback != PredictionFallback.None;

    public string? FallbackReason => Fallback switch
    {
        PredictionFallback.UnknownUser => $"user {UserId} is not in the training data; the movie's baseline answered",
        PredictionFallback.UnknownMovie => $"movie {MovieId} is not in the training data; the user's baseline answered",
        PredictionFallback.UnknownUserAndMovie => $"neither user {UserId} nor movie {MovieId} is in the training data; the global mean answered",
        PredictionFallback.UnratedMovieByContent => $"movie {MovieId} has no ratings; the content model answered from similar movies user {UserId} rated",
        _ => null,
    };
}

/// <summary>A raw movie id with a score (a ranking score or a similarity).</summary>
public readonly record struct ScoredMovie(int MovieId, float Score);
