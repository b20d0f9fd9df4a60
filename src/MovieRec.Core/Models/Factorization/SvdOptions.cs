namespace MovieRec.Core.Models.Factorization;

/// <summary>
/// Options of the SGD factorization trainers (<see cref="SvdTrainer"/>, <see cref="SvdPlusPlusTrainer"/>).
/// The defaults are <c>svd</c>'s, picked on a validation split carved out of ml-100k u1.base and ml-latest-small
/// fold1.train (never the test folds); <see cref="Surprise"/> holds Surprise's defaults.
/// </summary>
public sealed record SvdOptions
{
    /// <summary>Surprise's SVD defaults: 100 factors, 20 epochs, lr 0.005, reg 0.02, init N(0, 0.1), no shuffling.</summary>
    public static readonly SvdOptions Surprise = new()
    {
        Factors = 100,
        Epochs = 20,
        LearningRate = 0.005,
        RegBias = 0.02,
        RegFactor = 0.02,
        InitStd = 0.1,
        LearningRateDecay = 1.0,
        Shuffle = false,
    };

    public int Factors { get; init; } = 200;

    public int Epochs { get; init; } = 120;

    public double LearningRate { get; init; } = 0.008;

    /// <summary>Multiplies the learning rate after every epoch (1 keeps it constant).</summary>
    public double LearningRateDecay { get; init; } = 0.98;

    public double RegBias { get; init; } = 0.02;

    public double RegFactor { get; init; } = 0.08;

    /// <summary>SVD++ only: regularisation of the implicit-feedback factors y_j.</summary>
    public double RegImplicit { get; init; } = 0.06;

    /// <summary>Factors start as N(0, InitStd).</summary>
    public double InitStd { get; init; } = 0.05;

    /// <summary>Visit the ratings in a new random order each epoch (false: user-major order, as Surprise).</summary>
    public bool Shuffle { get; init; } = true;

    public int Seed { get; init; } = 42;

    /// <summary>Hold out this share of the training ratings to report validation RMSE per epoch (0: none).</summary>
    public double ValidationFraction { get; init; }

    /// <summary>With validation, stop after this many epochs without improvement and keep the best (0: never stop early).</summary>
    public int EarlyStoppingPatience { get; init; }

    public SvdOptions Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Factors, nameof(Factors));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Epochs, nameof(Epochs));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(LearningRate, nameof(LearningRate));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(LearningRateDecay, nameof(LearningRateDecay));
        ArgumentOutOfRangeException.ThrowIfNegative(RegBias, nameof(RegBias));
        ArgumentOutOfRangeException.ThrowIfNegative(RegFactor, nameof(RegFactor));
        ArgumentOutOfRangeException.ThrowIfNegative(RegImplicit, nameof(RegImplicit));
        ArgumentOutOfRangeException.ThrowIfNegative(InitStd, nameof(InitStd));
        ArgumentOutOfRangeException.ThrowIfNegative(EarlyStoppingPatience, nameof(EarlyStoppingPatience));
        if (ValidationFraction is < 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(ValidationFraction), ValidationFraction, "Must be in [0, 1).");
        }

        return this;
    }
}
