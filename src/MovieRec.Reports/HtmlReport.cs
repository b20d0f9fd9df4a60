using System.Globalization;
using System.Net;
using System.Text;

namespace MovieRec.Reports;

/// <summary>
/// A self-contained HTML report: index.html plus each chart as PNG (shown) and SVG (linked) beside it, no
/// scripts, no external resources, so the folder can be opened offline or attached to a mail.
/// </summary>
public sealed class HtmlReport
{
    private readonly List<Section> _sections = [];

    public HtmlReport(string title) => Title = title;

    public string Title { get; }

    /// <summary>The charts added so far, in order.</summary>
    public IEnumerable<Chart> Charts => _sections.SelectMany(s => s.Charts);

    public ReportSection AddSection(string heading, string? text = null)
    {
        var section = new Section(heading, text);
        _sections.Add(section);
        return new ReportSection(section);
    }

    /// <summary>Writes index.html and the chart images into <paramref name="folder"/> (created if needed); returns the index path.</summary>
    public string Write(string folder)
    {
        Directory.CreateDirectory(folder);
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $$"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{{Encode(Title)}}</title>
            <style>
            body { font-family: system-ui, sans-serif; margin: 1rem auto; max-width: 60rem; padding: 0 1rem; color: #222; }
            img { max-width: 100%; height: auto; border: 1px solid #ddd; }
            figure { margin: 1rem 0; }
            table { border-collapse: collapse; margin: 0.5rem 0; font-variant-numeric: tabular-nums; }
            th, td { border: 1px solid #ccc; padding: 0.2rem 0.5rem; text-align: right; }
            th:first-child, td:first-child { text-align: left; }
            </style>
            </head>
            <body>
            <h1>{{Encode(Title)}}</h1>
            <p>Written {{DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)}} UTC by MovieRec.</p>

            """);
        int number = 0;
        foreach (Section section in _sections)
        {
            html.Append(CultureInfo.InvariantCulture, $"<h2>{Encode(section.Heading)}</h2>\n");
            if (section.Text is not null)
            {
                html.Append(CultureInfo.InvariantCulture, $"<p>{Encode(section.Text)}</p>\n");
            }

            foreach (Table table in section.Tables)
            {
                html.Append("<table>\n<tr>");
                foreach (string h in table.Header)
                {
                    html.Append(CultureInfo.InvariantCulture, $"<th scope=\"col\">{Encode(h)}</th>");
                }

                html.Append("</tr>\n");
                foreach (IReadOnlyList<string> row in table.Rows)
                {
                    html.Append("<tr>");
                    foreach (string cell in row)
                    {
                        html.Append(CultureInfo.InvariantCulture, $"<td>{Encode(cell)}</td>");
                    }

                    html.Append("</tr>\n");
                }

                html.Append("</table>\n");
            }

            foreach (Chart chart in section.Charts)
            {
                number++;
                string stem = $"{number:00}-{Slug(chart.Title)}";
                chart.Save(Path.Combine(folder, stem + ".png"));
                chart.Save(Path.Combine(folder, stem + ".svg"));
                html.Append(CultureInfo.InvariantCulture, $"""
                    <figure>
                    <img src="{stem}.png" width="{Chart.DefaultWidth}" height="{Chart.DefaultHeight}" alt="{Encode(chart.Title)}: {Encode(chart.YLabel)} by {Encode(chart.XLabel)}">
                    <figcaption>{Encode(chart.Title)} (<a href="{stem}.svg">SVG</a>)</figcaption>
                    </figure>

                    """);
            }
        }

        html.Append("</body>\n</html>\n");
        string index = Path.Combine(folder, "index.html");
        File.WriteAllText(index, html.ToString());
        return index;
    }

    internal static string Slug(string text)
    {
        var slug = new StringBuilder();
        foreach (char c in text.ToLowerInvariant())
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                slug.Append(c);
            }
            else if (slug.Length > 0 && slug[^1] != '-')
            {
                slug.Append('-');
            }

            if (slug.Length >= 48)
            {
                break;
            }
        }

        return slug.ToString().Trim('-');
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    internal sealed record Table(IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<string>> Rows);

    internal sealed class Section(string heading, string? text)
    {
        public string Heading { get; } = heading;

        public string? Text { get; } = text;

        public List<Chart> Charts { get; } = [];

        public List<Table> Tables { get; } = [];
    }
}

/// <summary>A section of an <see cref="HtmlReport"/>: add tables (drawn first) and charts to it.</summary>
public sealed class ReportSection
{
    private readonly HtmlReport.Section _section;

    internal ReportSection(HtmlReport.Section section) => _section = section;

    public ReportSection Add(Chart chart)
    {
        _section.Charts.Add(chart);
        return this;
    }

    public ReportSection AddTable(IReadOnlyList<string> header, IReadOnlyList<IReadOnlyList<string>> rows)
    {
        _section.Tables.Add(new HtmlReport.Table(header, rows));
        return this;
    }
}
