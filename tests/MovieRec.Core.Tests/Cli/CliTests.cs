using System.Text.Json;
using MovieRec.Cli;
using MovieRec.Core.Data;
using MovieRec.Core.Evaluation;
using MovieRec.Core.Models;
using MovieRec.Core.Models.Content;
using Spectre.Console;

namespace MovieRec.Core.Tests.Cli;

public sealed class CliTests : CliConsoleTests
{
    [Fact]
    public void Data_info_json_has_the_documented_fields()
    {
        string folder = Fixtures.WriteCsvDataset(Dir, Fixtures.SyntheticRatings(10, 20), movies: 25);

        int code = CliApp.Run(["data", "info", folder, "--json"], Terminal);

        Assert.Equal(0, code);
        using JsonDocument json = JsonDocument.Parse(Output.ToString());
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
        string folder = Fixtures.WriteCsvDataset(Dir, Fixtures.SyntheticRatings(10, 20));

        Assert.Equal(0, CliApp.Run(["data", "info", folder], Terminal));

        Assert.Contains("rated movies", Output.ToString(), StringComparison.Ordinal);
        Assert.Contains("Animation", Output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_writes_the_documented_json_for_each_model_and_fold()
    {
        string folder = Fixtures.WriteCsvDataset(Dir, Fixtures.SyntheticRatings());
        string jsonPath = Path.Combine(Dir.Path, "out", "results.json");

        int code = CliApp.Run(["evaluate", folder, "--model", "baseline,popular", "--folds", "3", "--seed", "4", "--k", "5", "--json", jsonPath], Terminal);

        Assert.Equal(0, code);
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(jsonPath));
        JsonElement[] results = [.. json.RootElement.GetProperty("results").EnumerateArray()];
        Assert.Equal(["baseline", "popular"], results.Select(r => r.GetProperty("model").GetString()));

        // The same evaluation through the library: the CLI must report exactly its numbers.
        IReadOnlyList<ModelEvaluation> expected = CrossValidator.Evaluate([ModelRegistry.Create("baseline", 4), ModelRegistry.Create("popular", 4)],
            Splitters.KFold(MovieLensLoader.Load(folder).Ratings, 3, 4), new EvaluationOptions { K = 5 });
        for (int m = 0; m < 2; m++)
        {
            JsonElement r = results[m];
            ModelEvaluation e = expected[m];
            Assert.Equal(e.Rmse, r.GetProperty("rmse").GetDouble(), 12);
            Assert.Equal(e.Mae, r.GetProperty("mae").GetDouble(), 12);
            Assert.Equal(e.PrecisionAtK!.Value, r.GetProperty("precisionAtK").GetDouble(), 12);
            Assert.Equal(e.RecallAtK!.Value, r.GetProperty("recallAtK").GetDouble(), 12);
            Assert.Equal(e.NdcgAtK!.Value, r.GetProperty("ndcgAtK").GetDouble(), 12);
            Assert.Equal(e.MapAtK!.Value, r.GetProperty("mapAtK").GetDouble(), 12);
            Assert.Equal(e.Coverage!.Value, r.GetProperty("coverage").GetDouble(), 12);
            Assert.Equal(e.Folds.Select(f => f.TestRatings), r.GetProperty("folds").EnumerateArray().Select(f => f.GetProperty("testRatings").GetInt32()));
            Assert.True(r.GetProperty("fitSeconds").GetDouble() > 0);
        }

        Assert.Contains("NDCG@5", Output.ToString(), StringComparison.Ordinal);
        Assert.Contains(expected[0].Rmse.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture), Output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_reads_explicit_split_pairs_relative_to_the_folder()
    {
        string folder = Fixtures.WriteCsvDataset(Dir, Fixtures.SyntheticRatings());
        var ratings = Fixtures.SyntheticRatings();
        Dir.Write("a.train", string.Join('\n', ratings.Where((_, i) => i % 4 != 0).Select(r => $"{r.UserId}\t{r.MovieId}\t{r.Value}\t{r.Timestamp}")));
        Dir.Write("a.test", string.Join('\n', ratings.Where((_, i) => i % 4 == 0).Select(r => $"{r.UserId}\t{r.MovieId}\t{r.Value}\t{r.Timestamp}")));
        string jsonPath = Path.Combine(Dir.Path, "r.json");

        int code = CliApp.Run(["evaluate", folder, "--model", "mean", "--split", "a.train:a.test", "--json", jsonPath], Terminal);

        Assert.Equal(0, code);
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(jsonPath));
        JsonElement fold = json.RootElement.GetProperty("results")[0].GetProperty("folds")[0];
        Assert.Equal(ratings.Length / 4 + (ratings.Length % 4 == 0 ? 0 : 1), fold.GetProperty("testRatings").GetInt32());
    }

    [Fact]
    public void Evaluate_writes_the_training_curve_of_iterative_models()
    {
        string folder = Fixtures.WriteCsvDataset(Dir, Fixtures.SyntheticRatings());
        string curvePath = Path.Combine(Dir.Path, "curve.csv");

        int code = CliApp.Run(["evaluate", folder, "--model", "svd-surprise,baseline", "--folds", "2", "--no-ranking", "--curve", curvePath], Terminal);

        Assert.Equal(0, code);
        string[] lines = File.ReadAllLines(curvePath);
        Assert.Equal("model,fold,epoch,trainRmse,validationRmse", lines[0]);
        Assert.Equal(2 * 20, lines.Length - 1); // 20 epochs on each of 2 folds; the baseline reports none
        Assert.StartsWith("svd-surprise,fold2,20,", lines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void Train_publishes_a_bundle_with_holdout_metrics()
    {
        string folder = Fixtures.WriteCsvDataset(Dir, Fixtures.SyntheticRatings());
        string models = Path.Combine(Dir.Path, "models");

        int code = CliApp.Run(["train", folder, "--model", "baseline,popular", "--out", models, "--eval"], Terminal);

        Assert.Equal(0, code);
        MovieRec.Core.Artifacts.ModelBundle bundle = MovieRec.Core.Artifacts.BundleStore.LoadCurrent(models);
        Assert.Equal(["baseline", "popular"], bundle.Manifest.Models.Select(m => m.Name));
        Assert.All(bundle.Manifest.Models, m => Assert.InRange(m.Holdout!.Rmse, 0.2, 2.0));
    }

    [Fact]
    public async Task Train_with_feedback_learns_the_live_ratings_and_records_the_watermark()
    {
        string folder = Fixtures.WriteCsvDataset(Dir, Fixtures.SyntheticRatings());
        string models = Path.Combine(Dir.Path, "models");
        string feedback = Path.Combine(Dir.Path, "state", "feedback.db");
        await using (MovieRec.Core.Feedback.IFeedbackStore store = await MovieRec.Storage.FeedbackStoreFactory.OpenAsync("sqlite", feedback))
        {
            await store.UpsertRatingsAsync([new(5000, Fixtures.MovieId(1), 4.5f, 1), new(5000, Fixtures.MovieId(2), 2f, 2)]);
            await store.DeleteRatingAsync(1, Fixtures.MovieId(0), 3);
        }

        int code = CliApp.Run(["train", folder, "--model", "popular", "--out", models, "--feedback", feedback], Terminal);

        Assert.Equal(0, code);
        MovieRec.Core.Artifacts.ModelBundle bundle = MovieRec.Core.Artifacts.BundleStore.LoadCurrent(models);
        Assert.Equal(("sqlite", 3L, 2, 1), (bundle.Manifest.Feedback!.Provider, bundle.Manifest.Feedback.LastSequence, bundle.Manifest.Feedback.LiveRatings,
            bundle.Manifest.Feedback.DeletedRatings));
        Assert.True(bundle.Ratings.Users.Contains(5000));
        int u = bundle.Ratings.Users.IndexOf(1);
        Assert.True(bundle.Ratings.ItemsOf(u).IndexOf(bundle.Ratings.Items.IndexOf(Fixtures.MovieId(0))) < 0);
        Assert.Contains("2 live ratings", Output.ToString(), StringComparison.Ordinal);

        Assert.Equal(1, CliApp.Run(["train", folder, "--model", "popular", "--out", models, "--feedback", Path.Combine(Dir.Path, "none.db")], Terminal));
    }

    [Fact]
    public void Evaluate_gives_the_content_model_the_catalogue_with_explicit_splits()
    {
        string folder = Fixtures.WriteCsvDataset(Dir, Fixtures.SyntheticRatings());
        Rating[] ratings = Fixtures.SyntheticRatings();
        Dir.Write("b.train", "userId,movieId,rating\n" + string.Join('\n', ratings.Where((_, i) => i % 5 != 0).Select(r => FormattableString.Invariant($"{r.UserId},{r.MovieId},{r.Value}"))));
        Dir.Write("b.test", "userId,movieId,rating\n" + string.Join('\n', ratings.Where((_, i) => i % 5 == 0).Select(r => FormattableString.Invariant($"{r.UserId},{r.MovieId},{r.Value}"))));

        string jsonPath = Path.Combine(Dir.Path, "content.json");

        int code = CliApp.Run(["evaluate", folder, "--model", "content", "--split", "b.train:b.test", "--no-ranking", "--json", jsonPath], Terminal);

        // Only a content model that was given the catalogue and tags reproduces this RMSE (without them it cannot fit).
        Assert.Equal(0, code);
        MovieLensDataset catalogue = MovieLensLoader.Load(folder);
        DataSplit split = Splitters.FromFiles([(Path.Combine(folder, "b.train"), Path.Combine(folder, "b.test"))], RatingScale.HalfStars)[0];
        double expected = CrossValidator.Evaluate([new ContentTrainer(catalogue.Movies, catalogue.Tags)], [split], new EvaluationOptions { Ranking = false })[0].Rmse;
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(jsonPath));
        Assert.Equal(expected, json.RootElement.GetProperty("results")[0].GetProperty("rmse").GetDouble(), 12);
    }

    [Fact]
    public void Models_svd_lists_each_option_with_default_range_and_description()
    {
        Assert.Equal(0, CliApp.Run(["models", "svd"], Terminal));

        string[] lines = Output.ToString().Split('\n');
        foreach ((string option, string defaultValue, string range) in (ReadOnlySpan<(string, string, string)>)
            [("factors", "200", "[1, 2000]"), ("epochs", "120", "[1, 10000]"), ("learningRate", "0.008", "(0, 1]"), ("regFactor", "0.08", "[0, 10]"), ("seed", "42", "[0, 2147483647]")])
        {
            string row = Assert.Single(lines, l => l.TrimStart('│', '|', ' ').StartsWith($"{option} ", StringComparison.Ordinal));
            Assert.Contains($" {defaultValue} ", row, StringComparison.Ordinal);
            Assert.Contains(range, row, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("regImplicit", Output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_trains_with_set_values_and_echoes_them_and_a_bad_value_fails_before_any_work()
    {
        string folder = Fixtures.WriteCsvDataset(Dir, Fixtures.SyntheticRatings());
        string jsonPath = Path.Combine(Dir.Path, "set.json");

        int code = CliApp.Run(["evaluate", folder, "--model", "svd", "--set", "svd.factors=20", "--set", "svd.epochs=10", "--folds", "2", "--no-ranking", "--json", jsonPath], Terminal);

        Assert.Equal(0, code);
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(jsonPath));
        JsonElement options = json.RootElement.GetProperty("results")[0].GetProperty("options");
        Assert.Equal((20, 10, 42), (options.GetProperty("factors").GetInt32(), options.GetProperty("epochs").GetInt32(), options.GetProperty("seed").GetInt32()));

        // A folder that does not exist: only a check made before touching data can produce the option's message.
        Assert.Equal(1, CliApp.Run(["evaluate", Path.Combine(Dir.Path, "absent"), "--model", "svd", "--set", "svd.factors=-3"], Terminal));
        Assert.Contains("svd.factors = -3 is out of range: it must lie in [1, 2000]", Output.ToString(), StringComparison.Ordinal);
        Assert.Equal(1, CliApp.Run(["train", Path.Combine(Dir.Path, "absent"), "--model", "svd", "--set", "svd.learningrat=1"], Terminal));
        Assert.Contains("Model 'svd' has no option 'learningrat'. Its options: factors, epochs, learningRate", Output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Train_records_the_declared_options_in_the_manifest()
    {
        string folder = Fixtures.WriteCsvDataset(Dir, Fixtures.SyntheticRatings());
        string models = Path.Combine(Dir.Path, "models");
        string options = Dir.Write("o.json", "{\"svd\": {\"factors\": 6, \"epochs\": 4}}");

        Assert.Equal(0, CliApp.Run(["train", folder, "--model", "svd,als", "--options", options, "--out", models], Terminal));

        var bundle = MovieRec.Core.Artifacts.BundleStore.LoadCurrent(models);
        JsonElement svd = bundle.Manifest.Models[0].Options!.Value;
        Assert.Equal((6, 4), (svd.GetProperty("factors").GetInt32(), svd.GetProperty("epochs").GetInt32()));
        Assert.False(svd.TryGetProperty("regImplicit", out _));
        Assert.False(bundle.Manifest.Models[1].Options!.Value.TryGetProperty("learningRate", out _));
    }

    [Fact]
    public void Tune_searches_on_the_train_file_and_writes_options_that_evaluate_reads()
    {
        string folder = Fixtures.WriteCsvDataset(Dir, Fixtures.SyntheticRatings());
        Rating[] ratings = Fixtures.SyntheticRatings();
        Dir.Write("t.train", string.Join('\n', ratings.Where((_, i) => i % 4 != 0).Select(r => $"{r.UserId}\t{r.MovieId}\t{r.Value}\t{r.Timestamp}")));
        Dir.Write("t.test", string.Join('\n', ratings.Where((_, i) => i % 4 == 0).Select(r => $"{r.UserId}\t{r.MovieId}\t{r.Value}\t{r.Timestamp}")));
        string space = Dir.Write("space.json", "{\"epochs\": [2, 18], \"factors\": [2, 12]}");
        string best = Path.Combine(Dir.Path, "best.json"), report = Path.Combine(Dir.Path, "tune.json");

        int code = CliApp.Run(["tune", folder, "--model", "svd-surprise", "--space", space, "--trials", "6", "--folds", "2", "--split", "t.train:t.test",
            "--out-options", best, "--json", report], Terminal);

        Assert.Equal(0, code);
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(report));
        Assert.Equal(6, json.RootElement.GetProperty("trials").GetArrayLength());
        Assert.True(json.RootElement.GetProperty("test").GetProperty("rmse").GetDouble() > 0);
        bool keptOwn = json.RootElement.GetProperty("best").GetProperty("keptOwnOptions").GetBoolean();
        Assert.Contains(keptOwn ? "Chosen: the model's own options" : "Chosen: trial", Output.ToString(), StringComparison.Ordinal);
        Assert.Contains("(standard error over the folds)", Output.ToString(), StringComparison.Ordinal);
        int epochs = json.RootElement.GetProperty("best").GetProperty("options").GetProperty("epochs").GetInt32();
        Assert.Contains(epochs, keptOwn ? [20] : (int[])[2, 6, 18]); // svd-surprise's own 20 epochs, or a rung

        string evaluated = Path.Combine(Dir.Path, "eval.json");
        Assert.Equal(0, CliApp.Run(["evaluate", folder, "--model", "svd-surprise", "--options", best, "--split", "t.train:t.test", "--no-ranking", "--json", evaluated], Terminal));
        using JsonDocument eval = JsonDocument.Parse(File.ReadAllText(evaluated));
        JsonElement result = eval.RootElement.GetProperty("results")[0];
        Assert.Equal(epochs, result.GetProperty("options").GetProperty("epochs").GetInt32());
        Assert.Equal(json.RootElement.GetProperty("test").GetProperty("rmse").GetDouble(), result.GetProperty("rmse").GetDouble(), 9);
    }

    [Fact]
    public void User_errors_print_one_line_and_exit_1()
    {
        Assert.Equal(1, CliApp.Run(["data", "info", Path.Combine(Dir.Path, "missing")], Terminal));
        Assert.Contains("does not exist", Output.ToString(), StringComparison.Ordinal);

        string folder = Fixtures.WriteCsvDataset(Dir, Fixtures.SyntheticRatings(10, 20));
        Assert.Equal(1, CliApp.Run(["evaluate", folder, "--model", "nope"], Terminal));
        Assert.Contains("Unknown model 'nope'", Output.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", Output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_folder_comes_from_the_argument_then_the_environment_then_the_default()
    {
        // The environment is passed in, so the test never changes the process's (which other tests read in parallel).
        var environment = new Dictionary<string, string?> { ["MOVIEREC_DATA"] = "/from/env" };
        Assert.Equal("x", CliApp.ResolveFolder("x", environment.GetValueOrDefault));
        Assert.Equal("/from/env", CliApp.ResolveFolder(null, environment.GetValueOrDefault));
        Assert.Equal("data/ml-latest-small", CliApp.ResolveFolder(null, _ => null));
        Assert.Equal("data/ml-latest-small", CliApp.ResolveFolder("  ", _ => ""));
    }
}
