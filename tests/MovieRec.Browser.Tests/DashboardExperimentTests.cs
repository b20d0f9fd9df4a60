using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using MovieRec.Core.Data;
using MovieRec.Core.Training;
using OpenQA.Selenium;
using OpenQA.Selenium.Support.UI;

namespace MovieRec.Browser.Tests;

/// <summary>
/// The dashboard's experiments: a second real server (its own port, bundle and feedback store, so the page tests'
/// server enrols nobody) runs a configured A/B experiment with a known better variant and shows a finished one;
/// users go through /recommend/user and /events over HTTP, and Chromium must show each experiment with its variants,
/// exposure counts, CTR per arm, p-values and the decision the JSON report gives.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class DashboardExperimentTests(BrowserFixture browser)
{
    private IWebDriver Driver => browser.Driver;

    [SkippableFact]
    public async Task Dashboard_shows_running_and_finished_experiments_with_exposures_ctr_per_arm_p_values_and_the_decision()
    {
        Skip.If(browser.MissingReason is not null, browser.MissingReason);
        using var folder = new TempFolder();
        string data = Catalogue.Write(folder.Path);
        string models = Path.Combine(folder.Path, "models");
        BundleTrainer.Train(MovieLensLoader.Load(data), new BundleTrainingOptions { Models = ["item-knn", "implicit-als"], Output = models, Keep = 1, Seed = 42 });
        int port = int.TryParse(Environment.GetEnvironmentVariable("MOVIEREC_BROWSER_TEST_PORT"), CultureInfo.InvariantCulture, out int p) ? p + 1 : 5211;
        using var server = new ExperimentServer(models, data);
        server.UseKestrel(o => o.Listen(IPAddress.Loopback, port));
        server.StartServer();
        string baseUrl = $"http://127.0.0.1:{port}";
        using var client = new HttpClient { BaseAddress = new Uri(baseUrl) };
        await WaitUntilReadyAsync(client);

        // 80 dataset users: an impression for each listed movie, a click with probability 0.1 under control and 0.4
        // under treatment (seeded per user, so the outcome repeats).
        for (int user = 1; user <= 80; user++)
        {
            JsonElement list = await client.GetFromJsonAsync<JsonElement>($"/recommend/user?userId={user}&n=5");
            Assert.Equal("home-page", list.GetProperty("experiment").GetString());
            string id = list.GetProperty("recommendationId").GetString()!;
            double rate = list.GetProperty("variant").GetString() == "treatment" ? 0.4 : 0.1;
            var random = new Random(user);
            foreach (JsonElement item in list.GetProperty("items").EnumerateArray())
            {
                int movie = item.GetProperty("movieId").GetInt32();
                Assert.True((await client.PostAsJsonAsync("/events", new { userId = user, movieId = movie, type = "impression", recommendationId = id })).IsSuccessStatusCode);
                if (random.NextDouble() < rate)
                {
                    Assert.True((await client.PostAsJsonAsync("/events", new { userId = user, movieId = movie, type = "click", recommendationId = id })).IsSuccessStatusCode);
                }
            }
        }

        JsonElement report = await client.GetFromJsonAsync<JsonElement>("/experiments/home-page");
        JsonElement[] variants = [.. report.GetProperty("variants").EnumerateArray()];
        Assert.Equal("treatment", report.GetProperty("winner").GetString());

        Driver.Manage().Window.Size = BrowserFixture.Desktop;
        browser.ConsoleErrors();
        Driver.Navigate().GoToUrl(baseUrl + "/dashboard");
        IWebElement running = Wait(d => d.FindElement(By.CssSelector("article[data-experiment='home-page']")));
        Assert.Equal("running", running.GetAttribute("data-state"));
        Assert.Contains("running", running.FindElement(By.TagName("h3")).Text, StringComparison.Ordinal);
        foreach (JsonElement v in variants)
        {
            string name = v.GetProperty("name").GetString()!;
            IWebElement row = running.FindElement(By.CssSelector($"tr[data-variant='{name}']"));
            Assert.Contains(v.GetProperty("model").GetString()!, row.Text, StringComparison.Ordinal);
            Assert.Equal(v.GetProperty("users").GetInt64().ToString("N0", CultureInfo.InvariantCulture), row.FindElement(By.CssSelector("[data-field='users']")).Text);
            Assert.Equal(v.GetProperty("impressions").GetInt64().ToString("N0", CultureInfo.InvariantCulture), row.FindElement(By.CssSelector("[data-field='impressions']")).Text);
            Assert.Equal(v.GetProperty("clicks").GetInt64().ToString("N0", CultureInfo.InvariantCulture), row.FindElement(By.CssSelector("[data-field='clicks']")).Text);
            Assert.StartsWith((v.GetProperty("ctr").GetDouble() * 100).ToString("F2", CultureInfo.InvariantCulture) + "% [",
                row.FindElement(By.CssSelector("[data-field='ctr']")).Text, StringComparison.Ordinal);
        }

        Assert.Equal(80, variants.Sum(v => v.GetProperty("users").GetInt64()));
        IWebElement comparison = running.FindElement(By.CssSelector("tr[data-comparison='treatment']"));
        Assert.Matches(@"^\d\.\d{4}$|^\d\.\dE-\d+$|^\d\.\de-\d+$", comparison.FindElement(By.CssSelector("[data-field='p-user']")).Text);
        Assert.Contains("% [", comparison.FindElement(By.CssSelector("[data-field='lift']")).Text, StringComparison.Ordinal);
        Assert.Contains("treatment wins", running.FindElement(By.CssSelector("[data-field='decision']")).Text, StringComparison.Ordinal);
        Assert.Contains("split as configured", running.FindElement(By.CssSelector("[data-field='sample-ratio']")).Text, StringComparison.Ordinal);

        IWebElement finished = Driver.FindElement(By.CssSelector("article[data-experiment='old-ranker']"));
        Assert.Equal("finished", finished.GetAttribute("data-state"));
        Assert.Contains("no decision yet", finished.FindElement(By.CssSelector("[data-field='decision']")).Text, StringComparison.Ordinal);

        Driver.Manage().Window.Size = new System.Drawing.Size(1280, 1400);
        ((IJavaScriptExecutor)Driver).ExecuteScript("document.getElementById('experiments-heading').scrollIntoView();");
        string shot = browser.Screenshot("dashboard-experiments");
        Assert.True(new FileInfo(shot).Length > 10_000);
        Driver.Manage().Window.Size = BrowserFixture.Phone;
        long scrollWidth = Convert.ToInt64(((IJavaScriptExecutor)Driver).ExecuteScript("return document.documentElement.scrollWidth;"), CultureInfo.InvariantCulture);
        long clientWidth = Convert.ToInt64(((IJavaScriptExecutor)Driver).ExecuteScript("return document.documentElement.clientWidth;"), CultureInfo.InvariantCulture);
        Assert.True(scrollWidth <= clientWidth, $"the experiments scroll sideways at phone width: {scrollWidth} > {clientWidth}");
        Driver.Manage().Window.Size = BrowserFixture.Desktop;
        Assert.Empty(browser.ConsoleErrors());
    }

    private T Wait<T>(Func<IWebDriver, T> condition)
    {
        var wait = new WebDriverWait(Driver, TimeSpan.FromSeconds(30));
        wait.IgnoreExceptionTypes(typeof(NoSuchElementException), typeof(StaleElementReferenceException));
        return wait.Until(condition);
    }

    private static async Task WaitUntilReadyAsync(HttpClient client)
    {
        for (int i = 0; i < 600; i++)
        {
            try
            {
                if ((await client.GetAsync(new Uri("/health/ready", UriKind.Relative))).StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"{client.BaseAddress} did not become ready within 30 s.");
    }

    private sealed class ExperimentServer(string models, string data) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Testing");
            builder.UseSetting("MovieRec:ModelsPath", models);
            builder.UseSetting("MovieRec:DataPath", data);
            builder.UseSetting("MovieRec:AllowDownload", "false");
            builder.UseSetting("MovieRec:TrainOnFirstStart", "false");
            builder.UseSetting("Serilog:MinimumLevel:Default", "Warning");
            builder.UseSetting("MovieRec:Experiments:0:Name", "home-page");
            builder.UseSetting("MovieRec:Experiments:0:MinimumUsers", "20");
            builder.UseSetting("MovieRec:Experiments:0:Variants:0:Name", "control");
            builder.UseSetting("MovieRec:Experiments:0:Variants:0:Model", "item-knn");
            builder.UseSetting("MovieRec:Experiments:0:Variants:1:Name", "treatment");
            builder.UseSetting("MovieRec:Experiments:0:Variants:1:Model", "implicit-als");
            builder.UseSetting("MovieRec:Experiments:1:Name", "old-ranker");
            builder.UseSetting("MovieRec:Experiments:1:Type", "interleave");
            builder.UseSetting("MovieRec:Experiments:1:End", "2026-01-01T00:00:00Z");
            builder.UseSetting("MovieRec:Experiments:1:Variants:0:Name", "knn");
            builder.UseSetting("MovieRec:Experiments:1:Variants:0:Model", "item-knn");
            builder.UseSetting("MovieRec:Experiments:1:Variants:1:Name", "als");
            builder.UseSetting("MovieRec:Experiments:1:Variants:1:Model", "implicit-als");
        }
    }
}
