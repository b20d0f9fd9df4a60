using System.Drawing;
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using MovieRec.Core.Training;
using MovieRec.Core.Data;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace MovieRec.Browser.Tests;

/// <summary>
/// One real Kestrel server on a loopback port, serving a bundle trained on a small catalogue of well-known titles,
/// and one headless Debian Chromium driven through Debian's chromedriver (explicit paths, so Selenium Manager never
/// tries the network). Chromium absent: the tests skip, saying so, except under CI=true, where they fail.
/// </summary>
public sealed class BrowserFixture : IDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";
    public const string DriverPath = "/usr/bin/chromedriver";

    private readonly TempFolder _folder = new();
    private readonly ServerFactory? _server;

    public BrowserFixture()
    {
        bool present = File.Exists(ChromiumPath) && File.Exists(DriverPath);
        if (!present)
        {
            MissingReason = $"Chromium is not installed ({ChromiumPath}, {DriverPath}): apt-get install chromium chromium-driver (.ci/run does).";
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"CI=true and {MissingReason}");
            }

            return;
        }

        string data = Catalogue.Write(_folder.Path);
        string models = Path.Combine(_folder.Path, "models");
        BundleTrainer.Train(MovieLensLoader.Load(data), new BundleTrainingOptions { Models = ["baseline", "svd", "item-knn", "implicit-als"], Output = models, Evaluate = true, Keep = 1, Seed = 42 });
        int port = int.TryParse(Environment.GetEnvironmentVariable("MOVIEREC_BROWSER_TEST_PORT"), CultureInfo.InvariantCulture, out int p) ? p : 5210;
        _server = new ServerFactory(models, data);
        _server.UseKestrel(o => o.Listen(IPAddress.Loopback, port));
        _server.StartServer();
        BaseUrl = $"http://127.0.0.1:{port}";
        WaitUntilReady();

        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(DriverPath), Path.GetFileName(DriverPath));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        var options = new ChromeOptions { BinaryLocation = ChromiumPath };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,900",
            "--no-first-run", "--disable-extensions", "--lang=en-US");
        options.SetLoggingPreference(LogType.Browser, OpenQA.Selenium.LogLevel.All);
        Driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(120));
        Driver.Manage().Timeouts().PageLoad = TimeSpan.FromSeconds(60);
        ScreenshotFolder = FindScreenshotFolder();
    }

    /// <summary>Why the tests cannot run here, or null.</summary>
    public string? MissingReason { get; }

    public string BaseUrl { get; } = string.Empty;

    public ChromeDriver Driver { get; } = null!;

    public string ScreenshotFolder { get; } = string.Empty;

    public static Size Desktop { get; } = new(1280, 900);

    public static Size Phone { get; } = new(390, 844);

    /// <summary>Writes the current page as screenshots/&lt;name&gt;-&lt;width&gt;.png (git-ignored).</summary>
    public string Screenshot(string name)
    {
        string path = Path.Combine(ScreenshotFolder, $"{name}-{Driver.Manage().Window.Size.Width}.png");
        Driver.GetScreenshot().SaveAsFile(path);
        return path;
    }

    /// <summary>Console messages at error level since the last call (Chromium reports failed loads there too).</summary>
    public IReadOnlyList<string> ConsoleErrors() =>
        [.. Driver.Manage().Logs.GetLog(LogType.Browser).Where(e => e.Level >= OpenQA.Selenium.LogLevel.Severe).Select(e => e.Message)];

    public void Dispose()
    {
        try
        {
            Driver?.Quit();
        }
        finally
        {
            Driver?.Dispose();
            _server?.Dispose();
            _folder.Dispose();
        }
    }

    private void WaitUntilReady()
    {
        using var client = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        for (int i = 0; i < 600; i++)
        {
            try
            {
                if (client.GetAsync(new Uri("/health/ready", UriKind.Relative)).GetAwaiter().GetResult().StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            Thread.Sleep(50);
        }

        throw new TimeoutException($"{BaseUrl} did not become ready within 30 s.");
    }

    private static string FindScreenshotFolder()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "MovieRec.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        string folder = dir is null
            ? Path.Combine(AppContext.BaseDirectory, "screenshots")
            : Path.Combine(dir, "tests", "MovieRec.Browser.Tests", "screenshots");
        Directory.CreateDirectory(folder);
        return folder;
    }

    private sealed class ServerFactory(string models, string data) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Testing");
            builder.UseSetting("MovieRec:ModelsPath", models);
            builder.UseSetting("MovieRec:DataPath", data);
            builder.UseSetting("MovieRec:AllowDownload", "false");
            builder.UseSetting("MovieRec:TrainOnFirstStart", "false");
            builder.UseSetting("Serilog:MinimumLevel:Default", "Warning");
        }
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}

/// <summary>
/// A small catalogue of well-known titles in MovieLens form ("Godfather, The (1972)"), with links.csv, and
/// ratings from users who each like two of four taste groups, so what a visitor rates changes what they get.
/// </summary>
internal static class Catalogue
{
    private static readonly (int Id, string Title, string Genres, int Group, string Imdb, int Tmdb)[] Movies =
    [
        (1, "Toy Story (1995)", "Adventure|Animation|Children|Comedy|Fantasy", 0, "0114709", 862),
        (2355, "Bug's Life, A (1998)", "Adventure|Animation|Children|Comedy", 0, "0120623", 9487),
        (3114, "Toy Story 2 (1999)", "Adventure|Animation|Children|Comedy|Fantasy", 0, "0120363", 863),
        (4886, "Monsters, Inc. (2001)", "Adventure|Animation|Children|Comedy|Fantasy", 0, "0198781", 585),
        (6377, "Finding Nemo (2003)", "Adventure|Animation|Children|Comedy", 0, "0266543", 12),
        (8961, "Incredibles, The (2004)", "Action|Adventure|Animation|Children|Comedy", 0, "0317705", 9806),
        (588, "Aladdin (1992)", "Adventure|Animation|Children|Comedy|Musical", 0, "0103639", 812),
        (364, "Lion King, The (1994)", "Adventure|Animation|Children|Drama|Musical|IMAX", 0, "0110357", 8587),
        (2571, "Matrix, The (1999)", "Action|Sci-Fi|Thriller", 1, "0133093", 603),
        (6365, "Matrix Reloaded, The (2003)", "Action|Adventure|Sci-Fi|Thriller|IMAX", 1, "0234215", 604),
        (1240, "Terminator, The (1984)", "Action|Sci-Fi|Thriller", 1, "0088247", 218),
        (589, "Terminator 2: Judgment Day (1991)", "Action|Sci-Fi", 1, "0103064", 280),
        (541, "Blade Runner (1982)", "Action|Sci-Fi|Thriller", 1, "0083658", 78),
        (260, "Star Wars: Episode IV - A New Hope (1977)", "Action|Adventure|Sci-Fi", 1, "0076759", 11),
        (1196, "Star Wars: Episode V - The Empire Strikes Back (1980)", "Action|Adventure|Sci-Fi", 1, "0080684", 1891),
        (1200, "Aliens (1986)", "Action|Adventure|Horror|Sci-Fi", 1, "0090605", 679),
        (858, "Godfather, The (1972)", "Crime|Drama", 2, "0068646", 238),
        (1221, "Godfather: Part II, The (1974)", "Crime|Drama", 2, "0071562", 240),
        (2023, "Godfather: Part III, The (1990)", "Crime|Drama|Mystery|Thriller", 2, "0099674", 242),
        (1213, "Goodfellas (1990)", "Crime|Drama", 2, "0099685", 769),
        (296, "Pulp Fiction (1994)", "Comedy|Crime|Drama|Thriller", 2, "0110912", 680),
        (50, "Usual Suspects, The (1995)", "Crime|Mystery|Thriller", 2, "0114814", 629),
        (318, "Shawshank Redemption, The (1994)", "Crime|Drama", 2, "0111161", 278),
        (1089, "Reservoir Dogs (1992)", "Crime|Mystery|Thriller", 2, "0105236", 500),
        (1721, "Titanic (1997)", "Drama|Romance", 3, "0120338", 597),
        (597, "Pretty Woman (1990)", "Comedy|Romance", 3, "0100405", 114),
        (1307, "When Harry Met Sally... (1989)", "Comedy|Romance", 3, "0098635", 639),
        (539, "Sleepless in Seattle (1993)", "Comedy|Drama|Romance", 3, "0108160", 858),
        (4973, "Amelie (Fabuleux destin d'Amélie Poulain, Le) (2001)", "Comedy|Romance", 3, "0211915", 194),
        (357, "Four Weddings and a Funeral (1994)", "Comedy|Romance", 3, "0109831", 712),
        (2396, "Shakespeare in Love (1998)", "Comedy|Drama|Romance", 3, "0138097", 1934),
        (7, "Sabrina (1995)", "Comedy|Romance", 3, "0114319", 11860),
    ];

    public static string Write(string root)
    {
        string folder = Path.Combine(root, "catalogue");
        Directory.CreateDirectory(folder);
        var movies = new StringBuilder("movieId,title,genres\n");
        var links = new StringBuilder("movieId,imdbId,tmdbId\n");
        foreach (var m in Movies)
        {
            movies.Append(CultureInfo.InvariantCulture, $"{m.Id},\"{m.Title}\",{m.Genres}\n");
            links.Append(CultureInfo.InvariantCulture, $"{m.Id},{m.Imdb},{m.Tmdb}\n");
        }

        var ratings = new StringBuilder("userId,movieId,rating,timestamp\n");
        var random = new Random(7);
        for (int user = 1; user <= 80; user++)
        {
            int first = user % 4, second = (user / 4) % 4;
            foreach (var m in Movies)
            {
                bool liked = m.Group == first || m.Group == second;
                if (random.NextDouble() > (liked ? 0.75 : 0.3))
                {
                    continue;
                }

                double value = liked ? 4 + random.NextDouble() : 1.5 + (2 * random.NextDouble());
                double halfStars = Math.Clamp(Math.Round(value * 2) / 2, 0.5, 5);
                ratings.Append(CultureInfo.InvariantCulture, $"{user},{m.Id},{halfStars:0.0},{1_000_000 + (user * 100) + m.Group}\n");
            }
        }

        File.WriteAllText(Path.Combine(folder, "movies.csv"), movies.ToString());
        File.WriteAllText(Path.Combine(folder, "links.csv"), links.ToString());
        File.WriteAllText(Path.Combine(folder, "ratings.csv"), ratings.ToString());
        return folder;
    }
}
