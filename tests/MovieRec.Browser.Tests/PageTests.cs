using System.Collections.ObjectModel;
using OpenQA.Selenium;
using OpenQA.Selenium.Support.UI;

namespace MovieRec.Browser.Tests;

/// <summary>The page, the movie page, a dataset user and the dashboard, in a real headless Chromium.</summary>
[Collection(BrowserCollection.Name)]
public sealed class PageTests(BrowserFixture browser)
{
    private IWebDriver Driver => browser.Driver;

    [SkippableFact]
    public void Search_godfather_and_open_the_movie()
    {
        Start("/");
        IWebElement search = Wait(d => d.FindElement(By.Id("search")));
        search.SendKeys("godfather");
        search.SendKeys(Keys.Enter);

        IWebElement first = Wait(d => d.FindElements(By.CssSelector("#results li a.title")).FirstOrDefault())!;
        Assert.Equal("Godfather, The (1972)", first.Text);
        // The sequels follow (in order of how often they were rated), then nothing else.
        Assert.Equal(["Godfather, The (1972)", "Godfather: Part II, The (1974)", "Godfather: Part III, The (1990)"],
            Driver.FindElements(By.CssSelector("#results li a.title")).Select(a => a.Text).Order(StringComparer.Ordinal));
        first.Click();

        Wait(d => d.FindElement(By.Id("movie-title")).Text == "Godfather, The (1972)");
        string facts = Driver.FindElement(By.CssSelector("dl.facts")).Text;
        Assert.Contains("1972", facts, StringComparison.Ordinal);
        Assert.Contains("Crime", facts, StringComparison.Ordinal);
        Assert.Matches(@"\d\.\d\d from \d+ ratings", Driver.FindElement(By.Id("movie-average")).Text);
        Assert.Equal("https://www.imdb.com/title/tt0068646/", Driver.FindElement(By.LinkText("IMDb")).GetAttribute("href"));
        Assert.Equal("https://www.themoviedb.org/movie/238", Driver.FindElement(By.LinkText("TMDB")).GetAttribute("href"));
        // Similar movies from each model that can answer, side by side.
        Wait(d => d.FindElements(By.CssSelector("#similar section[data-model] li")).Count >= 8);
        string[] columns = [.. Driver.FindElements(By.CssSelector("#similar section[data-model]")).Select(s => s.GetAttribute("data-model")!)];
        Assert.Contains("item-knn", columns);
        Assert.Contains("svd", columns);
        ScreenshotAtBothWidths("movie");
        AssertNoConsoleErrors();
    }

    [SkippableFact]
    public void Rate_five_movies_and_see_recommendations_appear_and_change()
    {
        Start("/");
        Script("localStorage.clear();");
        Start("/");
        Wait(d => d.FindElements(By.CssSelector("#recommendations li")).Count == 10);
        Assert.StartsWith("Popular movies", Driver.FindElement(By.Id("rec-heading")).Text, StringComparison.Ordinal);
        string[] popular = RecommendedIds();

        // A fan of crime dramas.
        string[] before = popular;
        int rated = 0;
        foreach (string query in (string[])["godfather", "goodfellas", "pulp fiction", "usual suspects", "reservoir dogs"])
        {
            string version = Driver.FindElement(By.Id("recommendations")).GetAttribute("data-version") ?? "";
            IWebElement search = Driver.FindElement(By.Id("search"));
            search.Clear();
            search.SendKeys(query);
            search.SendKeys(Keys.Enter);
            // The results of this search, not the last one's.
            Wait(d => d.FindElement(By.Id("search-status")).Text.Contains($"\"{query}\"", StringComparison.Ordinal));
            IWebElement stars = Wait(d => d.FindElements(By.CssSelector("#results li fieldset.stars")).FirstOrDefault())!;
            // Keyboard-usable: the 5-star radio button is a real input with a label.
            stars.FindElement(By.CssSelector("label[for$='-5']")).Click();
            rated++;
            Wait(d => d.FindElement(By.Id("recommendations")).GetAttribute("data-version") != version
                && d.FindElement(By.Id("rec-heading")).Text.Contains($"from {rated} rating", StringComparison.Ordinal));
            string[] now = RecommendedIds();
            Assert.Equal(10, now.Length);
            before = now;
        }

        Assert.Equal("Recommendations for you (from 5 ratings)", Driver.FindElement(By.Id("rec-heading")).Text);
        Assert.Equal(5, Driver.FindElements(By.CssSelector("#my-ratings li[data-movie-id]")).Count);
        Assert.NotEqual(popular, before);
        // None of the rated movies comes back, and the list leans to crime.
        Assert.DoesNotContain("858", before);
        string recommended = Driver.FindElement(By.Id("recommendations")).Text;
        Assert.Contains("Crime", recommended, StringComparison.Ordinal);

        // The model switcher and the pager.
        Driver.FindElement(By.CssSelector("#model option[value='item-knn']")).Click();
        Wait(d => d.FindElement(By.Id("rec-status")).Text.StartsWith("item-knn", StringComparison.Ordinal));
        Driver.FindElement(By.Id("rec-next")).Click();
        Wait(d => d.FindElement(By.Id("rec-page")).Text == "Page 2");
        Assert.NotEmpty(RecommendedIds());
        Driver.FindElement(By.Id("rec-prev")).Click();
        Wait(d => d.FindElement(By.Id("rec-page")).Text == "Page 1");
        Driver.FindElement(By.CssSelector("#model option[value='svd']")).Click();
        Wait(d => d.FindElement(By.Id("rec-status")).Text.StartsWith("svd (fold-in)", StringComparison.Ordinal));
        ScreenshotAtBothWidths("home");
        Driver.Manage().Window.Size = BrowserFixture.Phone;
        Script("document.getElementById('rec-heading').scrollIntoView();");
        browser.Screenshot("recommendations");
        Driver.Manage().Window.Size = BrowserFixture.Desktop;
        AssertNoConsoleErrors();
    }

    [SkippableFact]
    public void A_profile_keeps_ratings_in_the_service_and_not_interested_hides_a_movie()
    {
        Start("/");
        Script("localStorage.clear();");
        Start("/");
        Wait(d => d.FindElement(By.Id("profile-toggle")).Text == "Keep a profile");
        Driver.FindElement(By.Id("profile-toggle")).Click();
        string profile = Wait(d => d.FindElement(By.Id("profile-status")).Text.StartsWith("Profile: user ", StringComparison.Ordinal)
            ? d.FindElement(By.Id("profile-status")).Text : null)!;
        int userId = int.Parse(profile["Profile: user ".Length..profile.IndexOf(',', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture);
        int rated = 0;
        foreach (string query in (string[])["toy story", "finding nemo", "incredibles"])
        {
            IWebElement search = Driver.FindElement(By.Id("search"));
            search.Clear();
            search.SendKeys(query);
            search.SendKeys(Keys.Enter);
            Wait(d => d.FindElement(By.Id("search-status")).Text.Contains($"\"{query}\"", StringComparison.Ordinal));
            Wait(d => d.FindElements(By.CssSelector("#results li fieldset.stars")).FirstOrDefault())!.FindElement(By.CssSelector("label[for$='-5']")).Click();
            rated++;
            Wait(d => d.FindElements(By.CssSelector("#my-ratings li[data-movie-id]")).Count == rated);
        }

        // The ratings are the service's now: they come back after a reload, and the API has them.
        Driver.Navigate().Refresh();
        Wait(d => d.FindElements(By.CssSelector("#my-ratings li[data-movie-id]")).Count == 3);
        using (var client = new HttpClient())
        {
            string stored = client.GetStringAsync(new Uri($"{browser.BaseUrl}/users/{userId}/ratings")).GetAwaiter().GetResult();
            Assert.Contains("\"count\":3", stored, StringComparison.Ordinal);
        }

        Wait(d => d.FindElement(By.Id("rec-status")).Text.Contains("bundle", StringComparison.Ordinal));
        Assert.Equal("Recommendations for you (from 3 ratings)", Driver.FindElement(By.Id("rec-heading")).Text);
        string first = RecommendedIds()[0];
        string version = Driver.FindElement(By.Id("recommendations")).GetAttribute("data-version") ?? "";
        Driver.FindElement(By.CssSelector($"#recommendations li[data-movie-id='{first}'] button.hide")).Click();
        Wait(d => d.FindElement(By.Id("recommendations")).GetAttribute("data-version") != version);
        Assert.DoesNotContain(first, RecommendedIds());
        Assert.Equal(10, RecommendedIds().Length);
        Driver.Navigate().Refresh();
        Wait(d => d.FindElements(By.CssSelector("#recommendations li")).Count == 10);
        Assert.DoesNotContain(first, RecommendedIds());
        AssertNoConsoleErrors();
        Script("localStorage.clear();");
    }

    [SkippableFact]
    public void Browse_as_a_dataset_user_shows_history_and_each_model_side_by_side()
    {
        Start("/#/user");
        IWebElement id = Wait(d => d.FindElement(By.Id("user-id")));
        id.SendKeys("1");
        id.SendKeys(Keys.Enter);

        Wait(d => d.FindElements(By.CssSelector("#history li")).Count > 0);
        Wait(d => d.FindElements(By.CssSelector("#user-recommendations section[data-model]")).Count == 4
            && d.FindElements(By.CssSelector("#user-recommendations section[data-model] li")).Count >= 4);
        Assert.StartsWith("History:", Driver.FindElement(By.Id("history-heading")).Text, StringComparison.Ordinal);
        AssertNoConsoleErrors();
    }

    [SkippableFact]
    public void Dashboard_shows_the_bundle_models_and_every_chart_loads()
    {
        Start("/dashboard");
        Wait(d => d.FindElements(By.CssSelector("#models tbody tr")).Count == 4);
        ReadOnlyCollection<IWebElement> images = Wait(d =>
        {
            ReadOnlyCollection<IWebElement> all = d.FindElements(By.CssSelector("img[data-chart]"));
            return all.Count == 5 && all.All(i => Script("return arguments[0].complete;", i) is true) ? all : null;
        })!;
        foreach (IWebElement image in images)
        {
            long width = Convert.ToInt64(Script("return arguments[0].naturalWidth;", image), System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(width > 0, $"chart {image.GetAttribute("data-chart")} did not load");
        }

        Assert.Matches(@"^\d{8}-\d{6}-", Driver.FindElement(By.CssSelector("dd[data-fact='bundle']")).Text);
        Assert.Contains("ago", Driver.FindElement(By.CssSelector("dd[data-fact='trained']")).Text, StringComparison.Ordinal);
        Assert.Matches(@"0\.\d{4}", Driver.FindElement(By.CssSelector("#models tbody tr[data-model='svd']")).Text);
        ScreenshotAtBothWidths("dashboard");
        AssertNoConsoleErrors();
    }

    [SkippableFact]
    public void A_movie_that_does_not_exist_is_a_message_not_an_error()
    {
        Start("/#/movie/999999");

        Wait(d => d.FindElement(By.TagName("h1")).Text == "Movie not found");
        Assert.Contains("999999", Driver.FindElement(By.CssSelector("[role='alert']")).Text, StringComparison.Ordinal);
        // The failed fetch is a 404 the page handled; Chromium still logs the failed load, which is the only entry allowed.
        Assert.All(browser.ConsoleErrors(), e => Assert.Contains("404", e, StringComparison.Ordinal));
    }

    private void Start(string path)
    {
        Skip.If(browser.MissingReason is not null, browser.MissingReason);
        Driver.Manage().Window.Size = BrowserFixture.Desktop;
        browser.ConsoleErrors();
        Driver.Navigate().GoToUrl(browser.BaseUrl + path);
    }

    private T Wait<T>(Func<IWebDriver, T> condition)
    {
        var wait = new WebDriverWait(Driver, TimeSpan.FromSeconds(30));
        wait.IgnoreExceptionTypes(typeof(NoSuchElementException), typeof(StaleElementReferenceException));
        return wait.Until(condition);
    }

    private string[] RecommendedIds() =>
        [.. Driver.FindElements(By.CssSelector("#recommendations li[data-movie-id]")).Select(li => li.GetAttribute("data-movie-id")!)];

    private void ScreenshotAtBothWidths(string name)
    {
        // The top of the page, with no hover or focus left over from the test.
        Script("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0);");
        new OpenQA.Selenium.Interactions.Actions(Driver).MoveToLocation(1, 1).Perform();
        Driver.Manage().Window.Size = BrowserFixture.Desktop;
        browser.Screenshot(name);
        Driver.Manage().Window.Size = BrowserFixture.Phone;
        // Nothing may be wider than the phone's screen.
        long scrollWidth = Convert.ToInt64(Script("return document.documentElement.scrollWidth;"), System.Globalization.CultureInfo.InvariantCulture);
        long clientWidth = Convert.ToInt64(Script("return document.documentElement.clientWidth;"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(scrollWidth <= clientWidth, $"{name} scrolls sideways at phone width: {scrollWidth} > {clientWidth}");
        Script("window.scrollTo(0, 0);");
        browser.Screenshot(name);
        Driver.Manage().Window.Size = BrowserFixture.Desktop;
    }

    private object? Script(string script, params object[] args) => ((IJavaScriptExecutor)Driver).ExecuteScript(script, args);

    private void AssertNoConsoleErrors() => Assert.Empty(browser.ConsoleErrors());
}
