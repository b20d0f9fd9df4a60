using System.Collections.Concurrent;
using System.Collections.Frozen;
using MovieRec.Core.Artifacts;
using MovieRec.Core.Data;
using MovieRec.Core.Models;

namespace MovieRec.Api.Hosting;

/// <summary>
/// A loaded bundle with the lookups the endpoints need, built once at load. Immutable apart from its recommendation
/// cache, whose entries can never go stale because the models cannot change; a reload replaces the whole object.
/// </summary>
public sealed class ServedBundle
{
    private readonly ConcurrentDictionary<RecommendationKey, IReadOnlyList<ScoredMovie>> _cache = new();
    private readonly int _cacheSize;
    private int _cached;

    public ServedBundle(ModelBundle bundle, int cacheSize)
    {
        Bundle = bundle;
        _cacheSize = cacheSize;
        MoviesById = bundle.Movies.ToFrozenDictionary();
        MoviesInOrder = [.. bundle.Movies.Values.OrderBy(m => m.MovieId)];
        var genres = new Dictionary<string, HashSet<int>>(StringComparer.OrdinalIgnoreCase);
        foreach (Movie movie in MoviesInOrder)
        {
            foreach (string genre in movie.Genres)
            {
                if (!genres.TryGetValue(genre, out HashSet<int>? ids))
                {
                    genres[genre] = ids = [];
                }

                ids.Add(movie.MovieId);
            }
        }

        MoviesByGenre = genres.ToFrozenDictionary(g => g.Key, g => g.Value.ToFrozenSet(), StringComparer.OrdinalIgnoreCase);
        Genres = [.. genres.Keys.Order(StringComparer.Ordinal)];
        ModelNames = [.. bundle.Manifest.Models.Select(m => m.Name)];
        SimilarModels = [.. ModelNames.Where(name => SupportsSimilar(bundle.Models[name]))];
    }

    public ModelBundle Bundle { get; }

    public string Id => Bundle.Manifest.Id;

    public RatingMatrix Ratings => Bundle.Ratings;

    public FrozenDictionary<int, Movie> MoviesById { get; }

    public IReadOnlyList<Movie> MoviesInOrder { get; }

    public FrozenDictionary<string, FrozenSet<int>> MoviesByGenre { get; }

    public IReadOnlyList<string> Genres { get; }

    /// <summary>Model names in manifest order.</summary>
    public IReadOnlyList<string> ModelNames { get; }

    /// <summary>Models that answer <see cref="IRecommenderModel.Similar"/>.</summary>
    public IReadOnlyList<string> SimilarModels { get; }

    public bool IsKnownUser(int userId) => Ratings.Users.Contains(userId);

    /// <summary>A movie is known when it is in the catalogue or has ratings.</summary>
    public bool IsKnownMovie(int movieId) => MoviesById.ContainsKey(movieId) || Ratings.Items.Contains(movieId);

    /// <summary>Recommendation lists in the cache.</summary>
    public int CachedLists => Volatile.Read(ref _cached);

    /// <summary>
    /// <see cref="IRecommenderModel.Recommend"/>, remembered while the cache has room. Only users in the training data
    /// are remembered: unknown ids (allowFallback) are unbounded, and caching them would crowd out real users.
    /// </summary>
    public IReadOnlyList<ScoredMovie> Recommend(IRecommenderModel model, int userId, int n, bool excludeRated, string? genre)
    {
        bool cacheable = _cacheSize > 0 && IsKnownUser(userId);
        var key = new RecommendationKey(model.Name, userId, n, excludeRated, genre?.ToUpperInvariant());
        if (cacheable && _cache.TryGetValue(key, out IReadOnlyList<ScoredMovie>? cached))
        {
            return cached;
        }

        Func<int, bool>? filter = genre is null ? null : MoviesByGenre[genre].Contains;
        IReadOnlyList<ScoredMovie> result = model.Recommend(userId, n, excludeRated, filter);

        // A counter, not ConcurrentDictionary.Count, which takes every lock of the dictionary.
        if (cacheable && Volatile.Read(ref _cached) < _cacheSize && _cache.TryAdd(key, result))
        {
            Interlocked.Increment(ref _cached);
        }

        return result;
    }

    private static bool SupportsSimilar(IRecommenderModel model)
    {
        if (model.Train.ItemCount == 0)
        {
            return false;
        }

        try
        {
            model.Similar(model.Train.Items.RawId(0), 1);
            return true;
        }
        catch (NotSupportedException)
        {
            return false;
        }
    }

    private readonly record struct RecommendationKey(string Model, int UserId, int N, bool ExcludeRated, string? Genre);
}
