using MovieRec.Core.Data;
using MovieRec.Core.Numerics;

namespace MovieRec.Core.Models;

/// <summary>
/// The prediction template every model shares: raw ids are mapped to dense indices here, unknown users and movies
/// are answered by the <see cref="Fallback"/> baseline, estimates are clipped to the rating scale, and top-N
/// selection runs over <see cref="Score"/>. Algorithms override <see cref="EstimateCore"/> and, for ranking,
/// <see cref="Score"/>; and write their parameters for the model file (see <see cref="ModelRegistry"/>).
/// </summary>
public abstract class RecommenderModel : IRecommenderModel
{
    private ModelCapabilities? _capabilities;

    protected RecommenderModel(string name, RatingMatrix train, BiasBaseline fallback)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (fallback.UserBias.Length != train.UserCount || fallback.ItemBias.Length != train.ItemCount)
        {
            throw new ArgumentException("The fallback baseline does not match the training matrix.", nameof(fallback));
        }

        Name = name;
        Train = train;
        Fallback = fallback;
    }

    public string Name { get; }

    public RatingMatrix Train { get; }

    /// <summary>Answers for unknown users and movies.</summary>
    public BiasBaseline Fallback { get; }

    public Prediction Predict(int userId, int movieId)
    {
        int u = Train.Users.IndexOf(userId);
        int i = Train.Items.IndexOf(movieId);
        if (u >= 0 && i >= 0)
        {
            return new Prediction(userId, movieId, Estimate(u, i), PredictionFallback.None);
        }

        if (u >= 0 && i < 0 && PredictUnratedMovie(u, movieId) is float content)
        {
            return new Prediction(userId, movieId, Train.Scale.Clip(content), PredictionFallback.UnratedMovieByContent);
        }

        PredictionFallback why = (u, i) switch
        {
            ( < 0, < 0) => PredictionFallback.UnknownUserAndMovie,
            ( < 0, _) => PredictionFallback.UnknownUser,
            _ => PredictionFallback.UnknownMovie,
        };
        return new Prediction(userId, movieId, Train.Scale.Clip(Fallback.Estimate(u, i)), why);
    }

    public float Estimate(int u, int i) => Train.Scale.Clip(EstimateCore(u, i));

    public virtual void Score(int u, Span<float> scores)
    {
        for (int i = 0; i < scores.Length; i++)
        {
            scores[i] = EstimateCore(u, i);
        }
    }

    public IReadOnlyList<ScoredMovie> Recommend(int userId, int n, bool excludeRated = true, Func<int, bool>? filter = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        float[] scores = new float[Train.ItemCount];
        int u = Train.Users.IndexOf(userId);
        if (u >= 0)
        {
            Score(u, scores);
        }
        else
        {
            ScoreUnknownUser(scores);
        }

        return TopMovies(scores, n, u >= 0 && excludeRated ? Train.ItemsOf(u) : default, filter);
    }

    /// <summary>The best <paramref name="n"/> items of a score vector as raw movie ids; <paramref name="filter"/> sees raw ids.</summary>
    internal IReadOnlyList<ScoredMovie> TopMovies(float[] scores, int n, ReadOnlySpan<int> excludeSorted, Func<int, bool>? filter)
    {
        Func<int, bool>? include = filter is null ? null : i => filter(Train.Items.RawId(i));
        int[] top = TopK.Select(scores, n, excludeSorted, include);
        var result = new ScoredMovie[top.Length];
        for (int r = 0; r < top.Length; r++)
        {
            result[r] = new ScoredMovie(Train.Items.RawId(top[r]), scores[top[r]]);
        }

        return result;
    }

    public ModelCapabilities Capabilities => _capabilities ??= ResolveCapabilities();

    /// <summary>The stable id of this model's payload format, written into model files (never a CLR type name).</summary>
    protected internal abstract string FormatKind { get; }

    /// <summary>The capability interfaces this model implements, unless a model provides them conditionally.</summary>
    protected virtual ModelCapabilities ResolveCapabilities() => ModelCapabilities.Of(this);

    /// <summary>Writes what the algorithm learned (not the matrix or fallback, which the serializer writes).</summary>
    protected internal abstract void WriteParameters(BinaryWriter writer);

    /// <summary>The unclipped estimate for a known user and item.</summary>
    protected abstract float EstimateCore(int u, int i);

    /// <summary>A known user's estimate for a movie without ratings, for models that can make one (content); else null.</summary>
    protected internal virtual float? PredictUnratedMovie(int u, int movieId) => null;

    /// <summary>Ranking scores for a user the model has not seen: the movies' baselines unless overridden.</summary>
    protected internal virtual void ScoreUnknownUser(Span<float> scores)
    {
        for (int i = 0; i < scores.Length; i++)
        {
            scores[i] = Fallback.Estimate(-1, i);
        }
    }
}
