using MovieRec.Core.Models.Baselines;
using MovieRec.Core.Models.Factorization;
using MovieRec.Core.Models.Neighborhood;

namespace MovieRec.Core.Models;

/// <summary>A model the CLI and API can name.</summary>
public sealed record ModelInfo(string Name, string Description, Func<int, IRecommenderTrainer> CreateTrainer);

/// <summary>Every model by its stable lower-case name. New algorithms register here and nowhere else.</summary>
public static class ModelCatalog
{
    public static IReadOnlyList<ModelInfo> All { get; } =
    [
        new(GlobalMeanTrainer.ModelName, "global mean rating", _ => new GlobalMeanTrainer()),
        new(BaselineOnlyTrainer.AlsName, "mu + b_u + b_i, ALS (Surprise BaselineOnly defaults)", _ => new BaselineOnlyTrainer()),
        new(BaselineOnlyTrainer.SgdName, "mu + b_u + b_i, SGD (Surprise defaults)", _ => new BaselineOnlyTrainer(new BaselineOptions { Method = BaselineMethod.Sgd })),
        new(PopularityTrainer.ModelName, "most rated movies first; baseline rating predictions", _ => new PopularityTrainer()),
        new(SvdTrainer.ModelName, "biased matrix factorization by SGD, MovieRec's tuned defaults", seed => new SvdTrainer(new SvdOptions { Seed = seed })),
        new(SvdTrainer.SurpriseName, "biased matrix factorization by SGD, Surprise's defaults", seed => new SvdTrainer(SvdOptions.Surprise with { Seed = seed }, SvdTrainer.SurpriseName)),
        new(SvdPlusPlusTrainer.ModelName, "SVD++: factorization with implicit feedback from what each user rated", seed => new SvdPlusPlusTrainer(SvdPlusPlusTrainer.Defaults with { Seed = seed })),
        new(AlsTrainer.ModelName, "biased matrix factorization by alternating least squares", seed => new AlsTrainer(new AlsOptions { Seed = seed })),
        new(ImplicitAlsTrainer.ModelName, "implicit-feedback ALS (Hu, Koren, Volinsky) for top-N ranking; baseline rating predictions", seed => new ImplicitAlsTrainer(new ImplicitAlsOptions { Seed = seed })),
        new(UserKnnTrainer.ModelName, "user-based kNN: baseline rule, pearson-baseline, k 40 (Surprise KNNBaseline)", _ => new UserKnnTrainer()),
        new(ItemKnnTrainer.ModelName, "item-based kNN: baseline rule, pearson-baseline, k 40 (Surprise KNNBaseline)", _ => new ItemKnnTrainer()),
        KnnVariant(false, KnnPrediction.Basic, KnnSimilarity.Msd, "basic", "KNNBasic"),
        KnnVariant(false, KnnPrediction.Basic, KnnSimilarity.Cosine, "cosine", "KNNBasic"),
        KnnVariant(false, KnnPrediction.Means, KnnSimilarity.Msd, "means", "KNNWithMeans"),
        KnnVariant(false, KnnPrediction.ZScore, KnnSimilarity.Msd, "zscore", "KNNWithZScore"),
        KnnVariant(true, KnnPrediction.Basic, KnnSimilarity.Msd, "basic", "KNNBasic"),
        KnnVariant(true, KnnPrediction.Means, KnnSimilarity.Msd, "means", "KNNWithMeans"),
        KnnVariant(true, KnnPrediction.ZScore, KnnSimilarity.Msd, "zscore", "KNNWithZScore"),
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
    public static IRecommenderTrainer Create(string name, int seed = 42)
    {
        foreach (ModelInfo info in All)
        {
            if (string.Equals(info.Name, name.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                return info.CreateTrainer(seed);
            }
        }

        throw new ArgumentException($"Unknown model '{name}'. Known models: {string.Join(", ", Names)}.", nameof(name));
    }
}
