namespace MovieRec.Core.Experiments;

/// <summary>
/// How many units (users) a test needs to detect an effect with a given power: the normal-approximation
/// formulas every A/B calculator uses, two-sided at <c>alpha</c>.
/// </summary>
public static class SampleSize
{
    /// <summary>
    /// Units per arm for a two-sample z-test of a difference <paramref name="difference"/> between means whose
    /// per-unit variances are <paramref name="varianceA"/> and <paramref name="varianceB"/>:
    /// n = (z_{1-α/2} + z_{power})² (σ_A² + σ_B²) / δ². Infinity when the difference is 0.
    /// </summary>
    public static double PerArm(double varianceA, double varianceB, double difference, double alpha = 0.05, double power = 0.8)
    {
        CheckAlphaPower(alpha, power);
        if (difference == 0 || !double.IsFinite(difference) || !double.IsFinite(varianceA + varianceB))
        {
            return double.PositiveInfinity;
        }

        double z = Proportions.NormalQuantile(1 - (alpha / 2)) + Proportions.NormalQuantile(power);
        return z * z * (varianceA + varianceB) / (difference * difference);
    }

    /// <summary>Units per arm to tell rates <paramref name="rateA"/> and <paramref name="rateB"/> apart with one Bernoulli trial per unit.</summary>
    public static double PerArmForRates(double rateA, double rateB, double alpha = 0.05, double power = 0.8) =>
        PerArm(rateA * (1 - rateA), rateB * (1 - rateB), rateB - rateA, alpha, power);

    /// <summary>Units per arm for ratio metrics measured per unit, from observed totals: the delta-method unit variances and the observed difference.</summary>
    public static double PerArm(UnitTotals a, UnitTotals b, double alpha = 0.05, double power = 0.8) =>
        PerArm(a.UnitVariance, b.UnitVariance, b.Rate - a.Rate, alpha, power);

    /// <summary>
    /// Decided units (non-ties) for the one-sample test of a preference share <paramref name="share"/> against 0.5:
    /// n = ((z_{1-α/2} · 0.5 + z_{power} · sqrt(q(1-q))) / (q - 0.5))².
    /// </summary>
    public static double DecidedUnitsForShare(double share, double alpha = 0.05, double power = 0.8)
    {
        CheckAlphaPower(alpha, power);
        if (!(share > 0 && share < 1) || share == 0.5)
        {
            return double.PositiveInfinity;
        }

        double num = (Proportions.NormalQuantile(1 - (alpha / 2)) * 0.5) + (Proportions.NormalQuantile(power) * Math.Sqrt(share * (1 - share)));
        double d = num / (share - 0.5);
        return d * d;
    }

    private static void CheckAlphaPower(double alpha, double power)
    {
        if (!(alpha > 0 && alpha < 1) || !(power > 0 && power < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), $"alpha ({alpha}) and power ({power}) must lie strictly between 0 and 1.");
        }
    }
}
