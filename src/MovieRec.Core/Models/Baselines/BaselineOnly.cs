using MovieRec.Core.Data;

namespace MovieRec.Core.Models.Baselines;

public enum BaselineMethod
{
    /// <summary>Alternating least squares (Surprise's default).</summary>
    Als,

    /// <summary>Stochastic gradient descent.</summary>
    Sgd,
}

/// <summary>
/// Options of <see cref="BaselineOnlyTrainer"/>. Defaults are Surprise's: ALS with reg_u 15, reg_i 10 and 10 epochs;
/// SGD with learning rate 0.005, regularisation 0.02 and 20 epochs.
/// </summary>
public sealed record BaselineOptions
{
    [Option("how the biases are fitted")]
    public BaselineMethod Method { get; init; } = BaselineMethod.Als;

    /// <summary>ALS: regularisation of the user biases.</summary>
    [Option("ALS: regularisation of the user biases", Min = 0, Max = 10000, TuneMin = 1, TuneMax = 50, LogScale = true)]
    public double RegUser { get; init; } = 15;

    /// <summary>ALS: regularisation of the item biases.</summary>
    [Option("ALS: regularisation of the movie biases", Min = 0, Max = 10000, TuneMin = 1, TuneMax = 50, LogScale = true)]
    public double RegItem { get; init; } = 10;

    /// <summary>Epochs; null takes the method's default (ALS 10, SGD 20).</summary>
    [Option("epochs; none takes the method's default (ALS 10, SGD 20)", Min = 1, Max = 10000)]
    public int? Epochs { get; init; }

    /// <summary>SGD: learning rate.</summary>
    [Option("SGD: learning rate", Min = 0, MinExclusive = true, Max = 1)]
    public double LearningRate { get; init; } = 0.005;

    /// <summary>SGD: regularisation of both biases.</summary>
    [Option("SGD: regularisation of both biases", Min = 0, Max = 10)]
    public double Regularization { get; init; } = 0.02;

    public int EffectiveEpochs => Epochs ?? (Method == BaselineMethod.Als ? 10 : 20);

    public BaselineOptions Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(RegUser, nameof(RegUser));
        ArgumentOutOfRangeException.ThrowIfNegative(RegItem, nameof(RegItem));
        ArgumentOutOfRangeException.ThrowIfNegative(Regularization, nameof(Regularization));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(LearningRate, nameof(LearningRate));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(EffectiveEpochs, nameof(Epochs));
        return this;
    }
}

/// <summary>Predicts mu + b_u + b_i (Koren's baseline estimate; Surprise's BaselineOnly).</summary>
public sealed class BaselineOnlyTrainer(BaselineOptions? options = null) : IRecommenderTrainer
{
    public const string AlsName = "baseline";
    public const string SgdName = "baseline-sgd";

    public BaselineOptions Options { get; } = (options ?? new BaselineOptions()).Validate();

    public string Name => Options.Method == BaselineMethod.Als ? AlsName : SgdName;

    public IRecommenderModel Fit(RatingMatrix train, TrainingOptions? options = null)
    {
        BiasBaseline biases = Options.Method == BaselineMethod.Als
            ? BiasBaseline.FitAls(train, Options.RegUser, Options.RegItem, Options.EffectiveEpochs)
            : BiasBaseline.FitSgd(train, Options.LearningRate, Options.Regularization, Options.EffectiveEpochs);
        return new BaselineOnlyModel(Name, train, biases);
    }
}

/// <summary>The learned biases are the model and its own fallback.</summary>
public sealed class BaselineOnlyModel : RecommenderModel
{
    /// <summary>The stable payload kind written into model files.</summary>
    public const string Kind = "bias-baseline";

    internal BaselineOnlyModel(string name, RatingMatrix train, BiasBaseline biases)
        : base(name, train, biases)
    {
    }

    protected internal override string FormatKind => Kind;

    protected internal override void WriteParameters(BinaryWriter writer)
    {
    }

    internal static BaselineOnlyModel Read(string name, BinaryReader reader, RatingMatrix train, BiasBaseline fallback) => new(name, train, fallback);

    protected override float EstimateCore(int u, int i) => Fallback.Estimate(u, i);
}
