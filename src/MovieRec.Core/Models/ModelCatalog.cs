using MovieRec.Core.Models.Baselines;

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
