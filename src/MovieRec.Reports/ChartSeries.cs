namespace MovieRec.Reports;

/// <summary>A named line: points (X[i], Y[i]), optionally with a symmetric error bar of Error[i] at each point.</summary>
public sealed record LineSeries(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y, IReadOnlyList<double>? Error = null);

/// <summary>A named set of bars, one value per category of the chart, optionally with error bars (e.g. a standard deviation).</summary>
public sealed record BarSeries(string Name, IReadOnlyList<double> Values, IReadOnlyList<double>? Errors = null);
