using System.Globalization;
using ScottPlot;
using ScottPlot.TickGenerators;

namespace MovieRec.Reports;

/// <summary>
/// Builds the project's charts. Every chart has a title and labelled axes, and a legend when it has more than one
/// series; the checks live here so no caller can forget them.
/// </summary>
public static class Charts
{
    private static readonly Color[] Palette =
    [
        Color.FromHex("#1f77b4"), Color.FromHex("#ff7f0e"), Color.FromHex("#2ca02c"), Color.FromHex("#d62728"),
        Color.FromHex("#9467bd"), Color.FromHex("#8c564b"), Color.FromHex("#e377c2"), Color.FromHex("#7f7f7f"),
        Color.FromHex("#bcbd22"), Color.FromHex("#17becf"),
    ];

    /// <summary>The colour of the n-th series, the same in every chart (and for the HTML page's legends).</summary>
    public static string SeriesColor(int index) => Palette[index % Palette.Length].ToHex();

    /// <summary>
    /// Vertical bars: one group per category, one bar per series inside each group, with error bars where the
    /// series has them.
    /// </summary>
    public static Chart Bars(string title, string xLabel, string yLabel, IReadOnlyList<string> categories, IReadOnlyList<BarSeries> series)
    {
        CheckLabels(title, xLabel, yLabel);
        ArgumentNullException.ThrowIfNull(categories);
        ArgumentNullException.ThrowIfNull(series);
        if (series.Count == 0 || categories.Count == 0)
        {
            throw new ArgumentException($"chart '{title}': bars need at least one category and one series.");
        }

        Plot plot = NewPlot(title, xLabel, yLabel);
        double groupWidth = 0.8;
        double barWidth = groupWidth / series.Count;
        for (int s = 0; s < series.Count; s++)
        {
            BarSeries one = series[s];
            if (one.Values.Count != categories.Count || (one.Errors is not null && one.Errors.Count != categories.Count))
            {
                throw new ArgumentException($"chart '{title}': series '{one.Name}' has {one.Values.Count} values for {categories.Count} categories.");
            }

            var bars = new List<Bar>(categories.Count);
            for (int c = 0; c < categories.Count; c++)
            {
                bars.Add(new Bar
                {
                    Position = c - (groupWidth / 2) + (barWidth * (s + 0.5)),
                    Value = Finite(one.Values[c]),
                    Error = one.Errors is null ? 0 : Finite(one.Errors[c]),
                    Size = barWidth * 0.95,
                    FillColor = Palette[s % Palette.Length],
                });
            }

            var plottable = plot.Add.Bars(bars);
            plottable.LegendText = one.Name;
        }

        plot.Axes.Bottom.SetTicks(
            [.. Enumerable.Range(0, categories.Count).Select(i => (double)i)],
            [.. categories]);
        if (categories.Count > 8 || categories.Max(c => c.Length) > 10)
        {
            plot.Axes.Bottom.TickLabelStyle.Rotation = 45;
            plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        }

        plot.Axes.Margins(bottom: 0);
        return Finish(plot, title, xLabel, yLabel, [.. series.Select(s => s.Name)]);
    }

    /// <summary>Horizontal bars for long category names (movie titles): the first category is drawn at the top.</summary>
    public static Chart HorizontalBars(string title, string xLabel, string yLabel, IReadOnlyList<string> categories, IReadOnlyList<double> values)
    {
        CheckLabels(title, xLabel, yLabel);
        if (categories.Count == 0 || categories.Count != values.Count)
        {
            throw new ArgumentException($"chart '{title}': {categories.Count} categories for {values.Count} values.");
        }

        Plot plot = NewPlot(title, xLabel, yLabel);
        var bars = new List<Bar>(categories.Count);
        for (int c = 0; c < categories.Count; c++)
        {
            bars.Add(new Bar
            {
                Position = categories.Count - 1 - c,
                Value = Finite(values[c]),
                Size = 0.8,
                FillColor = Palette[0],
                Orientation = Orientation.Horizontal,
            });
        }

        plot.Add.Bars(bars);
        plot.Axes.Left.SetTicks(
            [.. Enumerable.Range(0, categories.Count).Select(i => (double)(categories.Count - 1 - i))],
            [.. categories.Select(c => Shorten(c, 40))]);
        plot.Axes.Margins(left: 0);
        return Finish(plot, title, xLabel, yLabel, [yLabel]);
    }

    /// <summary>
    /// Lines through points, with error bars where a series has them. <paramref name="logX"/> and
    /// <paramref name="logY"/> draw that axis on a log10 scale (values must be positive; others are dropped).
    /// </summary>
    public static Chart Lines(string title, string xLabel, string yLabel, IReadOnlyList<LineSeries> series, bool logX = false, bool logY = false)
    {
        CheckLabels(title, xLabel, yLabel);
        ArgumentNullException.ThrowIfNull(series);
        if (series.Count == 0)
        {
            throw new ArgumentException($"chart '{title}': lines need at least one series.");
        }

        Plot plot = NewPlot(title, xLabel, yLabel);
        for (int s = 0; s < series.Count; s++)
        {
            LineSeries one = series[s];
            if (one.X.Count != one.Y.Count || (one.Error is not null && one.Error.Count != one.X.Count))
            {
                throw new ArgumentException($"chart '{title}': series '{one.Name}' has {one.X.Count} x values and {one.Y.Count} y values.");
            }

            var xs = new List<double>(one.X.Count);
            var ys = new List<double>(one.X.Count);
            var errors = new List<double>(one.X.Count);
            for (int i = 0; i < one.X.Count; i++)
            {
                double x = one.X[i], y = one.Y[i];
                if (!double.IsFinite(x) || !double.IsFinite(y) || (logX && x <= 0) || (logY && y <= 0))
                {
                    continue;
                }

                xs.Add(logX ? Math.Log10(x) : x);
                ys.Add(logY ? Math.Log10(y) : y);
                errors.Add(one.Error is null ? 0 : Finite(one.Error[i]));
            }

            Color color = Palette[s % Palette.Length];
            var line = plot.Add.Scatter(xs.ToArray(), ys.ToArray(), color);
            line.LegendText = one.Name;
            line.LineWidth = 2;
            line.MarkerSize = xs.Count <= 30 ? 5 : 0;
            if (one.Error is not null && !logY)
            {
                var bars = plot.Add.ErrorBar(xs, ys, errors);
                bars.Color = color;
            }
        }

        if (logX)
        {
            plot.Axes.Bottom.TickGenerator = LogTicks();
        }

        if (logY)
        {
            plot.Axes.Left.TickGenerator = LogTicks();
        }

        return Finish(plot, title, xLabel, yLabel, [.. series.Select(s => s.Name)]);
    }

    private static NumericAutomatic LogTicks() => new()
    {
        MinorTickGenerator = new LogMinorTickGenerator(),
        IntegerTicksOnly = true,
        LabelFormatter = v => Math.Pow(10, v).ToString("#,0.##", CultureInfo.InvariantCulture),
    };

    private static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        // DejaVu Sans is what fonts-dejavu-core installs; ScottPlot falls back to its own choice where it is absent.
        plot.Font.Set("DejaVu Sans");
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        return plot;
    }

    private static Chart Finish(Plot plot, string title, string xLabel, string yLabel, IReadOnlyList<string> names)
    {
        if (names.Count > 1)
        {
            // Outside the data area, so it never hides a line.
            plot.ShowLegend(Edge.Right);
        }
        else
        {
            plot.HideLegend();
        }

        return new Chart(plot, title, xLabel, yLabel, names);
    }

    private static void CheckLabels(string title, string xLabel, string yLabel)
    {
        if (string.IsNullOrWhiteSpace(title) || string.IsNullOrWhiteSpace(xLabel) || string.IsNullOrWhiteSpace(yLabel))
        {
            throw new ArgumentException("every chart needs a title and both axis labels.");
        }
    }

    private static double Finite(double value) => double.IsFinite(value) ? value : 0;

    private static string Shorten(string text, int max) => text.Length <= max ? text : string.Concat(text.AsSpan(0, max - 1), "…");
}
