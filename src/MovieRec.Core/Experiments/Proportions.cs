using MathNet.Numerics.Distributions;

namespace MovieRec.Core.Experiments;

/// <summary>A rate (successes over trials) with a confidence interval.</summary>
public sealed record RateEstimate(double Successes, double Trials, double Rate, double Low, double High);

/// <summary>
/// A comparison of variant B against variant A: the difference of rates, the lift (B / A - 1), each with a
/// confidence interval, and a two-sided z-test of "no difference". Lift is null where A's rate is 0.
/// </summary>
public sealed record RateComparison(
    RateEstimate A,
    RateEstimate B,
    double Difference,
    double DifferenceLow,
    double DifferenceHigh,
    double? Lift,
    double? LiftLow,
    double? LiftHigh,
    double Z,
    double PValue);

/// <summary>Intervals and tests for proportions. Confidence is two-sided (0.95 means alpha 0.05).</summary>
public static class Proportions
{
    /// <summary>The standard normal quantile, e.g. 1.959964 for 0.975.</summary>
    public static double NormalQuantile(double p) => Normal.InvCDF(0, 1, p);

    /// <summary>Two-sided p-value of a standard normal statistic.</summary>
    public static double TwoSidedP(double z) =>
        double.IsNaN(z) ? 1.0 : 2 * Normal.CDF(0, 1, -Math.Abs(z));

    /// <summary>
    /// The Wilson score interval (statsmodels <c>proportion_confint(method="wilson")</c>): unlike the Wald
    /// interval it stays inside [0, 1] and keeps its coverage at rates near 0, where click-through rates live.
    /// With no trials the interval is [0, 1].
    /// </summary>
    public static RateEstimate Wilson(double successes, double trials, double confidence = 0.95)
    {
        CheckCounts(successes, trials);
        CheckConfidence(confidence);
        if (trials == 0)
        {
            return new RateEstimate(0, 0, 0, 0, 1);
        }

        double z = NormalQuantile(1 - ((1 - confidence) / 2));
        double p = successes / trials, z2 = z * z;
        double center = (p + (z2 / (2 * trials))) / (1 + (z2 / trials));
        double half = z / (1 + (z2 / trials)) * Math.Sqrt((p * (1 - p) / trials) + (z2 / (4 * trials * trials)));
        return new RateEstimate(successes, trials, p, Math.Max(0, center - half), Math.Min(1, center + half));
    }

    /// <summary>
    /// The classical two-proportion z-test of B against A where every trial is an independent Bernoulli draw
    /// (statsmodels <c>proportions_ztest</c>: pooled standard error under the null). The difference interval is
    /// Wald's (unpooled standard error, statsmodels <c>confint_proportions_2indep(method="wald")</c>), the lift
    /// interval the log-ratio ("Katz") interval (<c>compare="ratio", method="log"</c>), and the rate intervals Wilson's.
    /// Use <see cref="UnitTotals"/> and <see cref="ClusteredComparison"/> when trials come in groups per
    /// randomization unit (several impressions per user): then trials are not independent and this test is too
    /// confident.
    /// </summary>
    public static RateComparison TwoProportionZTest(long successesA, long trialsA, long successesB, long trialsB, double confidence = 0.95)
    {
        CheckCounts(successesA, trialsA);
        CheckCounts(successesB, trialsB);
        RateEstimate a = Wilson(successesA, trialsA, confidence), b = Wilson(successesB, trialsB, confidence);
        double zc = NormalQuantile(1 - ((1 - confidence) / 2));
        double diff = b.Rate - a.Rate;

        double z = 0, pValue = 1;
        if (trialsA > 0 && trialsB > 0)
        {
            double pooled = (double)(successesA + successesB) / (trialsA + trialsB);
            double se0 = Math.Sqrt(pooled * (1 - pooled) * ((1.0 / trialsA) + (1.0 / trialsB)));
            if (se0 > 0)
            {
                z = diff / se0;
                pValue = TwoSidedP(z);
            }
        }

        double varA = trialsA > 0 ? a.Rate * (1 - a.Rate) / trialsA : 0;
        double varB = trialsB > 0 ? b.Rate * (1 - b.Rate) / trialsB : 0;
        double seDiff = Math.Sqrt(varA + varB);

        double? lift = null, liftLow = null, liftHigh = null;
        if (successesA > 0 && trialsB > 0)
        {
            lift = (b.Rate / a.Rate) - 1;
            if (successesB > 0)
            {
                double seLog = Math.Sqrt((1.0 / successesA) - (1.0 / trialsA) + (1.0 / successesB) - (1.0 / trialsB));
                double logRatio = Math.Log(b.Rate / a.Rate);
                liftLow = Math.Exp(logRatio - (zc * seLog)) - 1;
                liftHigh = Math.Exp(logRatio + (zc * seLog)) - 1;
            }
        }

        return new RateComparison(a, b, diff, diff - (zc * seDiff), diff + (zc * seDiff), lift, liftLow, liftHigh, z, pValue);
    }

    internal static void CheckCounts(double successes, double trials)
    {
        if (!(trials >= 0) || !(successes >= 0) || successes > trials || double.IsInfinity(trials))
        {
            throw new ArgumentException($"Counts must satisfy 0 <= successes <= trials (got {successes} of {trials}).");
        }
    }

    internal static void CheckConfidence(double confidence)
    {
        if (!(confidence > 0 && confidence < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "Confidence must lie strictly between 0 and 1.");
        }
    }
}
