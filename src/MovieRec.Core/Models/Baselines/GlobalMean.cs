using MovieRec.Core.Data;

namespace MovieRec.Core.Models.Baselines;

/// <summary>Options of <see cref="GlobalMeanTrainer"/>: it has nothing to tune.</summary>
public sealed record GlobalMeanOptions;

/// <summary>Predicts the mean of all training ratings: the floor every model must beat.</summary>
public sealed class GlobalMeanTrainer : IRecommenderTrainer
{
    public const string ModelName = "mean";

    public string Name => ModelName;

    public IRecommenderModel Fit(RatingMatrix train, TrainingOptions? options = null) =>
        new GlobalMeanModel(train, BiasBaseline.Default(train));
}

public sealed class GlobalMeanModel : RecommenderModel
{
    /// <summary>The stable payload kind written into model files.</summary>
    public const string Kind = "global-mean";

    internal GlobalMeanModel(RatingMatrix train, BiasBaseline fallback)
        : base(GlobalMeanTrainer.ModelName, train, fallback)
    {
    }

    protected internal override string FormatKind => Kind;

    protected internal override void WriteParameters(BinaryWriter writer)
    {
    }

    internal static GlobalMeanModel Read(BinaryReader reader, RatingMatrix train, BiasBaseline fallback) => new(train, fallback);

    protected override float EstimateCore(int u, int i) => (float)Train.GlobalMean;
}
