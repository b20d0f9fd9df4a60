namespace MovieRec.Core.Experiments;

/// <summary>
/// The mixture sequential probability ratio test (mSPRT; Robbins 1970, as used for A/B tests by Johari, Pekelis
/// and Walsh, "Always Valid Inference: Bringing Sequential Analysis to A/B Testing", 2017/2022), in its normal
/// approximation: an estimate θ̂ (a difference of rates, or a preference share minus one half) with variance V is
/// taken as θ̂ ~ N(θ, V), and the likelihood ratio of "θ ~ N(0, τ²)" against "θ = 0" is
/// <code>Λ = sqrt(V / (V + τ²)) · exp(τ² θ̂² / (2 V (V + τ²)))</code>
/// (for two streams of n observations each with per-observation variance σ², V = 2σ²/n and this is Johari et
/// al.'s formula). The always-valid p-value after look n is min over looks k ≤ n of min(1, 1/Λ_k): by Ville's
/// inequality the chance that it ever falls below alpha under the null is at most alpha, however often one looks.
/// <para>
/// The mixing variance τ² is the prior spread of true effects: the test is most powerful for effects of about
/// τ, and remains valid for every τ. MovieRec's defaults: τ = <see cref="DefaultRateMixingStdDev"/> for
/// differences of click-through rates (the effects that matter at CTRs of 2-20%), and
/// τ = <see cref="DefaultShareMixingStdDev"/> for interleaving preference shares.
/// </para>
/// </summary>
public static class MixtureSprt
{
    /// <summary>Mixing standard deviation τ for a difference of two rates (absolute, e.g. 0.02 = two points of CTR).</summary>
    public const double DefaultRateMixingStdDev = 0.02;

    /// <summary>Mixing standard deviation τ for an interleaving preference share minus 0.5.</summary>
    public const double DefaultShareMixingStdDev = 0.1;

    /// <summary>log Λ for an estimate with variance <paramref name="variance"/>; 0 (no evidence) where the variance is not finite and positive.</summary>
    public static double LogLikelihoodRatio(double estimate, double variance, double mixingStdDev)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(mixingStdDev);
        if (!double.IsFinite(variance) || variance <= 0 || !double.IsFinite(estimate))
        {
            return 0;
        }

        double tau2 = mixingStdDev * mixingStdDev;
        return (0.5 * Math.Log(variance / (variance + tau2))) + (tau2 * estimate * estimate / (2 * variance * (variance + tau2)));
    }

    /// <summary>The p-value of one look, min(1, 1/Λ). An always-valid p-value is the running minimum of these (<see cref="SequentialPValue"/>).</summary>
    public static double PValue(double estimate, double variance, double mixingStdDev) =>
        Math.Min(1.0, Math.Exp(-LogLikelihoodRatio(estimate, variance, mixingStdDev)));
}

/// <summary>
/// The always-valid p-value of a monitored experiment: the running minimum of the mSPRT p-values of every look.
/// Looks start once each side has <see cref="MinimumUnits"/> units, because the plug-in variance of a handful of
/// users is too noisy for the normal approximation.
/// </summary>
public sealed class SequentialPValue(double mixingStdDev, long minimumUnits = 20)
{
    public double MixingStdDev { get; } = mixingStdDev;

    public long MinimumUnits { get; } = minimumUnits;

    /// <summary>The always-valid p-value so far (1 before the first look).</summary>
    public double Value { get; private set; } = 1.0;

    /// <summary>Units seen at the first look where <see cref="Value"/> fell below the alpha passed to <see cref="Observe"/>, if it has.</summary>
    public long? RejectedAtUnits { get; private set; }

    /// <summary>Takes one look at the current estimate; returns the updated always-valid p-value.</summary>
    public double Observe(double estimate, double variance, long unitsPerSideMin, long unitsTotal, double alpha = 0.05)
    {
        if (unitsPerSideMin >= MinimumUnits)
        {
            Value = Math.Min(Value, MixtureSprt.PValue(estimate, variance, MixingStdDev));
            if (RejectedAtUnits is null && Value < alpha)
            {
                RejectedAtUnits = unitsTotal;
            }
        }

        return Value;
    }
}
