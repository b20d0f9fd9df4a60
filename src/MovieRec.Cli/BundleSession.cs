using System.Globalization;
using MovieRec.Core.Artifacts;
using MovieRec.Core.Data;
using MovieRec.Core.Models;

namespace MovieRec.Cli;

/// <summary>
/// The current model bundle as the people-facing commands (recommend, similar, predict) use it: models by name,
/// titles, and movies found by id or by the same title search as the page and <c>GET /movies</c>.
/// </summary>
internal sealed class BundleSession
{
    private BundleSession(ModelBundle bundle, string root)
    {
        Bundle = bundle;
        Root = root;
        Search = new MovieSearch(bundle.Movies.Values.OrderBy(m => m.MovieId), id =>
        {
            int i = bundle.Ratings.Items.IndexOf(id);
            return i < 0 ? 0 : bundle.Ratings.ItemRatingCount(i);
        });
    }

    public ModelBundle Bundle { get; }

    public string Root { get; }

    public MovieSearch Search { get; }

    /// <summary>--models, else $MOVIEREC_MODELS, else models.</summary>
    public static string ResolveRoot(string? folder) =>
        !string.IsNullOrWhiteSpace(folder) ? folder
        : Environment.GetEnvironmentVariable("MOVIEREC_MODELS") is { Length: > 0 } env ? env
        : "models";

    /// <exception cref="ArgumentException">There is no bundle, with the command that makes one.</exception>
    public static BundleSession Open(string? folder)
    {
        string root = ResolveRoot(folder);
        if (BundleStore.CurrentFolder(root) is null)
        {
            throw new ArgumentException(
                $"No model bundle in '{Path.GetFullPath(root)}'. Train one with 'movierec train [<folder>] --out {root}', start the service once (it trains on first start), or point --models (or MOVIEREC_MODELS) at a models folder.");
        }

        return new BundleSession(BundleStore.LoadCurrent(root), root);
    }

    /// <summary>The named model, or the default: svd where the bundle has it, else its first model.</summary>
    public IRecommenderModel Model(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return Bundle.Models.TryGetValue("svd", out IRecommenderModel? svd) ? svd : Bundle.Models[Bundle.Manifest.Models[0].Name];
        }

        foreach ((string key, IRecommenderModel model) in Bundle.Models)
        {
            if (string.Equals(key, name.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                return model;
            }
        }

        throw new ArgumentException($"--model '{name}' is not in bundle {Bundle.Manifest.Id}. Its models: {string.Join(", ", Bundle.Manifest.Models.Select(m => m.Name))}.");
    }

    /// <summary>The models of the bundle that can list similar movies.</summary>
    public IReadOnlyList<IRecommenderModel> SimilarModels()
    {
        var models = new List<IRecommenderModel>();
        foreach (ModelManifest m in Bundle.Manifest.Models)
        {
            IRecommenderModel model = Bundle.Models[m.Name];
            if (model.Train.ItemCount == 0)
            {
                continue;
            }

            if (model.Capabilities.SimilarItems is not null)
            {
                models.Add(model);
            }
        }

        return models;
    }

    public void CheckUser(int userId)
    {
        IdMap users = Bundle.Ratings.Users;
        if (!users.Contains(userId))
        {
            int min = int.MaxValue, max = int.MinValue;
            foreach (int id in users.RawIds)
            {
                min = Math.Min(min, id);
                max = Math.Max(max, id);
            }

            throw new ArgumentException(users.Count == 0
                ? $"User {userId} is not in bundle {Bundle.Manifest.Id}, which has no users."
                : $"User {userId} is not in bundle {Bundle.Manifest.Id} ({Bundle.Manifest.Dataset.Name}: {users.Count} users, ids {min}..{max}).");
        }
    }

    /// <summary>A movie by id ("1") or by title search ("toy story"); the error says what was tried.</summary>
    public Movie FindMovie(string text)
    {
        string trimmed = text.Trim();
        if (trimmed.Length == 0)
        {
            throw new ArgumentException("The movie is empty: give a movie id or a title.");
        }

        if (int.TryParse(trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out int id))
        {
            if (Bundle.Movies.TryGetValue(id, out Movie? byId))
            {
                return byId;
            }

            if (trimmed.Length != 4)
            {
                throw new ArgumentException($"Movie {id} is not in the catalogue of bundle {Bundle.Manifest.Id}.");
            }
        }

        return Search.Best(trimmed)
            ?? throw new ArgumentException($"No movie in the catalogue matches '{trimmed}'. Try fewer words, or a movie id.");
    }

    public string Title(int movieId) => Bundle.Movies.TryGetValue(movieId, out Movie? m) ? m.Title : $"movie {movieId}";

    /// <summary>The user's training ratings, best first.</summary>
    public IReadOnlyList<(int MovieId, float Rating)> History(int userId)
    {
        RatingMatrix r = Bundle.Ratings;
        int u = r.Users.IndexOf(userId);
        if (u < 0)
        {
            return [];
        }

        ReadOnlySpan<int> items = r.ItemsOf(u);
        ReadOnlySpan<float> values = r.RatingsOf(u);
        var history = new List<(int, float)>(items.Length);
        for (int k = 0; k < items.Length; k++)
        {
            history.Add((r.Items.RawId(items[k]), values[k]));
        }

        return [.. history.OrderByDescending(h => h.Item2).ThenBy(h => h.Item1)];
    }
}
