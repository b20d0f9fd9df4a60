using MovieRec.Core.Models.Baselines;
using MovieRec.Core.Models.Factorization;

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
    ];

    public static IReadOnlyList<string> Names { get; } = [.. All.Select(m => m.Name)];

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
