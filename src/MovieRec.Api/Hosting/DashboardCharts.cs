using System.Collections.Concurrent;
using MovieRec.Core.Artifacts;
using MovieRec.Reports;

namespace MovieRec.Api.Hosting;

/// <summary>
/// The dashboard's charts, drawn from the bundle being served by the same code as <c>movierec report</c>. A chart is
/// drawn once per bundle and format and kept until the bundle changes (the counts it draws cannot change before).
/// </summary>
public sealed class DashboardCharts
{
    /// <summary>Chart names in the order the dashboard shows them.</summary>
    public static readonly IReadOnlyList<string> Names = ["ratings", "long-tail", "top-rated", "genres", "models"];

    private readonly ConcurrentDictionary<(string Bundle, string Name, ChartFormat Format), Lazy<byte[]>> _drawn = new();
    private string? _bundleId;

    public static bool IsKnown(string name) => Names.Contains(name, StringComparer.Ordinal);

    public byte[] Render(ServedBundle bundle, string name, ChartFormat format)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        if (!string.Equals(Volatile.Read(ref _bundleId), bundle.Id, StringComparison.Ordinal))
        {
            // A new bundle: the old bundle's images are of no more use.
            _drawn.Clear();
            Volatile.Write(ref _bundleId, bundle.Id);
        }

        Lazy<byte[]> image = _drawn.GetOrAdd((bundle.Id, name, format), key => new Lazy<byte[]>(() => Draw(bundle, key.Name).Render(key.Format)));
        return image.Value;
    }

    private static Chart Draw(ServedBundle bundle, string name)
    {
        string dataset = bundle.Bundle.Manifest.Dataset.Name;
        return name switch
        {
            "ratings" => DatasetCharts.RatingDistribution(DatasetStatistics.From(dataset, bundle.Ratings)),
            "long-tail" => DatasetCharts.LongTail(DatasetStatistics.From(dataset, bundle.Ratings)),
            "top-rated" => DatasetCharts.TopRated(DatasetStatistics.From(dataset, bundle.Ratings), bundle.MoviesInOrder),
            "genres" => DatasetCharts.GenreCounts(bundle.MoviesInOrder, dataset),
            "models" => Models(bundle.Bundle.Manifest),
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown chart."),
        };
    }

    // Holdout metrics where the bundle was trained with --eval, else what every bundle has: the fit time.
    private static Chart Models(BundleManifest manifest)
    {
        string[] names = [.. manifest.Models.Select(m => m.Name)];
        ModelManifest[] measured = [.. manifest.Models.Where(m => m.Holdout is not null)];
        if (measured.Length == 0)
        {
            return Charts.Bars("Fit seconds by model (no holdout metrics: train with --eval)", "Model", "Seconds",
                names, [new BarSeries("fit seconds", [.. manifest.Models.Select(m => m.FitSeconds)])]);
        }

        int k = measured[0].Holdout!.K;
        return Charts.Bars($"Holdout metrics by model (bundle {manifest.Id})", "Model", "Metric value",
            [.. measured.Select(m => m.Name)],
            [
                new BarSeries("RMSE", [.. measured.Select(m => m.Holdout!.Rmse)]),
                new BarSeries("MAE", [.. measured.Select(m => m.Holdout!.Mae)]),
                new BarSeries($"P@{k}", [.. measured.Select(m => m.Holdout!.PrecisionAtK ?? 0)]),
                new BarSeries($"NDCG@{k}", [.. measured.Select(m => m.Holdout!.NdcgAtK ?? 0)]),
            ]);
    }
}
