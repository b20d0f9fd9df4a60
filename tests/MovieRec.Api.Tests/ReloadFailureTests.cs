using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using MovieRec.Api.Apis;
using MovieRec.Api.Contracts;

namespace MovieRec.Api.Tests;

/// <summary>Reloads that fail for reasons other than I/O: a clear problem, and the previous bundle keeps serving.</summary>
public sealed class ReloadFailureTests(MovieRecApiFactory factory) : IClassFixture<MovieRecApiFactory>, IAsyncLifetime
{
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _client = factory.CreateClient();
        await factory.WaitUntilReadyAsync();
    }

    public Task DisposeAsync()
    {
        _client.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_manifest_with_null_payloads_is_a_reload_problem_and_the_old_bundle_keeps_serving()
    {
        string serving = await ServingAsync();
        string broken = factory.Publish();
        EditManifest(broken, m => m["payloads"] = null);

        JsonElement problem = await ApiAssert.ProblemAsync(await ReloadAsync(), HttpStatusCode.InternalServerError);

        Assert.Contains("previous bundle keeps serving", problem.GetProperty("title").GetString(), StringComparison.Ordinal);
        Assert.Equal(serving, problem.GetProperty("servingBundleId").GetString());
        Assert.Contains(broken, ApiAssert.Detail(problem), StringComparison.Ordinal);
        Assert.Equal(serving, await ServingAsync());
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync("/recommend/user?userId=1&n=3")).StatusCode);
    }

    [Fact]
    public async Task A_manifest_naming_a_model_whose_file_holds_another_kind_is_refused()
    {
        string serving = await ServingAsync();
        string mislabelled = factory.Publish();
        EditManifest(mislabelled, m =>
        {
            JsonArray models = m["models"]!.AsArray();
            JsonNode svd = models.Single(e => (string?)e!["name"] == "svd")!;
            svd["file"] = (string?)models.Single(e => (string?)e!["name"] == "baseline")!["file"];
        });

        JsonElement problem = await ApiAssert.ProblemAsync(await ReloadAsync(), HttpStatusCode.InternalServerError);

        Assert.Contains("svd", ApiAssert.Detail(problem), StringComparison.Ordinal);
        Assert.Contains("baseline", ApiAssert.Detail(problem), StringComparison.Ordinal);
        Assert.Equal(serving, await ServingAsync());
    }

    private void EditManifest(string bundleId, Action<JsonObject> edit)
    {
        string path = Path.Combine(factory.ModelsPath, bundleId, "manifest.json");
        JsonObject manifest = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(manifest);
        File.WriteAllText(path, manifest.ToJsonString());
    }

    private async Task<string> ServingAsync() =>
        (await ApiAssert.OkAsync<ModelsResponse>(await _client.GetAsync("/models"))).BundleId;

    private Task<HttpResponseMessage> ReloadAsync()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/admin/reload");
        request.Headers.Add(ModelApi.ApiKeyHeader, MovieRecApiFactory.AdminKey);
        return _client.SendAsync(request);
    }
}
