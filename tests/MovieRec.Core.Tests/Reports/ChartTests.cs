using MovieRec.Core.Data;
using MovieRec.Reports;
using SkiaSharp;

namespace MovieRec.Core.Tests.Reports;

public sealed class ChartTests
{
    // ScottPlot draws no text at all, silently, when no TrueType font is installed; this is the check that catches it.
    [Fact]
    public void A_chart_has_its_title_drawn_as_text()
    {
        Chart chart = Charts.Bars("Rating distribution", "Rating", "Number of ratings", ["1", "2", "3"], [new BarSeries("ratings", [3, 5, 2])]);
        FixLayout(chart);

        using SKBitmap image = SKBitmap.Decode(chart.Render(ChartFormat.Png));

        Assert.Equal(Chart.DefaultWidth, image.Width);
        Assert.Equal(Chart.DefaultHeight, image.Height);
        // The title sits in the band above the data area, centred; nothing else is drawn there (see the next test).
        int titlePixels = DarkPixels(image, 100, 0, 700, 45);
        Assert.True(titlePixels > 150, $"only {titlePixels} dark pixels where the title should be: is fonts-dejavu-core installed?");
        // The y-axis label runs up the left edge.
        Assert.True(DarkPixels(image, 25, 120, 55, 330) > 50, "no y-axis label drawn");
    }

    [Fact]
    public void The_title_band_is_empty_when_the_title_is_blank_text()
    {
        // The control for the test above: the band it measures holds the title and nothing else.
        Chart titled = Charts.Lines("Training RMSE per epoch", "Epoch", "RMSE", [new LineSeries("svd", [1, 2, 3], [1.0, 0.9, 0.85])]);
        titled.Plot.Title(string.Empty);
        FixLayout(titled);

        using SKBitmap image = SKBitmap.Decode(titled.Render(ChartFormat.Png));

        Assert.Equal(0, DarkPixels(image, 100, 0, 700, 45));
    }

    [Fact]
    public void Svg_output_is_an_svg_document_with_the_title()
    {
        Chart chart = Charts.Lines(
            "Precision at K",
            "K",
            "Precision",
            [new LineSeries("svd", [1, 2, 3], [0.3, 0.25, 0.2], [0.01, 0.01, 0.02]), new LineSeries("item-knn", [1, 2, 3], [0.2, 0.2, 0.1])]);

        string svg = System.Text.Encoding.UTF8.GetString(chart.Render(ChartFormat.Svg));

        Assert.Contains("<svg", svg, StringComparison.Ordinal);
        Assert.Equal(["svd", "item-knn"], chart.SeriesNames);
    }

    [Fact]
    public void A_chart_without_a_title_or_axis_label_is_refused()
    {
        Assert.Throws<ArgumentException>(() => Charts.Bars("", "x", "y", ["a"], [new BarSeries("s", [1])]));
        Assert.Throws<ArgumentException>(() => Charts.Lines("t", "x", " ", [new LineSeries("s", [1], [1])]));
        Assert.Throws<ArgumentException>(() => Charts.Bars("t", "x", "y", ["a", "b"], [new BarSeries("s", [1])]));
    }

    [Fact]
    public void The_html_report_writes_index_and_every_chart_as_png_and_svg()
    {
        using var folder = new TempFolder();
        Rating[] ratings = Fixtures.SyntheticRatings();
        Movie[] movies = [.. Enumerable.Range(0, 60).Select(i => new Movie(Fixtures.MovieId(i), $"Movie {i} (1990)", 1990, i % 2 == 0 ? ["Drama"] : ["Comedy", "Drama"]))];
        var report = new HtmlReport("Test <report>");
        DatasetStatistics stats = DatasetStatistics.From("synthetic", ratings);
        report.AddSection("Dataset")
            .Add(DatasetCharts.RatingDistribution(stats))
            .Add(DatasetCharts.LongTail(stats))
            .Add(DatasetCharts.TopRated(stats, movies))
            .Add(DatasetCharts.GenreCounts(movies, "synthetic"))
            .AddTable(["model", "RMSE"], [["svd", "0.91"]]);

        string index = report.Write(folder.Path);

        string html = File.ReadAllText(index);
        Assert.Contains("Test &lt;report&gt;", html, StringComparison.Ordinal);
        Assert.Contains("<td>svd</td>", html, StringComparison.Ordinal);
        string[] pngs = Directory.GetFiles(folder.Path, "*.png");
        Assert.Equal(4, pngs.Length);
        Assert.Equal(4, Directory.GetFiles(folder.Path, "*.svg").Length);
        foreach (string png in pngs)
        {
            Assert.Contains($"src=\"{Path.GetFileName(png)}\"", html, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("http", html.Replace("http-equiv", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    // A fixed data area, so the title band is the same rows whether or not a title is drawn.
    private static void FixLayout(Chart chart) => chart.Plot.Layout.Fixed(new ScottPlot.PixelPadding(80, 20, 60, 50));

    [Fact]
    public void Statistics_from_a_rating_list_and_from_its_matrix_agree()
    {
        Rating[] ratings = Fixtures.SyntheticRatings();

        DatasetStatistics fromList = DatasetStatistics.From("x", ratings);
        DatasetStatistics fromMatrix = DatasetStatistics.From("x", RatingMatrix.Build(ratings));

        Assert.Equal(fromList.RatingValues.OrderBy(p => p.Key), fromMatrix.RatingValues.OrderBy(p => p.Key));
        Assert.Equal(fromList.RatingsPerUser.Order(), fromMatrix.RatingsPerUser.Order());
        Assert.Equal(fromList.RatingsPerMovie.OrderBy(p => p.Key), fromMatrix.RatingsPerMovie.OrderBy(p => p.Key));
        Assert.Equal(ratings.Length, fromMatrix.RatingsPerUser.Sum());
    }

    private static int DarkPixels(SKBitmap image, int left, int top, int right, int bottom)
    {
        int dark = 0;
        for (int y = top; y < Math.Min(bottom, image.Height); y++)
        {
            for (int x = left; x < Math.Min(right, image.Width); x++)
            {
                SKColor c = image.GetPixel(x, y);
                if (c.Alpha > 128 && (c.Red + c.Green + c.Blue) / 3 < 128)
                {
                    dark++;
                }
            }
        }

        return dark;
    }
}
