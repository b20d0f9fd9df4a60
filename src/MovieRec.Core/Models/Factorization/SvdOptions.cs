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

    /// <summary>From this many training ratings up, the registry's <c>svd</c> trains with <see cref="LargeFactors"/> and <see cref="LargeEpochs"/>.</summary>
    public const int LargeRatings = 5_000_000;

    public const int LargeFactors = 64;

    public const int LargeEpochs = 12;

    /// <summary>
    /// The registry's size-scaled defaults for <c>svd</c>: the declared defaults (200 factors, 120 epochs, picked on
    /// 100,000-rating datasets) below <see cref="LargeRatings"/>; from there on 64 factors and 20 epochs, since each
    /// epoch holds hundreds of updates per movie and 120 epochs of 200 factors over 25 M ratings would be about
    /// 600 G multiply-adds. Options the user sets win.
    /// </summary>
    public static IReadOnlyDictionary<string, object> ForRatings(int ratings) =>
        ratings < LargeRatings
            ? new Dictionary<string, object>()
            : new Dictionary<string, object> { ["factors"] = LargeFactors, ["epochs"] = LargeEpochs };

    [Option("latent factors per user and movie", Min = 1, Max = 2000, TuneMin = 10, TuneMax = 300, LogScale = true)]
    public int Factors { get; init; } = 200;

    [Option("passes over the training ratings", Min = 1, Max = 10000, TuneMin = 10, TuneMax = 120, Budget = true)]
    public int Epochs { get; init; } = 120;

    [Option("SGD learning rate", Min = 0, MinExclusive = true, Max = 1, TuneMin = 0.002, TuneMax = 0.05, LogScale = true)]
    public double LearningRate { get; init; } = 0.008;

    /// <summary>Multiplies the learning rate after every epoch (1 keeps it constant).</summary>
    [Option("learning rate multiplier after each epoch (1 keeps it constant)", Min = 0, MinExclusive = true, Max = 1, TuneMin = 0.9, TuneMax = 1)]
    public double LearningRateDecay { get; init; } = 0.98;

    [Option("regularisation of the user and movie biases", Min = 0, Max = 10, TuneMin = 0.002, TuneMax = 0.2, LogScale = true)]
    public double RegBias { get; init; } = 0.02;

    [Option("regularisation of the factors", Min = 0, Max = 10, TuneMin = 0.005, TuneMax = 0.3, LogScale = true)]
    public double RegFactor { get; init; } = 0.08;

    /// <summary>SVD++ only: regularisation of the implicit-feedback factors y_j.</summary>
    [Option("SVD++: regularisation of the implicit-feedback factors y_j", Min = 0, Max = 10, TuneMin = 0.005, TuneMax = 0.5, LogScale = true)]
    public double RegImplicit { get; init; } = 0.06;

    /// <summary>Factors start as N(0, InitStd).</summary>
    [Option("standard deviation of the initial factors", Min = 0, Max = 1, TuneMin = 0.01, TuneMax = 0.2, LogScale = true)]
    public double InitStd { get; init; } = 0.05;

    /// <summary>Visit the ratings in a new random order each epoch (false: user-major order, as Surprise).</summary>
    [Option("visit the ratings in a new random order each epoch (false: user-major order, as Surprise)")]
    public bool Shuffle { get; init; } = true;

    [Option("random seed of initialisation and shuffling", Min = 0, Max = int.MaxValue)]
    public int Seed { get; init; } = 42;

    /// <summary>Hold out this share of the training ratings to report validation RMSE per epoch (0: none).</summary>
    [Option("share of the training ratings held out to report validation RMSE per epoch (0: none)", Min = 0, Max = 0.9)]
    public double ValidationFraction { get; init; }

    /// <summary>With validation, stop after this many epochs without improvement and keep the best (0: never stop early).</summary>
    [Option("with validation: stop after this many epochs without improvement (0: never)", Min = 0, Max = 10000)]
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
