using System.Text.Json;
using MovieRec.Cli;
using MovieRec.Core.Data;
using Spectre.Console;

namespace MovieRec.Core.Tests.Cli;

public sealed class CliTests : IDisposable
{
    private readonly TempFolder _dir = new();
    private readonly StringWriter _out = new();
    private readonly IAnsiConsole _console;

    public CliTests()
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
    public void Data_info_json_has_the_documented_fields()
    {
        string folder = Fixtures.WriteCsvDataset(_dir, Fixtures.SyntheticRatings(10, 20), movies: 25);

        int code = CliApp.Run(["data", "info", folder, "--json"], _console);

        Assert.Equal(0, code);
        using JsonDocument json = JsonDocument.Parse(_out.ToString());
        JsonElement root = json.RootElement;
        Assert.Equal(Fixtures.SyntheticRatings(10, 20).Length, root.GetProperty("ratings").GetInt32());
        Assert.Equal(10, root.GetProperty("users").GetInt32());
        Assert.Equal(25, root.GetProperty("movies").GetInt32());
        Assert.True(root.GetProperty("ratedMovies").GetInt32() <= 20);
        Assert.Equal(2, root.GetProperty("tags").GetInt32());
        Assert.True(root.GetProperty("minRating").GetDouble() >= 0.5);
        Assert.True(root.GetProperty("maxRating").GetDouble() <= 5.0);
    }

    [Fact]
    public void Data_info_prints_a_table()
    {
        string folder = Fixtures.WriteCsvDataset(_dir, Fixtures.SyntheticRatings(10, 20));

        Assert.Equal(0, CliApp.Run(["data", "info", folder], _console));

        Assert.Contains("rated movies", _out.ToString(), StringComparison.Ordinal);
        Assert.Contains("Animation", _out.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_writes_the_documented_json_for_each_model_and_fold()
    {
        string folder = Fixtures.WriteCsvDataset(_dir, Fixtures.SyntheticRatings());
        string jsonPath = Path.Combine(_dir.Path, "out", "results.json");

        int code = CliApp.Run(["evaluate", folder, "--model", "baseline,popular", "--folds", "3", "--seed", "4", "--k", "5", "--json", jsonPath], _console);

        Assert.Equal(0, code);
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(jsonPath));
        JsonElement[] results = [.. json.RootElement.GetProperty("results").EnumerateArray()];
        Assert.Equal(["baseline", "popular"], results.Select(r => r.GetProperty("model").GetString()));
        foreach (JsonElement r in results)
        {
            foreach (string field in (string[])["rmse", "mae", "precisionAtK", "recallAtK", "ndcgAtK", "mapAtK", "coverage", "fitSeconds", "testSeconds"])
            {
                Assert.True(r.GetProperty(field).GetDouble() >= 0, field);
            }

            Assert.Equal(3, r.GetProperty("folds").GetArrayLength());
        }

        Assert.InRange(results[0].GetProperty("rmse").GetDouble(), 0.3, 1.5);
        Assert.Contains("NDCG@5", _out.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_reads_explicit_split_pairs_relative_to_the_folder()
    {
        string folder = Fixtures.WriteCsvDataset(_dir, Fixtures.SyntheticRatings());
        var ratings = Fixtures.SyntheticRatings();
        _dir.Write("a.train", string.Join('\n', ratings.Where((_, i) => i % 4 != 0).Select(r => $"{r.UserId}\t{r.MovieId}\t{r.Value}\t{r.Timestamp}")));
        _dir.Write("a.test", string.Join('\n', ratings.Where((_, i) => i % 4 == 0).Select(r => $"{r.UserId}\t{r.MovieId}\t{r.Value}\t{r.Timestamp}")));
        string jsonPath = Path.Combine(_dir.Path, "r.json");

        int code = CliApp.Run(["evaluate", folder, "--model", "mean", "--split", "a.train:a.test", "--json", jsonPath], _console);

        Assert.Equal(0, code);
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(jsonPath));
        JsonElement fold = json.RootElement.GetProperty("results")[0].GetProperty("folds")[0];
        Assert.Equal(ratings.Length / 4 + (ratings.Length % 4 == 0 ? 0 : 1), fold.GetProperty("testRatings").GetInt32());
    }

    [Fact]
    public void Evaluate_writes_the_training_curve_of_iterative_models()
    {
        string folder = Fixtures.WriteCsvDataset(_dir, Fixtures.SyntheticRatings());
        string curvePath = Path.Combine(_dir.Path, "curve.csv");

        int code = CliApp.Run(["evaluate", folder, "--model", "svd-surprise,baseline", "--folds", "2", "--no-ranking", "--curve", curvePath], _console);

        Assert.Equal(0, code);
        string[] lines = File.ReadAllLines(curvePath);
        Assert.Equal("model,fold,epoch,trainRmse,validationRmse", lines[0]);
        Assert.Equal(2 * 20, lines.Length - 1); // 20 epochs on each of 2 folds; the baseline reports none
        Assert.StartsWith("svd-surprise,fold2,20,", lines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void Train_publishes_a_bundle_with_holdout_metrics()
    {
        string folder = Fixtures.WriteCsvDataset(_dir, Fixtures.SyntheticRatings());
        string models = Path.Combine(_dir.Path, "models");

        int code = CliApp.Run(["train", folder, "--model", "baseline,popular", "--out", models, "--eval"], _console);

        Assert.Equal(0, code);
        MovieRec.Core.Artifacts.ModelBundle bundle = MovieRec.Core.Artifacts.BundleStore.LoadCurrent(models);
        Assert.Equal(["baseline", "popular"], bundle.Manifest.Models.Select(m => m.Name));
        Assert.All(bundle.Manifest.Models, m => Assert.InRange(m.Holdout!.Rmse, 0.2, 2.0));
    }

    [Fact]
    public async Task Train_with_feedback_learns_the_live_ratings_and_records_the_watermark()
    {
        string folder = Fixtures.WriteCsvDataset(_dir, Fixtures.SyntheticRatings());
        string models = Path.Combine(_dir.Path, "models");
        string feedback = Path.Combine(_dir.Path, "state", "feedback.db");
        await using (MovieRec.Core.Feedback.IFeedbackStore store = await MovieRec.Storage.FeedbackStoreFactory.OpenAsync("sqlite", feedback))
        {
            await store.UpsertRatingsAsync([new(5000, Fixtures.MovieId(1), 4.5f, 1), new(5000, Fixtures.MovieId(2), 2f, 2)]);
            await store.DeleteRatingAsync(1, Fixtures.MovieId(0), 3);
        }

        int code = CliApp.Run(["train", folder, "--model", "popular", "--out", models, "--feedback", feedback], _console);

        Assert.Equal(0, code);
        MovieRec.Core.Artifacts.ModelBundle bundle = MovieRec.Core.Artifacts.BundleStore.LoadCurrent(models);
        Assert.Equal(("sqlite", 3L, 2, 1), (bundle.Manifest.Feedback!.Provider, bundle.Manifest.Feedback.LastSequence, bundle.Manifest.Feedback.LiveRatings,
            bundle.Manifest.Feedback.DeletedRatings));
        Assert.True(bundle.Ratings.Users.Contains(5000));
        int u = bundle.Ratings.Users.IndexOf(1);
        Assert.True(bundle.Ratings.ItemsOf(u).IndexOf(bundle.Ratings.Items.IndexOf(Fixtures.MovieId(0))) < 0);
        Assert.Contains("2 live ratings", _out.ToString(), StringComparison.Ordinal);

        Assert.Equal(1, CliApp.Run(["train", folder, "--model", "popular", "--out", models, "--feedback", Path.Combine(_dir.Path, "none.db")], _console));
    }

    [Fact]
    public void Evaluate_gives_the_content_model_the_catalogue_with_explicit_splits()
    {
        string folder = Fixtures.WriteCsvDataset(_dir, Fixtures.SyntheticRatings());
        Rating[] ratings = Fixtures.SyntheticRatings();
        _dir.Write("b.train", "userId,movieId,rating\n" + string.Join('\n', ratings.Where((_, i) => i % 5 != 0).Select(r => FormattableString.Invariant($"{r.UserId},{r.MovieId},{r.Value}"))));
        _dir.Write("b.test", "userId,movieId,rating\n" + string.Join('\n', ratings.Where((_, i) => i % 5 == 0).Select(r => FormattableString.Invariant($"{r.UserId},{r.MovieId},{r.Value}"))));

        int code = CliApp.Run(["evaluate", folder, "--model", "content", "--split", "b.train:b.test"], _console);

        Assert.Equal(0, code);
        Assert.Contains("content", _out.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void User_errors_print_one_line_and_exit_1()
    {
        Assert.Equal(1, CliApp.Run(["data", "info", Path.Combine(_dir.Path, "missing")], _console));
        Assert.Contains("does not exist", _out.ToString(), StringComparison.Ordinal);

        string folder = Fixtures.WriteCsvDataset(_dir, Fixtures.SyntheticRatings(10, 20));
        Assert.Equal(1, CliApp.Run(["evaluate", folder, "--model", "nope"], _console));
        Assert.Contains("Unknown model 'nope'", _out.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", _out.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_folder_comes_from_the_argument_then_the_environment_then_the_default()
    {
        Assert.Equal("x", CliApp.ResolveFolder("x"));
        string? saved = Environment.GetEnvironmentVariable("MOVIEREC_DATA");
        try
        {
            Environment.SetEnvironmentVariable("MOVIEREC_DATA", "/from/env");
            Assert.Equal("/from/env", CliApp.ResolveFolder(null));
            Environment.SetEnvironmentVariable("MOVIEREC_DATA", null);
            Assert.Equal("data/ml-latest-small", CliApp.ResolveFolder(null));
        }
        finally
        {
            Environment.SetEnvironmentVariable("MOVIEREC_DATA", saved);
        }
    }
}
