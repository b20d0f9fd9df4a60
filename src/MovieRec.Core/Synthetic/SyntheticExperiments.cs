using System.Diagnostics;
using MovieRec.Core.Data;
using MovieRec.Core.Evaluation;
using MovieRec.Core.Models;

namespace MovieRec.Core.Synthetic;

/// <summary>One row of the synthetic-data experiments.</summary>
public sealed record ExperimentRow(int Number, string Variant, string TrainOn, string TestOn, string Purpose,
    int TrainRatings, int TestRatings, double Rmse, double Mae, double FitSeconds, string? TunedOptions = null);

/// <summary>Options of <see cref="SyntheticExperiments"/>.</summary>
public sealed record ExperimentOptions
{
    public string Model { get; init; } = "svd";

    public int Seed { get; init; } = 42;

    /// <summary>
    /// Chooses the trainer for a training set (e.g. a tuner's best options); null trains
    /// <see cref="Model"/> with its defaults. Returns the trainer and a description of the options it chose.
    /// </summary>
    public Func<Rating[], (IRecommenderTrainer Trainer, string? Options)>? Trainer { get; init; }

    /// <summary>Which size variants to run: "small" (8% train, 2% test: 8K/2K on ml-100k) and "full" (80% / 20%).</summary>
    public IReadOnlyList<string> Variants { get; init; } = ["small", "full"];
}

/// <summary>
/// SynthFlix's six experiments: can synthetic ratings stand in for real ones? A generator is fitted to the real
/// training ratings only (never the test ratings); synthetic users get ids above every real one, so "real +
/// synthetic" adds people rather than merging them.
/// </summary>
public static class SyntheticExperiments
{
    /// <summary>
    /// A trainer chooser for <see cref="ExperimentOptions.Trainer"/> that tunes <paramref name="model"/> on each
    /// experiment's training set with the project's <see cref="Tuner"/> (inner folds of that training set only, never
    /// its test set; the one-standard-error rule may keep the model's own options) and trains the chosen options.
    /// The description lists the tuned options' chosen values.
    /// </summary>
    public static Func<Rating[], (IRecommenderTrainer Trainer, string? Options)> Tuned(string model, TuningOptions tuning, Action<string>? log = null)
    {
        ModelRegistry.Info(model);
        tuning.Validate();
        return train =>
        {
            var context = new ModelContext(tuning.Seed);
            TuningResult result = Tuner.Tune(model, train, tuning, context);
            string described = Describe(result);
            log?.Invoke(FormattableString.Invariant($"tuned {model} on {train.Length:N0} ratings ({result.Trials.Count} trials, {result.Seconds:0.0} s): {described}"));
            return (result.Best.CreateTrainer(context), described);
        };
    }

    /// <summary>The tuned options' chosen values, "name=value, ...", with "(own options kept)" when the tuner kept the defaults.</summary>
    public static string Describe(TuningResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        string values = string.Join(", ", result.Space.Keys.Order(StringComparer.Ordinal).Select(name =>
            $"{name}={(result.Best.OptionValues.TryGetValue(name, out object? v) ? Format(v) : "?")}"));
        return result.KeptOwn ? $"{values} (own options kept)" : values;
    }

    private static string Format(object? value) => value switch
    {
        double d => d.ToString("G4", System.Globalization.CultureInfo.InvariantCulture),
        float f => f.ToString("G4", System.Globalization.CultureInfo.InvariantCulture),
        IFormattable x => x.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        null => "null",
        _ => value.ToString() ?? string.Empty,
    };

    public static IReadOnlyList<ExperimentRow> Run(MovieLensDataset real, ExperimentOptions? options = null, Action<string>? log = null)
    {
        options ??= new ExperimentOptions();
        ModelRegistry.Info(options.Model);
        var rows = new List<ExperimentRow>();
        foreach (string variant in options.Variants)
        {
            (double train, double test) = variant switch
            {
                "small" => (0.08, 0.02),
                "full" => (0.8, 0.2),
                _ => throw new ArgumentException($"Unknown variant '{variant}': small or full.", nameof(options)),
            };
            rows.AddRange(RunVariant(real, variant, train, test, options, log));
        }

        return rows;
    }

    private static List<ExperimentRow> RunVariant(MovieLensDataset real, string variant, double trainShare, double testShare, ExperimentOptions options, Action<string>? log)
    {
        Rating[] shuffled = (Rating[])real.Ratings.Clone();
        new Random(options.Seed).Shuffle(shuffled);
        int trainCount = (int)Math.Round(shuffled.Length * trainShare);
        int testCount = (int)Math.Round(shuffled.Length * testShare);
        if (testCount < 10 || trainCount < 10)
        {
            throw new ArgumentException($"'{real.Folder}' has {real.Ratings.Length} ratings: too few for the {variant} experiments.", nameof(real));
        }

        Rating[] realTrain = shuffled[..trainCount];
        Rating[] realTest = shuffled[trainCount..(trainCount + testCount)];
        Rating[] realSmallTrain = realTrain[..testCount];

        var clock = Stopwatch.StartNew();
        SyntheticGenerator generator = SyntheticGenerator.Fit(WithRatings(real, realTrain), options.Seed);
        int firstUserId = real.Ratings.Max(r => r.UserId) + 1;
        Rating[] synthetic = generator.Generate(generator.Resolve(2L * testCount, null, null), options.Seed, firstUserId);
        DataSplit synthSplit = Splitters.Holdout(synthetic, 0.5, options.Seed);
        Rating[] synthTrain = synthSplit.Train, synthTest = synthSplit.Test;
        log?.Invoke($"{variant}: generator fitted to {realTrain.Length:N0} real training ratings and {synthetic.Length:N0} synthetic ratings drawn in {clock.Elapsed.TotalSeconds:0.00} s");

        string n(int count) => count >= 1000 ? $"{count / 1000.0:0.#}K" : count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        (int, string, Rating[], string, Rating[], string)[] plan =
        [
            (1, $"{n(realTrain.Length)} real", realTrain, $"{n(realTest.Length)} real", realTest, "baseline"),
            (2, $"{n(synthTrain.Length)} synthetic", synthTrain, $"{n(realTest.Length)} real", realTest, "utility of synthetic data"),
            (3, $"{n(realTrain.Length)} real + {n(synthTrain.Length)} synthetic", [.. realTrain, .. synthTrain], $"{n(realTest.Length)} real", realTest, "augmentation"),
            (4, $"{n(synthTrain.Length)} synthetic", synthTrain, $"{n(synthTest.Length)} synthetic", synthTest, "internal fidelity"),
            (5, $"{n(realTrain.Length)} real", realTrain, $"{n(synthTest.Length)} synthetic", synthTest, "generalisation"),
            (6, $"{n(realSmallTrain.Length)} real", realSmallTrain, $"{n(realTest.Length)} real", realTest, "control"),
        ];
        var rows = new List<ExperimentRow>();
        foreach ((int number, string trainOn, Rating[] train, string testOn, Rating[] test, string purpose) in plan)
        {
            (IRecommenderTrainer trainer, string? tuned) = options.Trainer is { } choose ? choose(train) : (ModelRegistry.Create(options.Model, options.Seed), null);
            var fit = Stopwatch.StartNew();
            IRecommenderModel model = trainer.Fit(RatingMatrix.Build(train));
            double fitSeconds = fit.Elapsed.TotalSeconds;
            float[] predicted = new float[test.Length], actual = new float[test.Length];
            for (int k = 0; k < test.Length; k++)
            {
                predicted[k] = model.Predict(test[k].UserId, test[k].MovieId).Rating;
                actual[k] = test[k].Value;
            }

            var row = new ExperimentRow(number, variant, trainOn, testOn, purpose, train.Length, test.Length,
                RatingMetrics.Rmse(predicted, actual), RatingMetrics.Mae(predicted, actual), fitSeconds, tuned);
            log?.Invoke($"{variant} #{number}: train {trainOn}, test {testOn}: RMSE {row.Rmse:0.0000}, MAE {row.Mae:0.0000}");
            rows.Add(row);
        }

        return rows;
    }

    /// <summary>The dataset with other ratings (same catalogue; no tags or links).</summary>
    internal static MovieLensDataset WithRatings(MovieLensDataset real, Rating[] ratings) => new()
    {
        Folder = real.Folder,
        Name = real.Name,
        Format = real.Format,
        Scale = real.Scale,
        Ratings = ratings,
        Movies = real.Movies,
        Tags = [],
        Links = [],
        Report = new LoadReport(),
        Files = [],
    };
}
