using MovieRec.Core.Data;
using MovieRec.Core.Numerics;

namespace MovieRec.Core.Models;

/// <summary>
/// A model that scores a user given by a history of ratings rather than by a row it was trained on: a live user,
/// a visitor, or a user of the data whose live ratings changed since training. Factorization models solve for the
/// user's vector with the item side fixed; neighbourhood and content models score from the history directly.
/// </summary>
public interface IFoldIn
{
    /// <summary>Ranking scores of every item (dense indices) for <paramref name="history"/> (higher is better).</summary>
    void ScoreHistory(UserHistory history, Span<float> scores);
}

/// <summary>
/// A model that ranks the top of a user's list without scoring every movie exactly: the same indices, order and scores
/// as <see cref="IRecommenderModel.Score"/> (or <see cref="IFoldIn.ScoreHistory"/>) followed by <see cref="TopK.Select"/>,
/// only faster (an approximate pass with exact re-scoring near the cut, or bounds that skip movies that cannot make it).
/// </summary>
public interface ITopRanker
{
    /// <summary>The top <paramref name="k"/> of a trained user's scores, skipping <paramref name="excludeSorted"/> and what <paramref name="include"/> rejects.</summary>
    RankedTop Top(int u, int k, ReadOnlySpan<int> excludeSorted, Func<int, bool>? include);

    /// <summary>The top <paramref name="k"/> of a history's scores (as <see cref="IFoldIn.ScoreHistory"/> scores it).</summary>
    RankedTop TopOfHistory(UserHistory history, int k, ReadOnlySpan<int> excludeSorted, Func<int, bool>? include);
}

/// <summary>A model that can say which of a user's rated movies made a movie's score, and by how much.</summary>
public interface IExplainable
{
    /// <summary>
    /// Up to <paramref name="max"/> of the history's movies with the largest contribution to the score of
    /// <paramref name="movieId"/>, largest first; each weight is that movie's additive share of the ranking score.
    /// </summary>
    IReadOnlyList<Contribution> Explain(UserHistory history, int movieId, int max);
}

/// <summary>A rated movie's share of a recommended movie's score.</summary>
public readonly record struct Contribution(int MovieId, float Weight);

/// <summary>
/// A user's ratings in a model's dense item indices (sorted ascending), for <see cref="IFoldIn"/> and <see cref="IExplainable"/>.
/// Movies the model was not trained on are left out (they have no parameters to score with).
/// </summary>
public sealed class UserHistory
{
    private UserHistory(RatingMatrix train, int[] items, float[] ratings, int knownUser)
    {
        Train = train;
        Items = items;
        Ratings = ratings;
        KnownUser = knownUser;
    }

    public RatingMatrix Train { get; }

    /// <summary>Dense item indices, ascending.</summary>
    public int[] Items { get; }

    /// <summary>The rating of each of <see cref="Items"/>.</summary>
    public float[] Ratings { get; }

    /// <summary>The user's dense index in the training matrix, or -1 for a user the model has not seen.</summary>
    public int KnownUser { get; }

    public int Count => Items.Length;

    /// <summary>The raw movie id of entry <paramref name="k"/>.</summary>
    public int MovieId(int k) => Train.Items.RawId(Items[k]);

    /// <summary>A history from raw (movie id, rating) pairs; a movie given twice keeps its last rating.</summary>
    public static UserHistory From(RatingMatrix train, IEnumerable<(int MovieId, float Rating)> ratings, int userId = -1)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(ratings);
        var byItem = new SortedDictionary<int, float>();
        foreach ((int movieId, float rating) in ratings)
        {
            int i = train.Items.IndexOf(movieId);
            if (i >= 0)
            {
                byItem[i] = rating;
            }
        }

        return new UserHistory(train, [.. byItem.Keys], [.. byItem.Values], userId < 0 ? -1 : train.Users.IndexOf(userId));
    }

    /// <summary>The same history without one movie (to see what it contributed).</summary>
    public UserHistory Without(int movieId)
    {
        int i = Train.Items.IndexOf(movieId);
        int at = i < 0 ? -1 : Array.BinarySearch(Items, i);
        if (at < 0)
        {
            return this;
        }

        return new UserHistory(Train, [.. Items[..at], .. Items[(at + 1)..]], [.. Ratings[..at], .. Ratings[(at + 1)..]], KnownUser);
    }
}

/// <summary>A model that knows which movies are alike (implicit's similar_items).</summary>
public interface ISimilarItems
{
    /// <summary>The movies most similar to a raw movie id, best first, with their similarity; empty for an unknown movie.</summary>
    IReadOnlyList<ScoredMovie> Similar(int movieId, int n);
}

/// <summary>
/// What a model can do beyond predicting and ranking, resolved once per model (a served bundle resolves it at load).
/// A capability is absent (null) when the model cannot provide it; nothing is detected by exception or concrete type.
/// </summary>
public sealed record ModelCapabilities(ISimilarItems? SimilarItems, IFoldIn? FoldIn, IExplainable? Explainable, ITopRanker? TopRanker = null)
{
    public static readonly ModelCapabilities None = new(null, null, null);

    /// <summary>The capabilities a model implements as interfaces.</summary>
    public static ModelCapabilities Of(object model) => new(model as ISimilarItems, model as IFoldIn, model as IExplainable, model as ITopRanker);
}
