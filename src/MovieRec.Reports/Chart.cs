using ScottPlot;

namespace MovieRec.Reports;

/// <summary>The image formats a chart renders to.</summary>
public enum ChartFormat
{
    Png,
    Svg,
}

/// <summary>
/// One finished chart: a title, labelled axes and its series, ready to render as PNG or SVG.
/// Build one with <see cref="Charts"/>; a chart is not thread-safe (ScottPlot's plot is mutable), so render it
/// from one thread and build a new one per request.
/// </summary>
public sealed class Chart
{
    public const int DefaultWidth = 800;
    public const int DefaultHeight = 450;

    internal Chart(Plot plot, string title, string xLabel, string yLabel, IReadOnlyList<string> seriesNames)
    {
        Plot = plot;
        Title = title;
        XLabel = xLabel;
        YLabel = yLabel;
        SeriesNames = seriesNames;
    }

    internal Plot Plot { get; }

    public string Title { get; }

    public string XLabel { get; }

    public string YLabel { get; }

    /// <summary>The names shown in the legend (a legend is drawn when there is more than one).</summary>
    public IReadOnlyList<string> SeriesNames { get; }

    /// <summary>The MIME type of a format, for HTTP responses.</summary>
    public static string ContentType(ChartFormat format) => format == ChartFormat.Png ? "image/png" : "image/svg+xml";

    /// <summary>The file extension of a format, without the dot.</summary>
    public static string Extension(ChartFormat format) => format == ChartFormat.Png ? "png" : "svg";

    public byte[] Render(ChartFormat format, int width = DefaultWidth, int height = DefaultHeight)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 100);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 100);
        return format switch
        {
            ChartFormat.Png => Plot.GetImageBytes(width, height, ImageFormat.Png),
            ChartFormat.Svg => System.Text.Encoding.UTF8.GetBytes(Plot.GetSvgXml(width, height)),
            _ => throw new ArgumentOutOfRangeException(nameof(format)),
        };
    }

    /// <summary>Writes the chart to <paramref name="path"/>; the format is taken from the extension (.png or .svg).</summary>
    public void Save(string path, int width = DefaultWidth, int height = DefaultHeight)
    {
        ChartFormat format = Path.GetExtension(path).ToUpperInvariant() switch
        {
            ".PNG" => ChartFormat.Png,
            ".SVG" => ChartFormat.Svg,
            _ => throw new ArgumentException($"{path}: a chart is saved as .png or .svg.", nameof(path)),
        };
        File.WriteAllBytes(path, Render(format, width, height));
    }
}
