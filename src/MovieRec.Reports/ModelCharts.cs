namespace MovieRec.Reports;

/// <summary>A metric of one model over several folds: each fold's value, summarised as mean and standard deviation.</summary>
public sealed record FoldValues(string Model, IReadOnlyList<double> Values)
{
    public double Mean => Values.Count == 0 ? double.NaN : Values.Average();

    /// <summary>Population standard deviation over the folds (numpy's and Surprise's), 0 for one fold.</summary>
    public double Std
    {
        get
        {
            if (Values.Count < 2)
            {
                return 0;
            }

            double mean = Mean;
            return Math.Sqrt(Values.Sum(v => (v - mean) * (v - mean)) / Values.Count);
        }
    }
}

/// <summary>A metric at every cutoff k = 1..K for one model: the mean over folds and its standard deviation.</summary>
public sealed record CutoffCurve(string Model, IReadOnlyList<double> Mean, IReadOnlyList<double> Std);

/// <summary>The model charts of the report and the dashboard: comparisons, metrics at K, learning curves.</summary>
public static class ModelCharts
{
    /// <summary>One bar per model: the fold mean, with the standard deviation over folds as the error bar.</summary>
    public static Chart Comparison(string metric, IReadOnlyList<FoldValues> models, string? note = null)
    {
        int folds = models.Count == 0 ? 0 : models.Max(m => m.Values.Count);
        string over = folds > 1 ? $"mean ± std over {folds} folds" : "one split";
        return Charts.Bars(
            $"{metric} by model ({over}){(note is null ? "" : ", " + note)}",
            "Model",
            metric,
            [.. models.Select(m => m.Model)],
            [new BarSeries(metric, [.. models.Select(m => m.Mean)], folds > 1 ? [.. models.Select(m => m.Std)] : null)]);
    }

    /// <summary>A line per model over k = 1..K, with the standard deviation over folds as error bars.</summary>
    public static Chart AtCutoffs(string metric, IReadOnlyList<CutoffCurve> models)
    {
        return Charts.Lines(
            $"{metric} at K = 1..{models.Max(m => m.Mean.Count)}",
            "K (length of the recommendation list)",
            $"{metric}@K",
            [.. models.Select(m => new LineSeries(m.Model, [.. Enumerable.Range(1, m.Mean.Count).Select(k => (double)k)], m.Mean, m.Std))]);
    }

    /// <summary>Per-epoch training and validation RMSE of one fit (validation only where the fit held some ratings out).</summary>
    public static Chart LearningCurve(string model, IReadOnlyList<double?> train, IReadOnlyList<double?> validation, string? note = null)
    {
        var series = new List<LineSeries>();
        AddSeries("training RMSE", train);
        AddSeries("validation RMSE", validation);
        if (series.Count == 0)
        {
            throw new ArgumentException($"model '{model}' reported no per-epoch RMSE.");
        }

        return Charts.Lines($"{model}: RMSE per epoch{(note is null ? "" : " (" + note + ")")}", "Epoch", "RMSE", series);

        void AddSeries(string name, IReadOnlyList<double?> values)
        {
            var xs = new List<double>();
            var ys = new List<double>();
            for (int e = 0; e < values.Count; e++)
            {
                if (values[e] is double v)
                {
                    xs.Add(e + 1);
                    ys.Add(v);
                }
            }

            if (xs.Count > 0)
            {
                series.Add(new LineSeries(name, xs, ys));
            }
        }
    }
}
