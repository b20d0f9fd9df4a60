using MathNet.Numerics.Distributions;

namespace MovieRec.Core.Experiments;

/// <summary>Successes and failures of one arm of a bandit (conversions and non-converting impressions).</summary>
public readonly record struct ArmCounts(long Successes, long Failures);

/// <summary>
/// Thompson sampling over Bernoulli arms with Beta(1, 1) priors: each arm's rate is drawn from its posterior
/// Beta(1 + successes, 1 + failures) and the highest draw wins. The chance an arm is chosen is the posterior
/// probability that it is the best, so traffic drifts to the better variant as evidence accrues.
/// </summary>
public static class ThompsonSampling
{
    /// <summary>The arm chosen by one posterior draw per arm.</summary>
    public static int Choose(IReadOnlyList<ArmCounts> arms, Random random)
    {
        Check(arms);
        int best = 0;
        double bestDraw = double.NegativeInfinity;
        for (int a = 0; a < arms.Count; a++)
        {
            double draw = Beta.Sample(random, 1 + arms[a].Successes, 1 + arms[a].Failures);
            if (draw > bestDraw)
            {
                bestDraw = draw;
                best = a;
            }
        }

        return best;
    }

    /// <summary>The share of traffic each arm would get: the Monte Carlo probability (over <paramref name="draws"/> draws) that it is the best.</summary>
    public static double[] Allocation(IReadOnlyList<ArmCounts> arms, int draws, Random random)
    {
        Check(arms);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(draws);
        double[] share = new double[arms.Count];
        for (int d = 0; d < draws; d++)
        {
            share[Choose(arms, random)] += 1.0 / draws;
        }

        return share;
    }

    private static void Check(IReadOnlyList<ArmCounts> arms)
    {
        if (arms.Count == 0)
        {
            throw new ArgumentException("Thompson sampling needs at least one arm.", nameof(arms));
        }

        foreach (ArmCounts arm in arms)
        {
            if (arm.Successes < 0 || arm.Failures < 0)
            {
                throw new ArgumentException($"Arm counts must be non-negative (got {arm.Successes} successes, {arm.Failures} failures).", nameof(arms));
            }
        }
    }
}
