namespace MovieRec.Core.Experiments;

/// <summary>
/// Sums over the units of one arm of a pre-experiment covariate x (e.g. a user's positive ratings before the
/// experiment) beside that unit's successes s and trials t: enough for CUPED on a ratio metric.
/// </summary>
public readonly record struct CovariateTotals(long Units, double X, double XSquared, double XTimesSuccesses, double XTimesTrials)
{
    /// <summary>These totals with one more unit whose covariate is <paramref name="x"/>.</summary>
    public CovariateTotals Add(double x, double successes, double trials)
    {
        if (!double.IsFinite(x))
        {
            throw new ArgumentOutOfRangeException(nameof(x), x, "A covariate must be a finite number.");
        }

        return new CovariateTotals(Units + 1, X + x, XSquared + (x * x), XTimesSuccesses + (x * successes), XTimesTrials + (x * trials));
    }

    /// <summary>The mean covariate (0 with no units).</summary>
    public double Mean => Units > 0 ? X / Units : 0;

    /// <summary>Variance of the arm's mean covariate: the sample variance of x over n (infinity with fewer than two units).</summary>
    public double MeanVariance => Units >= 2 ? Math.Max(0, (XSquared - (Units * Mean * Mean)) / (Units - 1)) / Units : double.PositiveInfinity;

    /// <summary>
    /// Covariance of the arm's ratio s̄/t̄ with its mean covariate x̄, by the delta method:
    /// (Cov(s, x) / t̄ − s̄ Cov(t, x) / t̄²) / n.
    /// </summary>
    public double CovarianceWithRate(UnitTotals metric)
    {
        if (metric.Units != Units)
        {
            throw new ArgumentException($"The covariate covers {Units} units and the metric {metric.Units}; they must be the same units.", nameof(metric));
        }

        if (Units < 2 || metric.Trials <= 0)
        {
            return 0;
        }

        double n = Units, xMean = Mean, sMean = metric.Successes / n, tMean = metric.Trials / n;
        double covSx = (XTimesSuccesses - (n * xMean * sMean)) / (n - 1);
        double covTx = (XTimesTrials - (n * xMean * tMean)) / (n - 1);
        return ((covSx / tMean) - (sMean * covTx / (tMean * tMean))) / n;
    }
}

/// <summary>
/// CUPED (Deng, Xu, Kohavi and Walker, "Improving the Sensitivity of Online Controlled Experiments by Utilizing
/// Pre-Experiment Data", WSDM 2013) for a ratio metric: each arm's rate becomes r − θ (x̄_arm − x̄), with one θ for
/// both arms chosen to minimise the variance of the difference, θ = (C_A + C_B) / (V_A + V_B) (C: covariance of an
/// arm's rate with its mean covariate, V: variance of its mean covariate). A covariate measured before the
/// experiment cannot be moved by the treatment, so the adjusted difference estimates the same effect; it only
/// removes the part of the noise that the covariate predicts, and the test keeps its level.
/// </summary>
public static class Cuped
{
    /// <summary>The variance-minimising θ for the difference B − A (0 when the covariate does not vary).</summary>
    public static double Theta(UnitTotals a, CovariateTotals xa, UnitTotals b, CovariateTotals xb)
    {
        double v = xa.MeanVariance + xb.MeanVariance;
        return double.IsFinite(v) && v > 0 ? (xa.CovarianceWithRate(a) + xb.CovarianceWithRate(b)) / v : 0;
    }

    /// <summary>Both arms' adjusted rates and their variances, with the variance-minimising <see cref="Theta"/>.</summary>
    public static (double RateA, double VarianceA, double RateB, double VarianceB) Adjust(UnitTotals a, CovariateTotals xa, UnitTotals b, CovariateTotals xb)
    {
        double theta = Theta(a, xa, b, xb);
        double mean = xa.Units + xb.Units > 0 ? (xa.X + xb.X) / (xa.Units + xb.Units) : 0;
        (double ra, double va) = Adjust(a, xa, theta, mean);
        (double rb, double vb) = Adjust(b, xb, theta, mean);
        return (ra, va, rb, vb);
    }

    /// <summary>
    /// One arm's adjusted rate and its variance, Var(r) − 2θ C + θ² V, given θ and the covariate's mean over both
    /// arms <paramref name="overallMean"/>.
    /// </summary>
    private static (double Rate, double Variance) Adjust(UnitTotals metric, CovariateTotals covariate, double theta, double overallMean)
    {
        double variance = metric.RateVariance;
        if (!double.IsFinite(variance) || theta == 0)
        {
            return (metric.Rate, variance);
        }

        double adjusted = variance - (2 * theta * covariate.CovarianceWithRate(metric)) + (theta * theta * covariate.MeanVariance);
        return (metric.Rate - (theta * (covariate.Mean - overallMean)), Math.Max(adjusted, 0));
    }
}
