using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using MovieRec.Api.Hosting;
using MovieRec.Core.Experiments;

namespace MovieRec.Api.Tests;

/// <summary>/admin/experiments (admin key, persisted), enrolment in /recommend/user and POST /recommend, interleaving and Thompson allocation.</summary>
public sealed class ExperimentApiTests(MovieRecApiFactory factory) : IClassFixture<MovieRecApiFactory>
{
    private HttpClient Admin()
    {
        HttpClient client = factory.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", MovieRecApiFactory.AdminKey);
        return client;
    }

    private static object Ab(string name, string allocation = "fixed") => new
    {
        name,
        type = "ab",
        salt = name,
        allocation,
        variants = new object[] { new { name = "control", model = "popular" }, new { name = "treatment", model = "svd" } },
    };

    [Fact]
    public async Task Admin_endpoints_need_the_key_validate_and_persist()
    {
        await factory.WaitUntilReadyAsync();
        HttpClient anonymous = factory.CreateClient();
        HttpClient admin = Admin();

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync("/admin/experiments", Ab("crud"))).StatusCode);
        JsonElement bad = await ApiAssert.ProblemAsync(await admin.PostAsJsonAsync("/admin/experiments", new
        {
            name = "crud",
            type = "ab",
            variants = new object[] { new { name = "a", model = "popular" }, new { name = "a", model = "nope", weight = -1 } },
        }), HttpStatusCode.BadRequest);
        Assert.Contains("variants[1].model", ApiAssert.ErrorFields(bad));
        Assert.Contains("variants[1].name", ApiAssert.ErrorFields(bad));
        Assert.Contains("variants[1].weight", ApiAssert.ErrorFields(bad));

        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/admin/experiments", Ab("crud"))).StatusCode);
        await ApiAssert.ProblemAsync(await admin.PostAsJsonAsync("/admin/experiments", Ab("crud")), HttpStatusCode.Conflict);
        JsonElement list = await ApiAssert.OkAsync<JsonElement>(await anonymous.GetAsync("/experiments"));
        JsonElement stored = list.GetProperty("experiments").EnumerateArray().Single(e => e.GetProperty("name").GetString() == "crud");
        Assert.Equal("store", stored.GetProperty("source").GetString());
        Assert.True(stored.GetProperty("active").GetBoolean());

        // Ended: still listed and reported, no longer enrolling.
        var ended = new { name = "crud", type = "ab", end = "2020-01-01T00:00:00Z", variants = new object[] { new { name = "control", model = "popular" }, new { name = "treatment", model = "svd" } } };
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync("/admin/experiments/crud", ended)).StatusCode);
        JsonElement report = await ApiAssert.OkAsync<JsonElement>(await anonymous.GetAsync("/experiments/crud"));
        Assert.False(report.GetProperty("active").GetBoolean());
        JsonElement notEnrolled = await ApiAssert.OkAsync<JsonElement>(await anonymous.GetAsync("/recommend/user?userId=1&n=5"));
        Assert.Equal(JsonValueKind.Null, notEnrolled.GetProperty("experiment").ValueKind);

        await ApiAssert.ProblemAsync(await admin.PutAsJsonAsync("/admin/experiments/other", Ab("crud")), HttpStatusCode.BadRequest);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync("/admin/experiments/crud")).StatusCode);
        await ApiAssert.ProblemAsync(await admin.DeleteAsync("/admin/experiments/crud"), HttpStatusCode.NotFound);
        await ApiAssert.ProblemAsync(await anonymous.GetAsync("/experiments/crud"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Enrolled_users_and_sessions_get_their_variant_sticky_and_an_explicit_model_opts_out()
    {
        await factory.WaitUntilReadyAsync();
        HttpClient admin = Admin();
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/admin/experiments", Ab("sticky"))).StatusCode);
        try
        {
            var seen = new HashSet<string>();
            for (int user = 1; user <= 20; user++)
            {
                JsonElement first = await ApiAssert.OkAsync<JsonElement>(await admin.GetAsync($"/recommend/user?userId={user}&n=5"));
                JsonElement second = await ApiAssert.OkAsync<JsonElement>(await admin.GetAsync($"/recommend/user?userId={user}&n=5"));
                string variant = first.GetProperty("variant").GetString()!;
                seen.Add(variant);
                Assert.Equal("sticky", first.GetProperty("experiment").GetString());
                Assert.Equal(variant, second.GetProperty("variant").GetString());
                Assert.NotEqual(first.GetProperty("recommendationId").GetString(), second.GetProperty("recommendationId").GetString());
                Assert.Equal(variant == "treatment" ? "svd" : "popular", first.GetProperty("model").GetString());
            }

            Assert.Equal(2, seen.Count);
            JsonElement chosen = await ApiAssert.OkAsync<JsonElement>(await admin.GetAsync("/recommend/user?userId=1&n=5&model=svd"));
            Assert.Equal(JsonValueKind.Null, chosen.GetProperty("experiment").ValueKind);

            JsonElement visitor = await ApiAssert.OkAsync<JsonElement>(await admin.PostAsJsonAsync("/recommend", new { sessionId = "browser-42", n = 5 }));
            Assert.Equal("sticky", visitor.GetProperty("experiment").GetString());
            JsonElement anonymous = await ApiAssert.OkAsync<JsonElement>(await admin.PostAsJsonAsync("/recommend", new { n = 5 }));
            Assert.Equal(JsonValueKind.Null, anonymous.GetProperty("experiment").ValueKind);
            JsonElement unknown = await ApiAssert.ProblemAsync(await admin.GetAsync("/recommend/user?userId=1&experiment=nope"), HttpStatusCode.BadRequest);
            Assert.Contains("experiment", ApiAssert.ErrorFields(unknown));
        }
        finally
        {
            await admin.DeleteAsync("/admin/experiments/sticky");
        }
    }

    [Fact]
    public async Task A_variant_with_options_serves_its_model_trained_with_them_and_a_bad_option_is_a_400_naming_it()
    {
        await factory.WaitUntilReadyAsync();
        HttpClient admin = Admin();
        object Tuned(object options) => new
        {
            name = "tuned",
            type = "ab",
            salt = "tuned",
            variants = new object[] { new { name = "control", model = "svd" }, new { name = "small", model = "svd", options } },
        };

        JsonElement unknown = await ApiAssert.ProblemAsync(await admin.PostAsJsonAsync("/admin/experiments", Tuned(new { nope = 3 })), HttpStatusCode.BadRequest);
        Assert.Contains("variants[1].options.nope", ApiAssert.ErrorFields(unknown));
        Assert.Contains("factors", unknown.GetProperty("detail").GetString(), StringComparison.Ordinal);
        JsonElement range = await ApiAssert.ProblemAsync(await admin.PostAsJsonAsync("/admin/experiments", Tuned(new { factors = -3, epochs = 5 })), HttpStatusCode.BadRequest);
        Assert.Equal(["variants[1].options.factors"], ApiAssert.ErrorFields(range));
        JsonElement shape = await ApiAssert.ProblemAsync(await admin.PostAsJsonAsync("/admin/experiments", Tuned(new { factors = new[] { 1 } })), HttpStatusCode.BadRequest);
        Assert.DoesNotContain("   at ", shape.ToString(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/admin/experiments", Tuned(new { factors = 2, epochs = 5, seed = 7 }))).StatusCode);
        try
        {
            // Trained in the background on the served bundle's ratings; the report says where it stands.
            JsonElement status = default;
            for (int i = 0; i < 1200; i++)
            {
                JsonElement report = await ApiAssert.OkAsync<JsonElement>(await admin.GetAsync("/experiments/tuned"));
                status = Assert.Single(report.GetProperty("variantModels").EnumerateArray());
                if (status.GetProperty("state").GetString() != "training")
                {
                    break;
                }

                await Task.Delay(50);
            }

            Assert.Equal("ready", status.GetProperty("state").GetString());
            Assert.Equal("small", status.GetProperty("variant").GetString());
            Assert.Equal("2", status.GetProperty("options").GetProperty("factors").GetString());
            JsonElement listed = (await ApiAssert.OkAsync<JsonElement>(await admin.GetAsync("/experiments"))).GetProperty("experiments")
                .EnumerateArray().Single(e => e.GetProperty("name").GetString() == "tuned");
            Assert.Equal("5", listed.GetProperty("variants")[1].GetProperty("options").GetProperty("epochs").GetString());

            int small = 0, control = 0;
            for (int user = 1; user <= 30; user++)
            {
                JsonElement list = await ApiAssert.OkAsync<JsonElement>(await admin.GetAsync($"/recommend/user?userId={user}&n=5"));
                Assert.Equal("tuned", list.GetProperty("experiment").GetString());
                Assert.Equal("svd", list.GetProperty("model").GetString());
                // The bundle's svd (a client naming a model opts out of the experiment).
                JsonElement bundleSvd = await ApiAssert.OkAsync<JsonElement>(await admin.GetAsync($"/recommend/user?userId={user}&n=5&model=svd"));
                double[] scores = [.. list.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("score").GetDouble())];
                double[] bundleScores = [.. bundleSvd.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("score").GetDouble())];
                if (list.GetProperty("variant").GetString() == "small")
                {
                    small++;
                    Assert.NotEqual(bundleScores, scores);
                }
                else
                {
                    control++;
                    Assert.Equal(bundleScores, scores);
                }
            }

            Assert.True(small >= 5 && control >= 5, $"{small} small, {control} control");
        }
        finally
        {
            await admin.DeleteAsync("/admin/experiments/tuned");
        }
    }

    [Fact]
    public void Variant_options_and_the_minimum_sample_bind_from_configuration_keys()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["MovieRec:Experiments:0:Name"] = "tuned",
            ["MovieRec:Experiments:0:MinimumUsers"] = "250",
            ["MovieRec:Experiments:0:Variants:0:Name"] = "control",
            ["MovieRec:Experiments:0:Variants:0:Model"] = "svd",
            ["MovieRec:Experiments:0:Variants:1:Name"] = "small",
            ["MovieRec:Experiments:0:Variants:1:Model"] = "svd",
            ["MovieRec:Experiments:0:Variants:1:Options:factors"] = "20",
            ["MovieRec:Experiments:0:Variants:1:Options:epochs"] = "30",
        }).Build();

        ExperimentDefinition definition = Assert.Single(configuration.GetSection(MovieRecOptions.Section).Get<MovieRecOptions>()!.Experiments);

        Assert.Equal(250, definition.MinimumUsers);
        Assert.Equal("20", definition.Variants[1].Options!["factors"]);
        Assert.Equal("30", definition.Variants[1].Options!["epochs"]);
        Assert.Null(definition.Variants[0].Options);
        Assert.Empty(definition.Validate(m => m == "svd"));
    }

    [Fact]
    public async Task Interleaving_records_each_positions_variant_and_credits_clicks_to_it()
    {
        await factory.WaitUntilReadyAsync();
        HttpClient admin = Admin();
        var definition = new
        {
            name = "mix",
            type = "interleave",
            minimumUsers = 30,
            variants = new object[] { new { name = "pop", model = "popular" }, new { name = "als", model = "implicit-als" } },
        };
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/admin/experiments", definition)).StatusCode);
        try
        {
            for (int user = 1; user <= 30; user++)
            {
                JsonElement list = await ApiAssert.OkAsync<JsonElement>(await admin.GetAsync($"/recommend/user?userId={user}&n=6"));
                Assert.Equal("interleave", list.GetProperty("variant").GetString());
                string id = list.GetProperty("recommendationId").GetString()!;
                JsonElement[] items = [.. list.GetProperty("items").EnumerateArray()];
                Assert.Equal(6, items.Length);
                Assert.All(items, i => Assert.Contains(i.GetProperty("variant").GetString(), new[] { "pop", "als" }));
                // This simulated audience clicks only what the "als" team contributed.
                foreach (JsonElement item in items)
                {
                    int movie = item.GetProperty("movieId").GetInt32();
                    await ApiAssert.OkAsync<JsonElement>(await admin.PostAsJsonAsync("/events", new { userId = user, movieId = movie, type = "impression", recommendationId = id }));
                    if (item.GetProperty("variant").GetString() == "als")
                    {
                        await ApiAssert.OkAsync<JsonElement>(await admin.PostAsJsonAsync("/events", new { userId = user, movieId = movie, type = "click", recommendationId = id }));
                    }
                }
            }

            JsonElement report = await ApiAssert.OkAsync<JsonElement>(await admin.GetAsync("/experiments/mix"));
            JsonElement preference = report.GetProperty("preference");
            Assert.Equal(30, preference.GetProperty("winsB").GetInt64());
            Assert.Equal(1.0, preference.GetProperty("shareB").GetDouble(), 9);
            Assert.True(preference.GetProperty("pValue").GetDouble() < 1e-6);
            Assert.Equal("als", report.GetProperty("winner").GetString());
        }
        finally
        {
            await admin.DeleteAsync("/admin/experiments/mix");
        }
    }

    [Fact]
    public async Task Thompson_allocation_moves_traffic_to_the_variant_that_converts()
    {
        await factory.WaitUntilReadyAsync();
        HttpClient admin = Admin();
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/admin/experiments", Ab("bandit", "thompson"))).StatusCode);
        try
        {
            // Treatment users rate the first movie of their list 5 (a conversion); control users convert never.
            for (int user = 1; user <= Fixtures.Users; user++)
            {
                JsonElement list = await ApiAssert.OkAsync<JsonElement>(await admin.GetAsync($"/recommend/user?userId={user}&n=5"));
                string id = list.GetProperty("recommendationId").GetString()!;
                JsonElement[] items = [.. list.GetProperty("items").EnumerateArray()];
                foreach (JsonElement item in items)
                {
                    await ApiAssert.OkAsync<JsonElement>(await admin.PostAsJsonAsync("/events",
                        new { userId = user, movieId = item.GetProperty("movieId").GetInt32(), type = "impression", recommendationId = id }));
                }

                if (list.GetProperty("variant").GetString() == "treatment")
                {
                    await ApiAssert.OkAsync<JsonElement>(await admin.PostAsJsonAsync($"/users/{user}/ratings", new { movieId = items[0].GetProperty("movieId").GetInt32(), rating = 5.0 }));
                }

                // Sticky under adaptive allocation too.
                JsonElement again = await ApiAssert.OkAsync<JsonElement>(await admin.GetAsync($"/recommend/user?userId={user}&n=5"));
                Assert.Equal(list.GetProperty("variant").GetString(), again.GetProperty("variant").GetString());
            }

            JsonElement report = await ApiAssert.OkAsync<JsonElement>(await admin.GetAsync("/experiments/bandit"));
            double[] allocation = [.. report.GetProperty("thompsonAllocation").EnumerateArray().Select(a => a.GetDouble())];
            Assert.Equal(1.0, allocation.Sum(), 9);
            Assert.True(allocation[1] > 0.95, report.ToString());
            Assert.Equal(JsonValueKind.Null, report.GetProperty("sampleRatio").ValueKind);

            // New units, once the bandit has re-read the outcomes, go mostly to the treatment.
            await Task.Delay(ExperimentServiceRefresh);
            int toTreatment = 0;
            for (int user = 1001; user <= 1020; user++)
            {
                JsonElement list = await ApiAssert.OkAsync<JsonElement>(await admin.GetAsync($"/recommend/user?userId={user}&n=5&allowFallback=true"));
                toTreatment += list.GetProperty("variant").GetString() == "treatment" ? 1 : 0;
            }

            Assert.True(toTreatment >= 16, $"{toTreatment} of 20 new users went to the treatment; {report}");
        }
        finally
        {
            await admin.DeleteAsync("/admin/experiments/bandit");
        }
    }

    private static TimeSpan ExperimentServiceRefresh => Hosting.ExperimentService.ThompsonRefresh + TimeSpan.FromMilliseconds(200);
}
