using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MovieRec.Core.Data;
using MovieRec.Core.Models;

namespace MovieRec.Core.Evaluation;

/// <summary>What a tuner optimises.</summary>
public enum TuneMetric
{
    /// <summary>Mean RMSE over the inner folds, lower is better.</summary>
    Rmse,

    /// <summary>Mean NDCG@K over the inner folds (relevance threshold as evaluation), higher is better.</summary>
    Ndcg,
}

/// <summary>How <see cref="Tuner.Tune"/> searches.</summary>
public sealed record TuningOptions
{
    /// <summary>Configurations sampled (the first is the model's own options, so tuning never recommends worse than them on the inner folds).</summary>
    public int Trials { get; init; } = 40;

    /// <summary>Inner folds of the training ratings every configuration is measured on.</summary>
    public int Folds { get; init; } = 3;

    /// <summary>
    /// The training ratings are cut into max(<see cref="Folds"/>, Partition) equal parts and the first <see cref="Folds"/>
    /// of them are the inner test folds, so every inner model trains on at least (Partition - 1) / Partition of the
    /// training ratings (80% by default) however few folds are asked for. Options whose best value depends on the amount
    /// of data (regularisation, confidence weights, iterations) are then chosen near the scale of the final fit on all of
    /// them: with 3 plain folds (2/3 of the ratings each) implicit-als's choice did not carry over (README, "Tuning").
    /// </summary>
    public int Partition { get; init; } = 5;

    public TuneMetric Metric { get; init; } = TuneMetric.Rmse;

    /// <summary>Seed of the sampler, the inner folds and every trial's model.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Ranges that replace the declared tuning ranges, by option name; a null range fixes the option at the model's value.</summary>
    public IReadOnlyDictionary<string, TuneRange?> Space { get; init; } = new Dictionary<string, TuneRange?>();

    /// <summary>Successive halving keeps the best 1/Eta of the trials at each rung and gives them Eta times the budget.</summary>
    public int Eta { get; init; } = 3;

    /// <summary>K and relevance threshold of the NDCG metric.</summary>
    public EvaluationOptions Evaluation { get; init; } = new() { Ranking = false };

    public IProgress<TuningProgress>? Progress { get; init; }

    public TuningOptions Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Trials, 1, nameof(Trials));
        ArgumentOutOfRangeException.ThrowIfLessThan(Folds, 2, nameof(Folds));
        ArgumentOutOfRangeException.ThrowIfLessThan(Eta, 2, nameof(Eta));
        ArgumentOutOfRangeException.ThrowIfLessThan(Partition, 2, nameof(Partition));
        return this;
    }
}

/// <summary>One measured (trial, budget) pair, reported as it finishes.</summary>
public sealed record TuningProgress(int Done, int Total, int Trial, int Budget, double Score, double BestScore);

/// <summary>A trial: its sampled options and its score at each budget it reached.</summary>
public sealed record TrialResult(int Number, IReadOnlyDictionary<string, object?> Sampled, IReadOnlyList<RungScore> Rungs, bool Pruned, double Seconds)
{
    public RungScore Last => Rungs[^1];
}

/// <summary>A trial's inner-fold score at one budget (epochs or iterations): the mean over the folds and its standard error (sd / sqrt(folds)).</summary>
public sealed record RungScore(int Budget, double Score, double StdError = 0);

/// <summary>What a tuning run found.</summary>
/// <param name="Model">The tuned model's name.</param>
/// <param name="Metric">What was optimised.</param>
/// <param name="Best">The chosen model with its options: what <c>--out-options</c> writes.</param>
/// <param name="BestTrial">The trial those options come from.</param>
/// <param name="BestScore">Its inner-fold score.</param>
/// <param name="Space">The ranges searched, by option name; the budget option's range is the rungs'.</param>
/// <param name="BudgetOption">The option successive halving grew, or null when the model has none.</param>
/// <param name="Budgets">The rungs' budgets, smallest first.</param>
/// <param name="Trials">Every trial in sampling order.</param>
/// <param name="Seconds">Wall time of the search.</param>
/// <param name="Own">The model's own options (budget included) measured on the same inner folds: the incumbent.</param>
/// <param name="BestMeasured">The best measurement of any trial at any rung, whether or not it was chosen.</param>
/// <param name="KeptOwn">True when the best measurement did not beat <paramref name="Own"/> by more than its standard error,
/// so the model's own options were chosen (the one-standard-error rule).</param>
public sealed record TuningResult(string Model, TuneMetric Metric, ResolvedModel Best, int BestTrial, double BestScore,
    IReadOnlyDictionary<string, TuneRange> Space, string? BudgetOption, IReadOnlyList<int> Budgets, IReadOnlyList<TrialResult> Trials, double Seconds,
    RungScore Own, (int Trial, RungScore Score) BestMeasured, bool KeptOwn)
{
    public bool LowerIsBetter => Metric == TuneMetric.Rmse;
}

/// <summary>
/// Hyper-parameter search over a model's declared tuning space: random search (seeded) plus successive halving on the
/// model's budget option (epochs or iterations), as one Hyperband bracket / synchronous ASHA: every trial is measured at
/// the smallest rung, the best 1/eta go on to eta times the budget, and so on up to the range's maximum. Each
/// measurement is the mean over k inner folds of the training ratings only, each of them one part of a
/// max(k, <see cref="TuningOptions.Partition"/>)-part split, so that each inner model trains on at least 80% of them. Trials run one after another, so
/// the same seed gives the same trials and the same result.
/// <para>
/// The choice follows the one-standard-error rule (Hastie, Tibshirani and Friedman, The Elements of Statistical
/// Learning, 7.10): the model's own options, all of them, are measured on the same folds, and the best measurement
/// replaces them only when it beats them by more than its own standard error over the inner folds. The best of many
/// noisy measurements is biased in its favour (it was picked for being high), and inner models fit on (k-1)/k of the
/// training ratings, so a gain smaller than the folds' spread does not carry over to a model fit on all of them.
/// </para>
/// </summary>
public static class Tuner
{
    /// <summary>The space a model is tuned over: its declared ranges, replaced or removed by <paramref name="overrides"/>.</summary>
    public static IReadOnlyDictionary<string, TuneRange> SpaceOf(ModelInfo model, IReadOnlyDictionary<string, TuneRange?> overrides)
    {
        var space = new Dictionary<string, TuneRange>(StringComparer.Ordinal);
        foreach (OptionSpec spec in model.Algorithm.Options)
        {
            if (spec.Tune is { } range)
            {
                space[spec.Name] = range;
            }
        }

        foreach ((string name, TuneRange? range) in overrides)
        {
            OptionSpec spec = model.Algorithm.Option(name) ?? throw ModelRegistry.UnknownOption(model, name);
            if (range is null)
            {
                space.Remove(spec.Name);
                continue;
            }

            if (spec.Type is not (OptionType.Integer or OptionType.Number))
            {
                throw new ModelOptionException($"Option {model.Name}.{spec.Name} is {spec.RangeText}; only numeric options can be tuned over a range.");
            }

            spec.CheckRange($"{model.Name}.{spec.Name}", range.Min);
            spec.CheckRange($"{model.Name}.{spec.Name}", range.Max);
            if (range.Min > range.Max || (range.Log && range.Min <= 0))
            {
                throw new ModelOptionException(string.Create(CultureInfo.InvariantCulture,
                    $"The range of {model.Name}.{spec.Name} must have min <= max{(range.Log ? " and min > 0 on a log scale" : "")}; it was {range.Min}..{range.Max}."));
            }

            space[spec.Name] = range;
        }

        if (space.Count == 0)
        {
            throw new ModelOptionException($"Model '{model.Name}' has nothing to tune: no option declares a tuning range and the space file gives none.");
        }

        return space;
    }

    /// <summary>
    /// Reads a space file: <c>{"factors": {"min": 10, "max": 200, "log": true}, "epochs": [10, 60], "initStd": null}</c>
    /// (null fixes an option at the model's value).
    /// </summary>
    public static IReadOnlyDictionary<string, TuneRange?> ReadSpace(string path)
    {
        var space = new Dictionary<string, TuneRange?>(StringComparer.OrdinalIgnoreCase);
        using (JsonDocument document = ModelOverrides.ReadObjectFile(path, "Space file",
            "an object of option ranges, e.g. {\"factors\": {\"min\": 10, \"max\": 200, \"log\": true}}"))
        {
            foreach (JsonProperty option in document.RootElement.EnumerateObject())
            {
                JsonElement v = option.Value;
                string bad = $"{path}: \"{option.Name}\" must be {{\"min\": a, \"max\": b, \"log\": true|false}}, [a, b] or null.";
                space[option.Name] = v.ValueKind switch
                {
                    JsonValueKind.Null => null,
                    JsonValueKind.Array when v.GetArrayLength() == 2 && v[0].ValueKind == JsonValueKind.Number && v[1].ValueKind == JsonValueKind.Number =>
                        new TuneRange(v[0].GetDouble(), v[1].GetDouble(), false),
                    JsonValueKind.Object when v.TryGetProperty("min", out JsonElement min) && v.TryGetProperty("max", out JsonElement max)
                        && min.ValueKind == JsonValueKind.Number && max.ValueKind == JsonValueKind.Number =>
                        new TuneRange(min.GetDouble(), max.GetDouble(), v.TryGetProperty("log", out JsonElement log) && log.ValueKind == JsonValueKind.True),
                    _ => throw new ModelOptionException(bad),
                };
            }
        }

        return space;
    }

    /// <summary>
    /// Tunes <paramref name="model"/> on <paramref name="train"/> (never on a test set). <paramref name="fixedValues"/>
    /// are the user's own option values, kept for every trial.
    /// </summary>
    public static TuningResult Tune(string model, Rating[] train, TuningOptions options, ModelContext context,
        IReadOnlyDictionary<string, string>? fixedValues = null)
    {
        options.Validate();
        var clock = Stopwatch.StartNew();
        ModelInfo info = ModelRegistry.Info(model);
        fixedValues ??= new Dictionary<string, string>();
        ResolvedModel start = ModelRegistry.Resolve(model, context, fixedValues);
        IReadOnlyDictionary<string, TuneRange> space = SpaceOf(info, options.Space);
        OptionSpec? budgetSpec = info.Algorithm.Options.FirstOrDefault(o => o.Budget && space.ContainsKey(o.Name));
        int[] budgets = budgetSpec is null ? [0] : Rungs(space[budgetSpec.Name], options.Eta);

        // The inner folds: built once, shared by every trial; the first Folds parts of a max(Folds, Partition)-part split.
        IReadOnlyList<DataSplit> folds = [.. Splitters.KFold(train, Math.Max(options.Folds, options.Partition), options.Seed).Take(options.Folds)];
        RatingMatrix[] matrices = [.. folds.Select(f => RatingMatrix.Build(f.Train))];
        EvaluationOptions evaluation = options.Evaluation with { Ranking = options.Metric == TuneMetric.Ndcg };
        bool lower = options.Metric == TuneMetric.Rmse;

        // Trial 0 is the model's own options; the others are sampled. The sampler is the only source of randomness.
        var random = new Random(options.Seed);
        var sampled = new List<Dictionary<string, object?>>(options.Trials);
        IReadOnlyDictionary<string, object?> own = start.OptionValues;
        sampled.Add(space.Keys.Where(n => n != budgetSpec?.Name).ToDictionary(n => n, n => own[n]));
        for (int t = 1; t < options.Trials; t++)
        {
            var values = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach ((string name, TuneRange range) in space)
            {
                if (name != budgetSpec?.Name)
                {
                    values[name] = Sample(info.Algorithm.Option(name)!, range, random);
                }
            }

            sampled.Add(values);
        }

        var rungs = new List<RungScore>[options.Trials];
        double[] seconds = new double[options.Trials];
        for (int t = 0; t < options.Trials; t++)
        {
            rungs[t] = [];
        }

        int total = 0, done = 0;
        for (int r = 0, alive = options.Trials; r < budgets.Length; r++, alive = Math.Max(1, alive / options.Eta))
        {
            total += alive;
        }

        double best = lower ? double.PositiveInfinity : double.NegativeInfinity;
        RungScore Measure(ResolvedModel resolved, int budget)
        {
            IRecommenderTrainer trainer = resolved.CreateTrainer(context);
            double[] scores = new double[folds.Count];
            for (int f = 0; f < folds.Count; f++)
            {
                FoldResult result = CrossValidator.EvaluateOne(trainer, matrices[f], folds[f], evaluation);
                scores[f] = lower ? result.Rmse : result.Ranking!.Ndcg;
            }

            double mean = scores.Average();
            double sd = Math.Sqrt(scores.Sum(x => (x - mean) * (x - mean)) / (scores.Length - 1));
            return new RungScore(budget, mean, sd / Math.Sqrt(scores.Length));
        }

        // The incumbent: the model's own options exactly as a user gets them without tuning.
        int ownBudget = budgetSpec is null ? 0 : Convert.ToInt32(own[budgetSpec.Name], CultureInfo.InvariantCulture);
        RungScore ownScore = Measure(start, ownBudget);
        int[] survivors = [.. Enumerable.Range(0, options.Trials)];
        for (int r = 0; r < budgets.Length; r++)
        {
            foreach (int t in survivors)
            {
                var trialClock = Stopwatch.StartNew();
                RungScore measured = Measure(Configure(model, context, fixedValues, sampled[t], budgetSpec, budgets[r]), budgets[r]);
                double score = measured.Score;
                rungs[t].Add(measured);
                seconds[t] += trialClock.Elapsed.TotalSeconds;
                best = lower ? Math.Min(best, score) : Math.Max(best, score);
                options.Progress?.Report(new TuningProgress(++done, total, t, budgets[r], score, best));
            }

            // Keep the best 1/eta for the next rung (ties go to the earlier trial, so the order is reproducible).
            int keep = Math.Max(1, survivors.Length / options.Eta);
            survivors = [.. survivors
                .OrderBy(t => lower ? rungs[t][^1].Score : -rungs[t][^1].Score)
                .ThenBy(t => t)
                .Take(keep)
                .Order()];
        }

        // The best measurement at any rung, with the budget it was measured at.
        (int bestTrial, RungScore bestRung) = Enumerable.Range(0, options.Trials)
            .SelectMany(t => rungs[t].Select(s => (t, s)))
            .OrderBy(x => lower ? x.s.Score : -x.s.Score)
            .ThenByDescending(x => x.s.Budget)
            .ThenBy(x => x.t)
            .First();
        bool keepOwn = !Beats(bestRung, ownScore, lower);
        ResolvedModel chosen = keepOwn ? start : Configure(model, context, fixedValues, sampled[bestTrial], budgetSpec, bestRung.Budget);
        int topBudget = budgets[^1];
        TrialResult[] trials = [.. Enumerable.Range(0, options.Trials).Select(t =>
            new TrialResult(t, sampled[t], rungs[t], rungs[t][^1].Budget < topBudget, seconds[t]))];
        return new TuningResult(info.Name, options.Metric, chosen, keepOwn ? 0 : bestTrial, keepOwn ? ownScore.Score : bestRung.Score, space,
            budgetSpec?.Name, budgets, trials, clock.Elapsed.TotalSeconds, ownScore, (bestTrial, bestRung), keepOwn);
    }

    /// <summary>
    /// The one-standard-error rule: <paramref name="candidate"/> replaces <paramref name="incumbent"/> only when it is
    /// better by more than the candidate's standard error over the inner folds.
    /// </summary>
    public static bool Beats(RungScore candidate, RungScore incumbent, bool lowerIsBetter)
    {
        double gain = lowerIsBetter ? incumbent.Score - candidate.Score : candidate.Score - incumbent.Score;
        return gain > candidate.StdError;
    }

    /// <summary>The rungs of a budget range: max, max/eta, max/eta^2, ... while at least the range's minimum, smallest first.</summary>
    public static int[] Rungs(TuneRange range, int eta)
    {
        var budgets = new List<int>();
        for (double b = range.Max; b >= range.Min - 1e-9 && budgets.Count < 8; b /= eta)
        {
            budgets.Add((int)Math.Round(b));
        }

        budgets.Reverse();
        return [.. budgets.Distinct()];
    }

    private static ResolvedModel Configure(string model, ModelContext context, IReadOnlyDictionary<string, string> fixedValues,
        Dictionary<string, object?> values, OptionSpec? budget, int budgetValue)
    {
        var all = new Dictionary<string, string>(fixedValues, StringComparer.OrdinalIgnoreCase);
        foreach ((string name, object? value) in values)
        {
            all[name] = OptionSpec.FormatValue(value);
        }

        if (budget is not null)
        {
            all[budget.Name] = budgetValue.ToString(CultureInfo.InvariantCulture);
        }

        return ModelRegistry.Resolve(model, context, all);
    }

    private static object Sample(OptionSpec spec, TuneRange range, Random random)
    {
        double u = random.NextDouble();
        double x = range.Log
            ? Math.Exp(Math.Log(range.Min) + (u * (Math.Log(range.Max) - Math.Log(range.Min))))
            : range.Min + (u * (range.Max - range.Min));
        if (spec.Type == OptionType.Integer)
        {
            return (int)Math.Clamp(Math.Round(x), Math.Ceiling(range.Min), Math.Floor(range.Max));
        }

        // Four significant digits: readable options files, and the value survives a text round trip exactly.
        return Math.Clamp(double.Parse(x.ToString("G4", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture), range.Min, range.Max);
    }
}
