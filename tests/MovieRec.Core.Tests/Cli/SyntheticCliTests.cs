using MovieRec.Cli;
using MovieRec.Core.Data;
using Spectre.Console;

namespace MovieRec.Core.Tests.Cli;

public sealed class SyntheticCliTests : IDisposable
{
    private readonly TempFolder _dir = new();
    private readonly StringWriter _out = new();
    private readonly IAnsiConsole _console;

    public SyntheticCliTests()
    {
        _console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(_out),
            Ansi = AnsiSupport.No,
            Interactive = InteractionSupport.No,
        });
        _console.Profile.Width = 200;
    }

    public void Dispose()
    {
        _dir.Dispose();
        _out.Dispose();
    }

    [Fact]
    public void Data_synth_writes_a_folder_every_command_reads_and_refuses_to_overwrite_it()
    {
        string source = Fixtures.WriteCsvDataset(_dir, Fixtures.SyntheticRatings(30, 40));
        string output = Path.Combine(_dir.Path, "synthetic");

        int code = CliApp.Run(["data", "synth", source, "--out", output, "--ratings", "900", "--users", "50", "--seed", "7"], _console);

        Assert.Equal(0, code);
        Assert.Equal(900, MovieLensLoader.Load(output).Ratings.Length);
        Assert.Equal(0, CliApp.Run(["data", "info", output, "--json"], _console));
        Assert.Equal(0, CliApp.Run(["evaluate", output, "--model", "baseline", "--folds", "2", "--no-ranking"], _console));

        _out.GetStringBuilder().Clear();
        Assert.Equal(1, CliApp.Run(["data", "synth", source, "--out", output], _console));
        Assert.Contains("already holds a dataset", _out.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, CliApp.Run(["data", "synth", source, "--out", output, "--force", "--ratings", "100", "--users", "20"], _console));
        Assert.Equal(100, MovieLensLoader.Load(output).Ratings.Length);
    }

    [Fact]
    public void Data_synth_names_an_impossible_size()
    {
        string source = Fixtures.WriteCsvDataset(_dir, Fixtures.SyntheticRatings(30, 40));

        int code = CliApp.Run(["data", "synth", source, "--out", Path.Combine(_dir.Path, "o"), "--ratings", "100000", "--users", "10", "--movies", "40"], _console);

        Assert.Equal(1, code);
        Assert.Contains("do not fit", _out.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Data_compare_json_has_fidelity_utility_and_privacy()
    {
        string source = Fixtures.WriteCsvDataset(_dir, Fixtures.SyntheticRatings(40, 50));
        string output = Path.Combine(_dir.Path, "synthetic");
        Assert.Equal(0, CliApp.Run(["data", "synth", source, "--out", output], _console));
        _out.GetStringBuilder().Clear();

        int code = CliApp.Run(["data", "compare", source, output, "--json", "--model", "baseline"], _console);

        Assert.Equal(0, code);
        using var json = System.Text.Json.JsonDocument.Parse(_out.ToString());
        Assert.True(json.RootElement.GetProperty("fidelity").GetArrayLength() >= 7);
        Assert.True(json.RootElement.GetProperty("utility").GetProperty("syntheticRmse").GetDouble() > 0);
        Assert.Equal(0, json.RootElement.GetProperty("privacy").GetProperty("exactProfileCopies").GetInt32());
    }

    [Fact]
    public void Experiment_synthetic_prints_the_six_rows_and_writes_rmse_and_mae()
    {
        string source = Fixtures.WriteCsvDataset(_dir, Fixtures.SyntheticRatings(100, 90));
        string jsonPath = Path.Combine(_dir.Path, "r.json");

        string plotPath = Path.Combine(_dir.Path, "r.png");

        int code = CliApp.Run(["experiment", "synthetic", source, "--model", "baseline", "--variants", "full", "--json", jsonPath, "--plot", plotPath], _console);

        Assert.Equal(0, code);
        byte[] png = File.ReadAllBytes(plotPath);
        Assert.True(png.Length > 1000 && png[1] == (byte)'P' && png[2] == (byte)'N' && png[3] == (byte)'G');
        Assert.Contains("augmentation", _out.ToString(), StringComparison.Ordinal);
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(jsonPath));
        System.Text.Json.JsonElement[] rows = [.. json.RootElement.GetProperty("experiments").EnumerateArray()];
        Assert.Equal(6, rows.Length);
        Assert.All(rows, r => Assert.True(r.GetProperty("rmse").GetDouble() > 0 && r.GetProperty("mae").GetDouble() > 0));
    }

    [Fact]
    public void Experiment_synthetic_names_an_unknown_model()
    {
        string source = Fixtures.WriteCsvDataset(_dir, Fixtures.SyntheticRatings(30, 40));

        Assert.Equal(1, CliApp.Run(["experiment", "synthetic", source, "--model", "nope"], _console));
        Assert.Contains("Unknown model 'nope'", _out.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Data_export_writes_parquet_and_import_spark_als_publishes_a_bundle()
    {
        Rating[] ratings = Fixtures.SyntheticRatings(12, 20);
        string source = Fixtures.WriteCsvDataset(_dir, ratings, movies: 20);
        string parquet = Path.Combine(_dir.Path, "parquet");

        Assert.Equal(0, CliApp.Run(["data", "export", source, "--parquet", parquet], _console));
        Assert.Equal(ratings, MovieRec.Core.Data.ParquetRatings.Read(Path.Combine(parquet, "ratings.parquet")));

        SparkAlsLayout layout = SparkAlsLayout.Write(Path.Combine(_dir.Path, "als"), users: 12, [.. Enumerable.Range(0, 20).Select(Fixtures.MovieId)], rank: 5);
        string models = Path.Combine(_dir.Path, "models");
        Assert.Equal(0, CliApp.Run(["import", "spark-als", layout.Folder, "--out", models, "--data", source], _console));
        Assert.Contains("published", _out.ToString(), StringComparison.Ordinal);
        Assert.NotNull(MovieRec.Core.Artifacts.BundleStore.CurrentFolder(models));

        _out.GetStringBuilder().Clear();
        Assert.Equal(1, CliApp.Run(["import", "spark-als", Path.Combine(_dir.Path, "nowhere"), "--out", models], _console));
        Assert.Contains("does not exist", _out.ToString(), StringComparison.Ordinal);
    }
}
