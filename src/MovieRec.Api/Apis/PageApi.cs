using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.FileProviders;
using MovieRec.Api.Hosting;
using MovieRec.Reports;

namespace MovieRec.Api.Apis;

/// <summary>
/// The page for people (<c>/</c>, static files in wwwroot over the JSON API), the dashboard (<c>/dashboard</c>)
/// and its charts (<c>/dashboard/charts/{name}.png|.svg</c>). None of these are part of the JSON API's description.
/// </summary>
public static class PageApi
{
    /// <summary>Serves wwwroot: index.html at <c>/</c>, then the scripts and styles.</summary>
    public static WebApplication UseMovieRecPages(this WebApplication app)
    {
        IFileProvider files = PageFiles(app.Environment);
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            // Small files that change with the build: revalidate rather than cache blindly.
            OnPrepareResponse = c => c.Context.Response.Headers.CacheControl = "no-cache",
        });
        return app;
    }

    public static IEndpointRouteBuilder MapPageApi(this IEndpointRouteBuilder app)
    {
        IFileProvider files = PageFiles(app.ServiceProvider.GetRequiredService<IWebHostEnvironment>());
        app.MapGet("/dashboard", () =>
            {
                IFileInfo page = files.GetFileInfo("dashboard.html");
                return page.Exists ? Results.Stream(page.CreateReadStream(), "text/html; charset=utf-8") : Results.NotFound();
            })
            .ExcludeFromDescription();
        app.MapGet("/dashboard/charts/{file}", Chart).WithName("DashboardChart").ExcludeFromDescription();
        return app;
    }

    /// <summary><c>ratings.png</c>, <c>long-tail.svg</c>, ...: one of <see cref="DashboardCharts.Names"/> as PNG or SVG.</summary>
    public static Results<FileContentHttpResult, ProblemHttpResult> Chart(string file, ModelHost host, DashboardCharts charts)
    {
        string name = Path.GetFileNameWithoutExtension(file);
        ChartFormat? format = Path.GetExtension(file).ToUpperInvariant() switch
        {
            ".PNG" => ChartFormat.Png,
            ".SVG" => ChartFormat.Svg,
            _ => null,
        };
        if (format is null || !DashboardCharts.IsKnown(name))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown chart",
                detail: $"'{file}' is not a chart. Charts: {string.Join(", ", DashboardCharts.Names)}, each as .png or .svg.");
        }

        if (host.Current is not ServedBundle bundle)
        {
            return ApiProblems.NotReady();
        }

        return TypedResults.File(charts.Render(bundle, name, format.Value), Reports.Chart.ContentType(format.Value));
    }

    // The content root's wwwroot (dotnet run from the project, tests), else the copy beside the binaries (publish,
    // dotnet run from the repository root).
    private static IFileProvider PageFiles(IWebHostEnvironment environment)
    {
        if (environment.WebRootFileProvider.GetFileInfo("index.html").Exists)
        {
            return environment.WebRootFileProvider;
        }

        string beside = Path.Combine(AppContext.BaseDirectory, "wwwroot");
        return Directory.Exists(beside) ? new PhysicalFileProvider(beside) : environment.WebRootFileProvider;
    }
}
