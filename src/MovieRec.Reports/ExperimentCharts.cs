using MovieRec.Core.Experiments;

namespace MovieRec.Reports;

/// <summary>Charts of experiments: click-through rate per variant with its 95% interval as error bars.</summary>
public static class ExperimentCharts
{
    /// <summary>
    /// One bar per variant at its CTR. ScottPlot's error bars are symmetric, so each spans the wider side of the
    /// variant's 95% interval (the intervals are Wald intervals, symmetric unless clipped at 0).
    /// </summary>
    public static Chart Ctr(string title, IReadOnlyList<string> variants, IReadOnlyList<double> ctr, IReadOnlyList<double> low, IReadOnlyList<double> high)
    {
        if (ctr.Count != variants.Count || low.Count != variants.Count || high.Count != variants.Count)
        {
            throw new ArgumentException($"chart '{title}': one CTR and interval per variant are needed.");
        }

        double[] errors = new double[variants.Count];
        for (int v = 0; v < errors.Length; v++)
        {
            errors[v] = Math.Max(Math.Max(ctr[v] - low[v], high[v] - ctr[v]), 0);
        }

        return Charts.Bars(title, "Variant", "Click-through rate", variants, [new BarSeries("CTR with 95% interval", ctr, errors)]);
    }

    /// <summary>The chart of one simulated experiment: CTR A and CTR B with their intervals, the decision in the title.</summary>
    public static Chart Simulation(SimulationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        string p = result.PValue < 1e-4 ? result.PValue.ToString("0.0E+0", System.Globalization.CultureInfo.InvariantCulture)
            : result.PValue.ToString("F4", System.Globalization.CultureInfo.InvariantCulture);
        string title = $"{(result.Mode == "ab" ? "A/B" : "Interleaving")}: {result.ModelA} vs {result.ModelB}, {result.Users} users, p {p}: {result.Decision}";
        // Short labels stay horizontal: the model names, marked A and B only when they are the same (an A/A test).
        string[] labels = result.ModelA == result.ModelB ? [$"A: {result.ModelA}", $"B: {result.ModelB}"] : [result.ModelA, result.ModelB];
        return Ctr(title, labels, [result.CtrA, result.CtrB], [result.CtrALow, result.CtrBLow], [result.CtrAHigh, result.CtrBHigh]);
    }
}
