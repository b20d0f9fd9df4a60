using MovieRec.Core.Models.Baselines;
using MovieRec.Core.Models.Content;
using MovieRec.Core.Models.Ease;
using MovieRec.Core.Models.Factorization;
using MovieRec.Core.Models.Hybrid;
using MovieRec.Core.Models.Neighborhood;
using MovieRec.Core.Models.Neural;

namespace MovieRec.Core.Models;

/// <summary>What a trainer may need beyond the ratings: a seed, and for content models the catalogue and tags.</summary>
public sealed record ModelContext(int Seed = 42, IReadOnlyList<Data.Movie>? Movies = null, IReadOnlyList<Data.Tag>? Tags = null);

/// <summary>A model the CLI and API can name.</summary>
public sealed record ModelInfo(string Name, string Description, Func<ModelContext, IRecommenderTrainer> CreateTrainer, bool NeedsCatalogue = false);

/// <summary>Every model by its stable lower-case name. New algorithms register here and nowhere else.</summary>
public static class ModelCatalog
{
    public static IReadOnlyList<ModelInfo> All { get; } =
    [
        new(GlobalMeanTrainer.ModelName, "global mean rating", _ => new GlobalMeanTrainer()),
        new(BaselineOnlyTrainer.AlsName, "mu + b_u + b_i, ALS (Surprise BaselineOnly defaults)", _ => new BaselineOnlyTrainer()),
        new(BaselineOnlyTrainer.SgdName, "mu + b_u + b_i, SGD (Surprise defaults)", _ => new BaselineOnlyTrainer(new BaselineOptions { Method = BaselineMethod.Sgd })),
        new(PopularityTrainer.ModelName, "most rated movies first; baseline rating predictions", _ => new PopularityTrainer()),
        new(SvdTrainer.ModelName, "biased matrix factorization by SGD, MovieRec's tuned defaults", c => new SvdTrainer(new SvdOptions { Seed = c.Seed })),
        new(SvdTrainer.SurpriseName, "biased matrix factorization by SGD, Surprise's defaults", c => new SvdTrainer(SvdOptions.Surprise with { Seed = c.Seed }, SvdTrainer.SurpriseName)),
        new(SvdPlusPlusTrainer.ModelName, "SVD++: factorization with implicit feedback from what each user rated", c => new SvdPlusPlusTrainer(SvdPlusPlusTrainer.Defaults with { Seed = c.Seed })),
        new(AlsTrainer.ModelName, "biased matrix factorization by alternating least squares", c => new AlsTrainer(new AlsOptions { Seed = c.Seed })),
        new(ImplicitAlsTrainer.ModelName, "implicit-feedback ALS (Hu, Koren, Volinsky) for top-N ranking; baseline rating predictions", c => new ImplicitAlsTrainer(new ImplicitAlsOptions { Seed = c.Seed })),
        new(EaseTrainer.ModelName, "EASE^R closed-form item-item model for top-N ranking (most-rated movies); baseline rating predictions", _ => new EaseTrainer()),
        new(AutoRecTrainer.ModelName, "item-based AutoRec: each movie's baseline residuals through a 100-unit sigmoid autoencoder, loss on observed ratings (Adam, early stopping)", c => new AutoRecTrainer(new AutoRecOptions { Seed = c.Seed })),
        new(DeepMfTrainer.DeepName, "deep MF: user and movie embeddings through dense layers with batch normalization, ReLU and dropout, plus biases and p_u . q_i (early stopping)", c => new DeepMfTrainer(new DeepMfOptions { Seed = c.Seed })),
        new(DeepMfTrainer.ResidualName, "deep MF with residual connections between its three dense layers", c => new DeepMfTrainer(new DeepMfOptions { Seed = c.Seed, Residual = true, Depth = 3 })),
        new(UserKnnTrainer.ModelName, "user-based kNN: baseline rule, pearson-baseline, k 40 (Surprise KNNBaseline)", _ => new UserKnnTrainer()),
        new(ItemKnnTrainer.ModelName, "item-based kNN: baseline rule, pearson-baseline, k 40 (Surprise KNNBaseline)", _ => new ItemKnnTrainer()),
        KnnVariant(false, KnnPrediction.Basic, KnnSimilarity.Msd, "basic", "KNNBasic"),
        KnnVariant(false, KnnPrediction.Basic, KnnSimilarity.Cosine, "cosine", "KNNBasic"),
        KnnVariant(false, KnnPrediction.Means, KnnSimilarity.Msd, "means", "KNNWithMeans"),
        KnnVariant(false, KnnPrediction.ZScore, KnnSimilarity.Msd, "zscore", "KNNWithZScore"),
        KnnVariant(true, KnnPrediction.Basic, KnnSimilarity.Msd, "basic", "KNNBasic"),
        KnnVariant(true, KnnPrediction.Means, KnnSimilarity.Msd, "means", "KNNWithMeans"),
        KnnVariant(true, KnnPrediction.ZScore, KnnSimilarity.Msd, "zscore", "KNNWithZScore"),
        new(ContentTrainer.ModelName, "TF-IDF over genres, tags and title words (Microsoft.ML); cosine similarity, works for unrated movies",
            c => new ContentTrainer(c.Movies ?? [], c.Tags ?? []), NeedsCatalogue: true),
        new(HybridTrainer.ModelName, "stacked blend of baseline, item-knn, user-knn, svd, svdpp, als and content (ridge blender); ranks with implicit-als",
            c => new HybridTrainer(c, new HybridOptions { Seed = c.Seed }), NeedsCatalogue: true),
        new(HybridTrainer.FastTreeName, "the hybrid with a FastTree (gradient-boosted trees) blender",
            c => new HybridTrainer(c, new HybridOptions { Seed = c.Seed, Blender = HybridBlender.FastTree }), NeedsCatalogue: true),
    ];

    public static IReadOnlyList<string> Names { get; } = [.. All.Select(m => m.Name)];

    // The named kNN variants use Surprise's default similarity (msd) unless their name says otherwise, so each
    // matches a row of PEERS.md.
    private static ModelInfo KnnVariant(bool itemBased, KnnPrediction rule, KnnSimilarity similarity, string suffix, string surprise)
    {
        string name = $"{(itemBased ? ItemKnnTrainer.ModelName : UserKnnTrainer.ModelName)}-{suffix}";
        string simName = similarity == KnnSimilarity.Msd ? "msd" : "cosine";
        var options = new KnnOptions { Prediction = rule, Similarity = similarity };
        return new(name, $"{(itemBased ? "item" : "user")}-based kNN: {rule.ToString().ToLowerInvariant()} rule, {simName}, k 40 (Surprise {surprise})",
            _ => itemBased ? new ItemKnnTrainer(options, name) : new UserKnnTrainer(options, name));
    }

    /// <summary>The trainer for a model name; the error lists the known names.</summary>
    public static IRecommenderTrainer Create(string name, int seed = 42) => Create(name, new ModelContext(seed));

    /// <summary>The trainer for a model name, given the context some models need; the error lists the known names.</summary>
    public static IRecommenderTrainer Create(string name, ModelContext context) => Info(name).CreateTrainer(context);

    /// <summary>A model by name (case-insensitive); the error lists the known names.</summary>
    public static ModelInfo Info(string name) =>
        All.FirstOrDefault(m => string.Equals(m.Name, name.Trim(), StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown model '{name}'. Known models: {string.Join(", ", Names)}.", nameof(name));
}
