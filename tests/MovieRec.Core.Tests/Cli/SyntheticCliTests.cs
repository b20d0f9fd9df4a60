using MovieRec.Cli;
using MovieRec.Core.Data;
using Spectre.Console;

namespace MovieRec.Core.Tests.Cli;

public sealed class SyntheticCliTests : CliConsoleTests
{
    [Fact]
    public void Data_synth_writes_a_folder_every_command_reads_and_refuses_to_overwrite_it()
    {
        string source = Fixtures.WriteCsvDataset(Dir, Fixtures.SyntheticRatings(30, 40));
        string output = Path.Combine(Dir.Path, "synthetic");

        int code = CliApp.Run(["data", "synth", source, "--out", output, "--ratings", "900", "--users", "50", "--seed", "7"], Terminal);

        Assert.Equal(0, code);
        Assert.Equal(900, MovieLensLoader.Load(output).Ratings.Length);
        Assert.Equal(0, CliApp.Run(["data", "info", output, "--json"], Terminal));
        Assert.Equal(0, CliApp.Run(["evaluate", output, "--model", "baseline", "--folds", "2", "--no-ranking"], Terminal));

        Output.GetStringBuilder().Clear();
        Assert.Equal(1, CliApp.Run(["data", "synth", source, "--out", output], Terminal));
        Assert.Contains("already holds a dataset", Output.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, CliApp.Run(["data", "synth", source, "--out", output, "--force", "--ratings", "100", "--users", "20"], Terminal));
        Assert.Equal(100, MovieLensLoader.Load(output).Ratings.Length);
    }

    [Fact]
    public void Data_synth_names_an_impossible_size()
    {
        string source = Fixtures.WriteCsvDataset(Dir, Fixtures.SyntheticRatings(30, 40));

        int code = CliApp.Run(["data", "synth", source, "--out", Path.Combine(Dir.Path, "o"), "--ratings", "100000", "--users", "10", "--movies", "40"], Terminal);

        Assert.Equal(1, code);
        Assert.Contains("do not fit", Output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Data_compare_json_has_fidelity_utility_and_privacy()
    {
        string source = Fixtures.WriteCsvDataset(Dir, Fixtures.SyntheticRatings(40, 50));
        string output = Path.Combine(Dir.Path, "synthetic");
        Assert.Equal(0, CliApp.Run(["data", "synth", source, "--out", output], Terminal));
        Output.GetStringBuilder().Clear();

        int code = CliApp.Run(["data", "compare", source, output, "--json", "--model", "baseline"], Terminal);

        Assert.Equal(0, code);
        using var json = System.Text.Json.JsonDocument.Parse(Output.ToString());
        Assert.True(json.RootElement.GetProperty("fidelity").GetArrayLength() >= 7);
        Assert.True(json.RootElement.GetProperty("utility").GetProperty("syntheticRmse").GetDouble() > 0);
        Assert.Equal(0, json.RootElement.GetProperty("privacy").GetProperty("exactProfileCopies").GetInt32());
    }

    [Fact]
    public void Experiment_synthetic_prints_the_six_rows_and_writes_rmse_and_mae()
    {
        string source = Fixtures.WriteCsvDataset(Dir, Fixtures.SyntheticRatings(100, 90));
        string jsonPath = Path.Combine(Dir.Path, "r.json");

        string plotPath = Path.Combine(Dir.Path, "r.png");

        int code = CliApp.Run(["experiment", "synthetic", source, "--model", "baseline", "--variants", "full", "--json", jsonPath, "--plot", plotPath], Terminal);

        Assert.Equal(0, code);
        byte[] png = File.ReadAllBytes(plotPath);
        Assert.True(png.Length > 1000 && png[1] == (byte)'P' && png[2] == (byte)'N' && png[3] == (byte)'G');
        Assert.Contains("augmentation", Output.ToString(), StringComparison.Ordinal);
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(jsonPath));
        System.Text.Json.JsonElement[] rows = [.. json.RootElement.GetProperty("experiments").EnumerateArray()];
        Assert.Equal(6, rows.Length);
        Assert.All(rows, r => Assert.True(r.GetProperty("rmse").GetDouble() > 0 && r.GetProperty("mae").GetDouble() > 0));
    }

    [Fact]
    public void Experiment_synthetic_tune_records_the_options_chosen_for_each_training_set()
    {
        string source = Fixtures.WriteCsvDataset(Dir, Fixtures.SyntheticRatings(80, 70));
        string jsonPath = Path.Combine(Dir.Path, "tuned.json");

        int code = CliApp.Run(["experiment", "synthetic", source, "--model", "baseline", "--variants", "full", "--tune", "--trials", "3", "--folds", "2", "--json", jsonPath], Terminal);

        Assert.Equal(0, code);
        Assert.Contains("tuned options", Output.ToString(), StringComparison.Ordinal);
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(jsonPath));
        Assert.True(json.RootElement.GetProperty("tuned").GetBoolean());
        System.Text.Json.JsonElement[] rows = [.. json.RootElement.GetProperty("experiments").EnumerateArray()];
        Assert.Equal(6, rows.Length);
        Assert.All(rows, r => Assert.Contains("regItem=", r.GetProperty("tunedOptions").GetString(), StringComparison.Ordinal));
    }

    [Fact]
    public void Experiment_synthetic_names_an_unknown_model()
    {
        string source = Fixtures.WriteCsvDataset(Dir, Fixtures.SyntheticRatings(30, 40));

        Assert.Equal(1, CliApp.Run(["experiment", "synthetic", source, "--model", "nope"], Terminal));
        Assert.Contains("Unknown model 'nope'", Output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Data_export_writes_parquet_and_import_spark_als_publishes_a_bundle()
    {
        Rating[] ratings = Fixtures.SyntheticRatings(12, 20);
        string source = Fixtures.WriteCsvDataset(Dir, ratings, movies: 20);
        string parquet = Path.Combine(Dir.Path, "parquet");

        Assert.Equal(0, CliApp.Run(["data", "export", source, "--parquet", parquet], Terminal));
        Assert.Equal(ratings, MovieRec.Core.Data.ParquetRatings.Read(Path.Combine(parquet, "ratings.parquet")));

        SparkAlsLayout layout = SparkAlsLayout.Write(Path.Combine(Dir.Path, "als"), users: 12, [.. Enumerable.Range(0, 20).Select(Fixtures.MovieId)], rank: 5);
        string models = Path.Combine(Dir.Path, "models");
        Assert.Equal(0, CliApp.Run(["import", "spark-als", layout.Folder, "--out", models, "--data", source], Terminal));
        Assert.Contains("published", Output.ToString(), StringComparison.Ordinal);
        Assert.NotNull(MovieRec.Core.Artifacts.BundleStore.CurrentFolder(models));

        Output.GetStringBuilder().Clear();
        Assert.Equal(1, CliApp.Run(["import", "spark-als", Path.Combine(Dir.Path, "nowhere"), "--out", models], Terminal));
        Assert.Contains("does not exist", Output.ToString(), StringComparison.Ordinal);
    }
}
