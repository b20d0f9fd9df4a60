using System.Collections.Concurrent;
using System.Collections.Frozen;
using MovieRec.Core.Artifacts;
using MovieRec.Core.Data;
using MovieRec.Core.Feedback;
using MovieRec.Core.Models;
using MovieRec.Core.Numerics;

namespace MovieRec.Api.Hosting;

/// <summary>
/// A loaded bundle with the lookups the endpoints need, built once at load. Immutable apart from its recommendation
/// cache, which is per user: each user's entries carry the version of the live ratings they were computed from, a
/// user's change drops that user's entries (<see cref="Invalidate"/>), and a stale version is never served. A reload
/// replaces the whole object.
/// </summary>
public sealed class ServedBundle
{
    private readonly ConcurrentDictionary<int, UserCache> _cache = new();
    private readonly int _cacheSize;
    private readonly RecommendationCacheCounters _cacheCounters;
    private int _cached;

    public ServedBundle(ModelBundle bundle, int cacheSize, RecommendationCacheCounters? cacheCounters = null)
    {
        Bundle = bundle;
        _cacheSize = cacheSize;
        _cacheCounters = cacheCounters ?? new RecommendationCacheCounters();
        LoadedAt = DateTimeOffset.UtcNow;
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
        Search = new MovieSearch(MoviesInOrder, id =>
        {
            int i = bundle.Ratings.Items.IndexOf(id);
            return i < 0 ? 0 : bundle.Ratings.ItemRatingCount(i);
        });
        Links = ReadLinks(bundle.Manifest.Dataset.Folder);
        ModelNames = [.. bundle.Manifest.Models.Select(m => m.Name)];
        // Capabilities are resolved once per bundle, here.
        Capabilities = bundle.Models.ToFrozenDictionary(m => m.Key, m => m.Value.Capabilities, StringComparer.OrdinalIgnoreCase);
        SimilarModels = [.. ModelNames.Where(name => Capabilities[name].SimilarItems is not null)];

        // The fast rankers build their packed copies lazily: build them (and compile their code) now, at load, so that the
        // first requests after a start or a swap do not pay for it.
        foreach ((string name, IRecommenderModel model) in bundle.Models)
        {
            if (Capabilities[name].TopRanker is { } ranker && model.Train.UserCount > 0)
            {
                ranker.Top(0, 10, model.Train.ItemsOf(0), null);
            }
        }
    }

    public ModelBundle Bundle { get; }

    public string Id => Bundle.Manifest.Id;

    /// <summary>When this bundle started serving (was loaded).</summary>
    public DateTimeOffset LoadedAt { get; }

    public RatingMatrix Ratings => Bundle.Ratings;

    public FrozenDictionary<int, Movie> MoviesById { get; }

    public IReadOnlyList<Movie> MoviesInOrder { get; }

    public FrozenDictionary<string, FrozenSet<int>> MoviesByGenre { get; }

    public IReadOnlyList<string> Genres { get; }

    /// <summary>Title search by relevance (the page, <c>GET /movies?query=</c>); ties go to the more-rated movie.</summary>
    public MovieSearch Search { get; }

    /// <summary>IMDb and TMDB ids by movie id, from the training folder's links.csv where it is still there (else empty).</summary>
    public FrozenDictionary<int, MovieLink> Links { get; }

    /// <summary>Model names in manifest order.</summary>
    public IReadOnlyList<string> ModelNames { get; }

    /// <summary>Models that have <see cref="ISimilarItems"/>.</summary>
    public IReadOnlyList<string> SimilarModels { get; }

    /// <summary>Each model's capabilities by name.</summary>
    public FrozenDictionary<string, ModelCapabilities> Capabilities { get; }

    /// <summary>The capabilities of one of this bundle's models.</summary>
    public ModelCapabilities CapabilitiesOf(IRecommenderModel model) =>
        Capabilities.TryGetValue(model.Name, out ModelCapabilities? found) ? found : model.Capabilities;

    public bool IsKnownUser(int userId) => Ratings.Users.Contains(userId);

    /// <summary>A movie is known when it is in the catalogue or has ratings.</summary>
    public bool IsKnownMovie(int movieId) => MoviesById.ContainsKey(movieId) || Ratings.Items.Contains(movieId);

    /// <summary>Entries (lists) cached now, over all users.</summary>
    public int CachedLists => Volatile.Read(ref _cached);

    /// <summary>Drops a user's cached lists (their live ratings changed).</summary>
    public void Invalidate(int userId)
    {
        if (_cache.TryRemove(userId, out UserCache? removed))
        {
            Interlocked.Add(ref _cached, -removed.Lists.Count);
        }
    }

    /// <summary>
    /// Ranks <paramref name="offset"/>..<paramref name="offset"/>+<paramref name="n"/> for a user from the dataset and their
    /// live ratings: the model's own row when nothing is live, else fold-in (<see cref="IFoldIn"/>) over the merged history,
    /// else the model's row (or non-personal ranking) without the merged history. Remembered per user and live version.
    /// With fromHistory the merged history is scored even when nothing is live, so that explanations (computed from the
    /// history) are true of the scores shown.
    /// </summary>
    public LiveRecommendation Recommend(IRecommenderModel model, int userId, UserLiveRatings? live, int offset, int n, bool excludeRated, string? genre,
        bool fromHistory = false)
    {
        long version = live?.Version ?? 0;
        // Only users in the training data or with live ratings are remembered: unknown ids (allowFallback) are unbounded,
        // and caching them would crowd out real users.
        bool cacheable = _cacheSize > 0 && (live is not null || IsKnownUser(userId));
        var key = new RecommendationKey(model.Name, offset, n, excludeRated, genre?.ToUpperInvariant(), fromHistory);
        if (cacheable)
        {
            if (_cache.TryGetValue(userId, out UserCache? entry) && entry.Version == version && entry.Lists.TryGetValue(key, out LiveRecommendation? cached))
            {
                _cacheCounters.Hit();
                return cached;
            }

            _cacheCounters.Miss();
        }

        LiveRecommendation result = Compute(model, userId, live, offset, n, excludeRated, genre, fromHistory);
        if (cacheable && Volatile.Read(ref _cached) < _cacheSize)
        {
            UserCache users = _cache.AddOrUpdate(userId, _ => new UserCache(version), (_, old) => old.Version >= version ? old : new UserCache(version));
            if (users.Version == version && users.Lists.TryAdd(key, result))
            {
                // A counter, not ConcurrentDictionary.Count, which takes every lock of the dictionary.
                Interlocked.Increment(ref _cached);
            }
        }

        return result;
    }

    /// <summary>The user's merged history (dataset overlaid with live ratings) in the model's dense indices.</summary>
    public UserHistory History(IRecommenderModel model, int userId, UserLiveRatings? live) =>
        UserHistory.From(model.Train, LiveOverlay.Merge(Ratings, userId, live?.Ratings).Select(r => (r.MovieId, r.Rating)), userId);

    private LiveRecommendation Compute(IRecommenderModel model, int userId, UserLiveRatings? live, int offset, int n, bool excludeRated, string? genre,
        bool fromHistory)
    {
        Func<int, bool>? filter = genre is null ? null : MoviesByGenre[genre].Contains;
        RatingMatrix train = model.Train;
        Func<int, bool>? include = filter is null ? null : i => filter(train.Items.RawId(i));
        ModelCapabilities capabilities = CapabilitiesOf(model);
        ITopRanker? ranker = capabilities.TopRanker;
        int u = train.Users.IndexOf(userId);
        int count = offset + n;
        RankedTop top;
        string method;
        UserHistory? history = null;
        if (live is null && u >= 0 && !(fromHistory && capabilities.FoldIn is not null))
        {
            ReadOnlySpan<int> rated = excludeRated ? train.ItemsOf(u) : default;
            top = ranker is not null ? ranker.Top(u, count, rated, include) : RankedTop.FromScores(ScoreRow(model, u), count, rated, include);
            method = "model";
        }
        else
        {
            history = History(model, userId, live);
            ReadOnlySpan<int> rated = excludeRated ? history.Items : default;
            if (history.Count > 0 && FoldInTop(model, history, count, rated, include) is RankedTop folded)
            {
                top = folded;
                method = "fold-in";
            }
            else if (u >= 0)
            {
                top = ranker is not null ? ranker.Top(u, count, rated, include) : RankedTop.FromScores(ScoreRow(model, u), count, rated, include);
                method = "model";
            }
            else
            {
                // A user with no usable history (or a model that cannot place one): the model's non-personal ranking.
                float[] scores = new float[train.ItemCount];
                Array.Fill(scores, float.NegativeInfinity);
                foreach (ScoredMovie s in model.Recommend(-1, train.ItemCount, excludeRated: false))
                {
                    scores[train.Items.IndexOf(s.MovieId)] = s.Score;
                }

                top = RankedTop.FromScores(scores, count, rated, include);
                method = "non-personal";
            }
        }

        var items = new ScoredMovie[Math.Max(0, top.Items.Length - offset)];
        for (int r = 0; r < items.Length; r++)
        {
            items[r] = new ScoredMovie(train.Items.RawId(top.Items[offset + r]), top.Scores[offset + r]);
        }

        return new LiveRecommendation(items, method, history);
    }

    /// <summary>
    /// The top <paramref name="count"/> of a history's fold-in scores (the model's fast ranker where it has one, else every
    /// score then <see cref="TopK"/>), or null for a model that cannot fold in.
    /// </summary>
    public RankedTop? FoldInTop(IRecommenderModel model, UserHistory history, int count, ReadOnlySpan<int> exclude, Func<int, bool>? include)
    {
        ModelCapabilities capabilities = CapabilitiesOf(model);
        if (capabilities.TopRanker is { } ranker)
        {
            return ranker.TopOfHistory(history, count, exclude, include);
        }

        if (capabilities.FoldIn is not { } foldIn)
        {
            return null;
        }

        float[] scores = new float[model.Train.ItemCount];
        foldIn.ScoreHistory(history, scores);
        return RankedTop.FromScores(scores, count, exclude, include);
    }

    private static float[] ScoreRow(IRecommenderModel model, int u)
    {
        float[] scores = new float[model.Train.ItemCount];
        model.Score(u, scores);
        return scores;
    }

    // Links are not part of a bundle; they are read once per load from the dataset folder the bundle names.
    private static FrozenDictionary<int, MovieLink> ReadLinks(string folder)
    {
        try
        {
            if (!File.Exists(Path.Combine(folder, "links.csv")))
            {
                return FrozenDictionary<int, MovieLink>.Empty;
            }

            MovieLensDataset metadata = MovieLensLoader.Load(folder, new LoadOptions { IncludeRatings = false, SkipInvalid = true });
            var links = new Dictionary<int, MovieLink>(metadata.Links.Count);
            foreach (MovieLink link in metadata.Links)
            {
                links[link.MovieId] = link;
            }

            return links.ToFrozenDictionary();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or MovieLensDataException)
        {
            return FrozenDictionary<int, MovieLink>.Empty;
        }
    }

    private readonly record struct RecommendationKey(string Model, int Offset, int N, bool ExcludeRated, string? Genre, bool FromHistory);

    private sealed class UserCache(long version)
    {
        public long Version { get; } = version;

        public ConcurrentDictionary<RecommendationKey, LiveRecommendation> Lists { get; } = new();
    }
}

/// <summary>A ranked page for a user, how it was made, and the history it was made from (null when the model's own row answered).</summary>
public sealed record LiveRecommendation(IReadOnlyList<ScoredMovie> Items, string Method, UserHistory? History);
