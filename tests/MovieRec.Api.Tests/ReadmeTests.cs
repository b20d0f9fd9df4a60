using System.Globalization;
using MovieRec.Api.Hosting;
using MovieRec.Core.Training;

namespace MovieRec.Api.Tests;

/// <summary>The README's configuration table states the defaults the code has.</summary>
public sealed class ReadmeTests
{
    private static readonly string[] Readme = File.ReadAllLines(Path.Combine(FindRoot(), "README.md"));

    [Fact]
    public void The_configuration_table_states_the_codes_defaults()
    {
        var options = new MovieRecOptions();
        var limits = new RateLimitOptions();

        Assert.Equal(BundleTrainingOptions.DefaultModelList, DefaultOf("MovieRec:FirstStartModels"));
        Assert.Equal(options.FirstStartRetrySeconds.ToString(CultureInfo.InvariantCulture), DefaultOf("MovieRec:FirstStartRetrySeconds"));
        Assert.Equal(options.MaxRequestBodyBytes.ToString(CultureInfo.InvariantCulture), DefaultOf("MovieRec:MaxRequestBodyBytes"));
        Assert.Equal(options.RecommendationCacheSize.ToString(CultureInfo.InvariantCulture), DefaultOf("MovieRec:RecommendationCacheSize"));
        Assert.Equal(options.ScoringConcurrency.ToString(CultureInfo.InvariantCulture), DefaultOf("MovieRec:ScoringConcurrency"));
        Assert.Equal(limits.PermitsPerSecond.ToString(CultureInfo.InvariantCulture), DefaultOf("MovieRec:RateLimit:PermitsPerSecond"));
        Assert.Equal(limits.AdminPermitsPerMinute.ToString(CultureInfo.InvariantCulture), DefaultOf("MovieRec:RateLimit:AdminPermitsPerMinute"));
        Assert.Equal(options.Metrics.Enabled ? "true" : "false", DefaultOf("MovieRec:Metrics:Enabled"));
        Assert.Equal(options.Metrics.RequireAdminKey ? "true" : "false", DefaultOf("MovieRec:Metrics:RequireAdminKey"));
        Assert.Null(options.Tracing.OtlpEndpoint);
        Assert.StartsWith("none (tracing off)", DefaultOf("MovieRec:Tracing:OtlpEndpoint"), StringComparison.Ordinal);
        Assert.Equal(options.Tracing.Protocol, DefaultOf("MovieRec:Tracing:Protocol"));
        Assert.Equal(options.Tracing.SampleRatio.ToString(CultureInfo.InvariantCulture), DefaultOf("MovieRec:Tracing:SampleRatio"));
        Assert.Equal(options.Tracing.ServiceName, DefaultOf("MovieRec:Tracing:ServiceName"));
    }

    /// <summary>The second cell of the table row whose first cell is the key, without backticks.</summary>
    private static string DefaultOf(string key)
    {
        string row = Readme.Single(l => l.StartsWith($"| `{key}` |", StringComparison.Ordinal));
        return row.Split('|')[2].Trim().Trim('`');
    }

    private static string FindRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "MovieRec.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        return dir ?? throw new DirectoryNotFoundException("MovieRec.sln is not above the test assembly.");
    }
}
