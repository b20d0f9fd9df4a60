using System.Text.Json;
using MovieRec.Api.Extensions;

namespace MovieRec.Api.Tests;

/// <summary>
/// The committed contract (src/MovieRec.Api/openapi/movierec.v1.json) is what the service serves: a change to an
/// endpoint or a contract type fails here until the file is regenerated with <see cref="RegenerateCommand"/> and committed.
/// tests/MovieRec.Client.Tests builds a typed client from that file.
/// </summary>
public sealed class OpenApiContractTests(MovieRecApiFactory factory) : IClassFixture<MovieRecApiFactory>
{
    public const string UpdateVariable = "MOVIEREC_UPDATE_OPENAPI";
    public const string ContractPath = "src/MovieRec.Api/openapi/movierec.v1.json";
    public const string RegenerateCommand =
        $"{UpdateVariable}=1 dotnet test tests/MovieRec.Api.Tests -c Release --filter FullyQualifiedName~OpenApiContractTests";

    [Fact]
    public async Task The_served_document_matches_the_committed_contract()
    {
        using HttpClient client = factory.CreateClient();
        string served = Normalize(await client.GetStringAsync("/swagger/v1/swagger.json"));
        string path = Path.Combine(RepositoryRoot(), ContractPath);

        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, served);
            return;
        }

        Assert.True(File.Exists(path), $"{ContractPath} is missing. Generate it with: {RegenerateCommand}");
        string committed = Normalize(await File.ReadAllTextAsync(path));
        if (committed != served)
        {
            string[] a = committed.Split('\n');
            string[] b = served.Split('\n');
            int line = 0;
            while (line < a.Length && line < b.Length && a[line] == b[line])
            {
                line++;
            }

            Assert.Fail(
                $"The served OpenAPI document differs from {ContractPath} at line {line + 1}:\n" +
                $"  committed: {(line < a.Length ? a[line].Trim() : "<end of file>")}\n" +
                $"  served:    {(line < b.Length ? b[line].Trim() : "<end of document>")}\n" +
                $"If the API change is intended, regenerate the contract and commit it:\n  {RegenerateCommand}");
        }
    }

    [Fact]
    public async Task The_contract_marks_required_fields_ranges_the_key_scheme_and_problem_responses()
    {
        using HttpClient client = factory.CreateClient();
        using JsonDocument doc = JsonDocument.Parse(await client.GetStringAsync("/swagger/v1/swagger.json"));
        JsonElement root = doc.RootElement;
        JsonElement schemas = root.GetProperty("components").GetProperty("schemas");

        Assert.Equal(["movieId", "userId"], Required(schemas, "PredictRequest"));
        Assert.Equal(["movieId", "userId"], Required(schemas, "PredictPair"));
        Assert.Equal(["pairs"], Required(schemas, "PredictBatchRequest"));
        Assert.Equal(["movieId", "rating"], Required(schemas, "VisitorRating"));
        Assert.Contains("score", Required(schemas, "RankedMovie"));
        Assert.Contains("items", Required(schemas, "RecommendationResponse"));
        Assert.False(schemas.GetProperty("RankedMovie").GetProperty("properties").GetProperty("title").TryGetProperty("nullable", out _));
        Assert.True(schemas.GetProperty("RankedMovie").GetProperty("properties").GetProperty("year").GetProperty("nullable").GetBoolean());
        JsonElement n = schemas.GetProperty("VisitorRecommendationRequest").GetProperty("properties").GetProperty("n");
        Assert.Equal((1, 100), (n.GetProperty("minimum").GetInt32(), n.GetProperty("maximum").GetInt32()));
        JsonElement rating = schemas.GetProperty("VisitorRating").GetProperty("properties").GetProperty("rating");
        Assert.Equal((0.5, 5.0), (rating.GetProperty("minimum").GetDouble(), rating.GetProperty("maximum").GetDouble()));

        JsonElement userGet = root.GetProperty("paths").GetProperty("/recommend/user").GetProperty("get");
        JsonElement nQuery = userGet.GetProperty("parameters").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "n");
        Assert.Equal(100, nQuery.GetProperty("schema").GetProperty("maximum").GetInt32());
        Assert.All(userGet.GetProperty("parameters").EnumerateArray(), p => Assert.False(string.IsNullOrEmpty(p.GetProperty("description").GetString())));
        Assert.All(["400", "404", "429", "503"], code => Assert.True(userGet.GetProperty("responses").TryGetProperty(code, out _), code));
        Assert.True(userGet.GetProperty("responses").GetProperty("429").GetProperty("headers").TryGetProperty("Retry-After", out _));

        JsonElement predict = root.GetProperty("paths").GetProperty("/predict").GetProperty("post");
        Assert.All(["400", "404", "413", "415", "429", "503"], code => Assert.True(predict.GetProperty("responses").TryGetProperty(code, out _), code));

        JsonElement reload = root.GetProperty("paths").GetProperty("/admin/reload").GetProperty("post");
        Assert.All(["401", "403", "429"], code => Assert.True(reload.GetProperty("responses").TryGetProperty(code, out _), code));
        Assert.True(reload.GetProperty("security")[0].TryGetProperty(OpenApiConventions.ApiKeyScheme, out _));
        JsonElement scheme = root.GetProperty("components").GetProperty("securitySchemes").GetProperty(OpenApiConventions.ApiKeyScheme);
        Assert.Equal(("apiKey", "header", "X-Api-Key"), (scheme.GetProperty("type").GetString(), scheme.GetProperty("in").GetString(), scheme.GetProperty("name").GetString()));

        Assert.NotEmpty(root.GetProperty("servers").EnumerateArray());
        Assert.All(root.GetProperty("tags").EnumerateArray(), t => Assert.False(string.IsNullOrEmpty(t.GetProperty("description").GetString()), t.GetRawText()));
    }

    private static string[] Required(JsonElement schemas, string name) =>
        [.. schemas.GetProperty(name).GetProperty("required").EnumerateArray().Select(e => e.GetString()!).Order(StringComparer.Ordinal)];

    private static string Normalize(string json) => json.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd() + "\n";

    private static string RepositoryRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "MovieRec.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        return dir ?? throw new DirectoryNotFoundException("MovieRec.sln is not above the test assembly.");
    }
}
