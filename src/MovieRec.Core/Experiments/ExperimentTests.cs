using MathNet.Numerics.Distributions;

namespace MovieRec.Core.Experiments;

/// <summary>A chi-square goodness-of-fit check of the split between variants against their configured weights.</summary>
public sealed record SampleRatioCheck(double ChiSquare, int DegreesOfFreedom, double PValue, bool Mismatch);

/// <summary>An interleaving result: which ranker users preferred, as the share of decided users who preferred B.</summary>
public sealed record PreferenceShare(long WinsA, long WinsB, long Ties, double ShareB, double Low, double High, double PValue);

/// <summary>Sample-ratio mismatch, the exact binomial test and the interleaving preference share.</summary>
public static class ExperimentTests
{
    /// <summary>
    /// The p-value under which a split is flagged. 0.001 rather than 0.05: the check runs on every look at every
    /// experiment, and a real mismatch (a bug in assignment or logging) gives far smaller p-values.
    /// </summary>
    public const double SampleRatioThreshold = 0.001;

    /// <summary>
    /// Pearson's chi-square test of observed unit counts against the expected shares <paramref name="weights"/>
    /// (normalised): scipy <c>chisquare(observed, f_exp)</c>, k - 1 degrees of freedom.
    /// </summary>
    public static SampleRatioCheck SampleRatio(IReadOnlyList<long> observed, IReadOnlyList<double> weights, double threshold = SampleRatioThreshold)
    {
        if (observed.Count != weights.Count || observed.Count < 2)
        {
            throw new ArgumentException($"A sample-ratio check needs one weight per variant and at least two variants (got {observed.Count} counts, {weights.Count} weights).");
        }

        double weightSum = 0;
        long total = 0;
        for (int v = 0; v < observed.Count; v++)
        {
            if (!(weights[v] > 0) || observed[v] < 0)
            {
                throw new ArgumentException($"Weights must be positive and counts non-negative (variant {v}: weight {weights[v]}, count {observed[v]}).");
            }

            weightSum += weights[v];
            total += observed[v];
        }

        int df = observed.Count - 1;
        if (total == 0)
        {
            return new SampleRatioCheck(0, df, 1, false);
        }

        double chi = 0;
        for (int v = 0; v < observed.Count; v++)
        {
            double expected = total * weights[v] / weightSum;
            double d = observed[v] - expected;
            chi += d * d / expected;
        }

        double p = 1 - ChiSquared.CDF(df, chi);
        return new SampleRatioCheck(chi, df, p, p < threshold);
    }

    /// <summary>
    /// The exact two-sided binomial test of <paramref name="successes"/> in <paramref name="trials"/> against rate
    /// <paramref name="p"/> (scipy <c>binomtest</c>): the probability of every outcome no more likely than the one
    /// observed. Above a million trials the normal approximation answers.
    /// </summary>
    public static double BinomialTwoSided(long successes, long trials, double p = 0.5)
    {
        Proportions.CheckCounts(successes, trials);
        if (!(p > 0 && p < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "The null rate must lie strictly between 0 and 1.");
        }

        if (trials == 0)
        {
            return 1;
        }

        if (trials > 1_000_000)
        {
            double z = (successes - (trials * p)) / Math.Sqrt(trials * p * (1 - p));
            return Proportions.TwoSidedP(z);
        }

        int n = (int)trials, k = (int)successes;
        double logObserved = Binomial.PMFLn(p, n, k);
        // scipy's relative tolerance for "as likely": guards against rounding in symmetric cases.
        double limit = logObserved + Math.Log(1 + 1e-7);
        double sum = 0;
        for (int i = 0; i <= n; i++)
        {
            double lp = Binomial.PMFLn(p, n, i);
            if (lp <= limit)
            {
                sum += Math.Exp(lp);
            }
        }

        return Math.Min(1.0, sum);
    }

    /// <summary>
    /// How often a test that holds its level <paramref name="alpha"/> exactly still rejects in more than that share of
    /// <paramref name="runs"/> independent runs of a true null: P(X > floor(alpha runs)) for X ~ Binomial(runs, alpha).
    /// An A/A rate over a few hundred runs lands above alpha about 4 times in 10.
    /// </summary>
    public static double ChanceAboveLevel(int runs, double alpha)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(runs);
        if (!(alpha > 0 && alpha < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "The level must lie strictly between 0 and 1.");
        }

        // The tolerance keeps a product such as 0.29 x 100 (28.999999999999996 in doubles) at its integer.
        return 1 - Binomial.CDF(alpha, runs, Math.Floor((alpha * runs) + 1e-9));
    }

    /// <summary>
    /// The interleaving preference: the share of decided users (ties left out) whose clicks favoured B, with a
    /// Wilson interval, and the exact binomial test of "no preference" (share 0.5).
    /// </summary>
    public static PreferenceShare Preference(long winsA, long winsB, long ties, double confidence = 0.95)
    {
        if (winsA < 0 || winsB < 0 || ties < 0)
        {
            throw new ArgumentException($"Win and tie counts must be non-negative (got {winsA}, {winsB}, {ties}).");
        }

        long decided = winsA + winsB;
        RateEstimate share = Proportions.Wilson(winsB, decided, confidence);
        double shareB = decided > 0 ? share.Rate : 0.5;
        return new PreferenceShare(winsA, winsB, ties, shareB, share.Low, share.High, BinomialTwoSided(winsB, decided));
    }
}
