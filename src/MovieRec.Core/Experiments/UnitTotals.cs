using MathNet.Numerics.Distributions;

namespace MovieRec.Core.Experiments;

/// <summary>
/// Sums over randomization units (users) of a ratio metric: per unit s successes (clicks) out of t trials
/// (impressions). Holding the five sums is enough for the delta-method variance of the ratio, so a store can
/// aggregate them in SQL and two totals can be added.
/// </summary>
public readonly record struct UnitTotals(long Units, double Successes, double Trials, double SuccessesSquared, double TrialsSquared, double SuccessesTimesTrials)
{
    /// <summary>These totals with one more unit.</summary>
    public UnitTotals Add(double successes, double trials)
    {
        Proportions.CheckCounts(successes, trials);
        return new UnitTotals(
            Units + 1,
            Successes + successes,
            Trials + trials,
            SuccessesSquared + (successes * successes),
            TrialsSquared + (trials * trials),
            SuccessesTimesTrials + (successes * trials));
    }

    public static UnitTotals operator +(UnitTotals x, UnitTotals y) => new(
        x.Units + y.Units,
        x.Successes + y.Successes,
        x.Trials + y.Trials,
        x.SuccessesSquared + y.SuccessesSquared,
        x.TrialsSquared + y.TrialsSquared,
        x.SuccessesTimesTrials + y.SuccessesTimesTrials);

    /// <summary>Successes over trials (0 with no trials).</summary>
    public double Rate => Trials > 0 ? Successes / Trials : 0;

    /// <summary>
    /// The delta-method variance of <see cref="Rate"/> over units (Deng, Knoblich and Lu, "Applying the Delta
    /// Method in Metric Analytics", KDD 2018): with unit means s̄, t̄ and sample (co)variances,
    /// Var(s̄/t̄) ≈ (Var s / t̄² − 2 s̄ Cov(s,t) / t̄³ + s̄² Var t / t̄⁴) / n. With one trial per unit it is p(1-p)/(n-1),
    /// the binomial variance; with several correlated trials per unit it is larger, as it must be.
    /// Infinity with fewer than two units.
    /// </summary>
    public double RateVariance
    {
        get
        {
            if (Units < 2 || Trials <= 0)
            {
                return double.PositiveInfinity;
            }

            double n = Units;
            double sMean = Successes / n, tMean = Trials / n;
            double varS = (SuccessesSquared - (n * sMean * sMean)) / (n - 1);
            double varT = (TrialsSquared - (n * tMean * tMean)) / (n - 1);
            double cov = (SuccessesTimesTrials - (n * sMean * tMean)) / (n - 1);
            double v = ((varS / (tMean * tMean)) - (2 * sMean * cov / (tMean * tMean * tMean)) + (sMean * sMean * varT / (tMean * tMean * tMean * tMean))) / n;
            return Math.Max(v, 0);
        }
    }

    /// <summary>Per-unit variance of the metric (n times <see cref="RateVariance"/>): what a sample-size estimate needs.</summary>
    public double UnitVariance => Units >= 2 ? RateVariance * Units : double.PositiveInfinity;
}

/// <summary>Tests of a ratio metric (CTR) whose trials are grouped by randomization unit.</summary>
public static class ClusteredComparison
{
    /// <summary>
    /// B against A for a ratio metric with delta-method variances (see <see cref="UnitTotals.RateVariance"/>):
    /// Welch's t-test of the difference (Student t with Welch-Satterthwaite degrees of freedom, because both
    /// variances are estimated from the units; with equal trials per unit it is scipy
    /// <c>ttest_ind(equal_var=False)</c> on the per-unit rates), its interval, and the lift with a log-scale
    /// interval. This is the test to decide on when users see several items: it treats the user, the unit that was
    /// randomized, as the independent observation. Rate intervals are Wald intervals on the same variance,
    /// clipped to [0, 1]. With many units it is the z-test.
    /// </summary>
    public static RateComparison Compare(UnitTotals a, UnitTotals b, double confidence = 0.95) => Compare(a, b, null, confidence);

    /// <summary>
    /// As <see cref="Compare(UnitTotals, UnitTotals, double)"/>, with the difference, its interval, the p-value and
    /// the lift taken from the <see cref="Cuped"/>-adjusted rates when pre-experiment <paramref name="covariates"/>
    /// are given; the rate estimates stay the observed rates.
    /// </summary>
    public static RateComparison Compare(UnitTotals a, UnitTotals b, (CovariateTotals A, CovariateTotals B)? covariates, double confidence = 0.95)
    {
        Proportions.CheckConfidence(confidence);
        double zc = Proportions.NormalQuantile(1 - ((1 - confidence) / 2));
        RateEstimate ea = Estimate(a, a.RateVariance, zc), eb = Estimate(b, b.RateVariance, zc);
        (double ra, double va, double rb, double vb) = (ea.Rate, a.RateVariance, eb.Rate, b.RateVariance);
        if (covariates is (CovariateTotals xa, CovariateTotals xb))
        {
            (ra, va, rb, vb) = Cuped.Adjust(a, xa, b, xb);
        }

        double diff = rb - ra;
        double se = Math.Sqrt(va + vb);
        double df = WelchDegreesOfFreedom(va, a.Units, vb, b.Units);
        double tc = double.IsFinite(df) ? StudentT.InvCDF(0, 1, df, 1 - ((1 - confidence) / 2)) : zc;
        double z = 0, p = 1;
        if (double.IsFinite(se) && se > 0)
        {
            z = diff / se;
            p = double.IsFinite(df) ? 2 * StudentT.CDF(0, 1, df, -Math.Abs(z)) : Proportions.TwoSidedP(z);
        }

        double? lift = null, liftLow = null, liftHigh = null;
        if (ra > 0 && b.Trials > 0)
        {
            lift = (rb / ra) - 1;
            if (rb > 0)
            {
                double seLog = Math.Sqrt((va / (ra * ra)) + (vb / (rb * rb)));
                if (double.IsFinite(seLog))
                {
                    double logRatio = Math.Log(rb / ra);
                    liftLow = Math.Exp(logRatio - (tc * seLog)) - 1;
                    liftHigh = Math.Exp(logRatio + (tc * seLog)) - 1;
                }
            }
        }

        double lowDiff = double.IsFinite(se) ? diff - (tc * se) : -1;
        double highDiff = double.IsFinite(se) ? diff + (tc * se) : 1;
        return new RateComparison(ea, eb, diff, lowDiff, highDiff, lift, liftLow, liftHigh, z, p);
    }

    /// <summary>
    /// Welch-Satterthwaite degrees of freedom of a difference of two means with variances <paramref name="va"/>
    /// and <paramref name="vb"/> (already divided by their unit counts); infinity (the normal limit) where it is
    /// not defined, and at least 1.
    /// </summary>
    public static double WelchDegreesOfFreedom(double va, long na, double vb, long nb)
    {
        if (na < 2 || nb < 2 || !double.IsFinite(va) || !double.IsFinite(vb) || va + vb <= 0)
        {
            return double.PositiveInfinity;
        }

        double denominator = (va * va / (na - 1)) + (vb * vb / (nb - 1));
        return denominator > 0 ? Math.Max(1, (va + vb) * (va + vb) / denominator) : double.PositiveInfinity;
    }

    private static RateEstimate Estimate(UnitTotals t, double variance, double zc)
    {
        double rate = t.Rate;
        if (!double.IsFinite(variance))
        {
            return new RateEstimate(t.Successes, t.Trials, rate, 0, 1);
        }

        double half = zc * Math.Sqrt(variance);
        return new RateEstimate(t.Successes, t.Trials, rate, Math.Max(0, rate - half), Math.Min(1, rate + half));
    }
}
