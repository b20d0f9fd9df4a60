using System.Text.Json;
using MovieRec.Cli;

namespace MovieRec.Core.Tests.Cli;

public sealed class AbTestCliTests : CliConsoleTests
{
    [Fact]
    public void Simulate_prints_and_writes_the_seeds_fields()
    {
        string folder = Fixtures.WriteCsvDataset(Dir, Fixtures.SyntheticRatings(60, 60));
        string json = Path.Combine(Dir.Path, "r.json");
        string png = Path.Combine(Dir.Path, "r.png");

        int code = CliApp.Run(["abtest", "simulate", folder, "--a", "popular", "--b", "baseline", "--users", "60", "--k", "5", "--json", json, "--plot", png], Terminal);

        Assert.Equal(0, code);
        string text = Output.ToString();
        Assert.Contains("CTR A", text, StringComparison.Ordinal);
        Assert.Contains("CTR B", text, StringComparison.Ordinal);
        Assert.Contains("lift", text, StringComparison.Ordinal);
        Assert.Contains("p-value", text, StringComparison.Ordinal);
        Assert.Contains("winner:", text, StringComparison.Ordinal);
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(json));
        JsonElement result = doc.RootElement.GetProperty("result");
        foreach (string field in new[] { "ctrA", "ctrB", "lift", "pValue", "winner", "decision", "sequentialPValue", "ctrALow", "ctrBHigh" })
        {
            Assert.True(result.TryGetProperty(field, out _), $"missing {field}");
        }

        Assert.Equal(60, result.GetProperty("usersA").GetInt64() + result.GetProperty("usersB").GetInt64());
        byte[] image = File.ReadAllBytes(png);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, image[..4]);
    }

    [Fact]
    public void Simulate_adjusts_with_cuped_unless_told_not_to()
    {
        string folder = Fixtures.WriteCsvDataset(Dir, Fixtures.SyntheticRatings(60, 60));
        string[] args = ["abtest", "simulate", folder, "--a", "popular", "--b", "baseline", "--users", "60", "--k", "5"];

        Assert.Equal(0, CliApp.Run(args, Terminal));
        Assert.Contains("CUPED-adjusted", Output.ToString(), StringComparison.Ordinal);
        Output.GetStringBuilder().Clear();
        Assert.Equal(0, CliApp.Run([.. args, "--no-cuped"], Terminal));
        Assert.DoesNotContain("CUPED", Output.ToString(), StringComparison.Ordinal);
        Assert.Contains("Welch t-test, the user as the unit;", Output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Simulate_plot_with_an_unknown_extension_is_a_clear_error()
    {
        string folder = Fixtures.WriteCsvDataset(Dir, Fixtures.SyntheticRatings(30, 30));

        int code = CliApp.Run(["abtest", "simulate", folder, "--a", "popular", "--b", "baseline", "--users", "30", "--plot", Path.Combine(Dir.Path, "r.jpg")], Terminal);

        Assert.Equal(1, code);
        Assert.Contains("saved as .png or .svg", Output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Simulate_interleave_prints_the_preference_share()
    {
        string folder = Fixtures.WriteCsvDataset(Dir, Fixtures.SyntheticRatings(60, 60));

        int code = CliApp.Run(["abtest", "simulate", folder, "--a", "popular", "--b", "baseline", "--users", "60", "--k", "5", "--mode", "interleave"], Terminal);

        Assert.Equal(0, code);
        Assert.Contains("preference for B", Output.ToString(), StringComparison.Ordinal);
        Assert.Contains("exact binomial test", Output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Simulate_repeat_reports_both_modes()
    {
        string folder = Fixtures.WriteCsvDataset(Dir, Fixtures.SyntheticRatings(60, 60));
        string json = Path.Combine(Dir.Path, "aa.json");

        int code = CliApp.Run(["abtest", "simulate", folder, "--a", "popular", "--b", "popular", "--users", "60", "--repeat", "20", "--json", json], Terminal);

        Assert.Equal(0, code);
        Assert.Contains("false-positive rate", Output.ToString(), StringComparison.Ordinal);
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal(20, doc.RootElement.GetProperty("ab").GetProperty("runs").GetInt32());
        Assert.InRange(doc.RootElement.GetProperty("interleave").GetProperty("sequentialRejectionRate").GetDouble(), 0, 1);
    }

    [Theory]
    [InlineData("--mode", "abc", "Unknown --mode 'abc'")]
    [InlineData("--k", "0", "--k must be at least 1")]
    [InlineData("--users", "1", "--users must be at least 2")]
    [InlineData("--a", "nope", "Unknown model 'nope'")]
    public void Simulate_rejects_bad_options_with_a_clear_message(string option, string value, string message)
    {
        string folder = Fixtures.WriteCsvDataset(Dir, Fixtures.SyntheticRatings(20, 30));
        var args = new List<string> { "abtest", "simulate", folder, "--a", "popular", "--b", "baseline" };
        int at = args.IndexOf(option);
        if (at >= 0)
        {
            args[at + 1] = value;
        }
        else
        {
            args.AddRange([option, value]);
        }

        Assert.Equal(1, CliApp.Run([.. args], Terminal));
        Assert.Contains(message, Output.ToString(), StringComparison.Ordinal);
    }
}
