using MovieRec.Cli;
using MovieRec.Core.Artifacts;
using MovieRec.Core.Data;
using MovieRec.Core.Training;
using Spectre.Console;

namespace MovieRec.Core.Tests.Cli;

/// <summary>recommend, similar, predict, report and the evaluate tables, over a bundle and data the tests write.</summary>
public sealed class PeopleCommandTests : IDisposable
{
    private readonly TempFolder _dir = new();
    private readonly StringWriter _out = new();
    private readonly IAnsiConsole _console;
    private readonly string _data;
    private readonly string _models;

    public PeopleCommandTests()
    {
        _console = Console(200);
        _data = Fixtures.WriteCsvDataset(_dir, Fixtures.SyntheticRatings());
        _models = Path.Combine(_dir.Path, "models");
    }

    public void Dispose()
    {
        _dir.Dispose();
        _out.Dispose();
    }

    private string Output => _out.ToString();

    [Fact]
    public void Recommend_prints_n_titles_with_scores()
    {
        TrainBundle();

        Assert.Equal(0, CliApp.Run(["recommend", "--user", "1", "--n", "5", "--models", _models], _console));

        string[] rows = [.. Output.Split('\n').Where(l => l.Contains("Movie ", StringComparison.Ordinal))];
        Assert.Equal(5, rows.Length);
        Assert.All(rows, r => Assert.Matches(@"\d\.\d{3}", r));
        Assert.Contains("by svd", Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Recommend_explains_with_a_movie_the_user_liked()
    {
        TrainBundle();

        Assert.Equal(0, CliApp.Run(["recommend", "--user", "1", "--n", "3", "--model", "item-knn", "--models", _models, "--explain"], _console));

        Assert.Contains("because you liked", Output, StringComparison.Ordinal);
        ModelBundle bundle = BundleStore.LoadCurrent(_models);
        int u = bundle.Ratings.Users.IndexOf(1);
        string[] liked = [.. bundle.Ratings.ItemsOf(u).ToArray().Select(i => bundle.Movies[bundle.Ratings.Items.RawId(i)].Title)];
        string[] rows = [.. Output.Split('\n').Where(l => l.StartsWith("│ ", StringComparison.Ordinal) && !l.Contains("because", StringComparison.Ordinal))];
        Assert.Equal(3, rows.Length);
        // The last cell of each row is a movie user 1 rated.
        Assert.All(rows, r => Assert.Contains(liked, t => r.TrimEnd().TrimEnd('│').TrimEnd().EndsWith(t, StringComparison.Ordinal)));
    }

    [Fact]
    public void The_prompt_loop_answers_each_user_until_an_empty_line()
    {
        TrainBundle();
        BundleSession session = BundleSession.Open(_models);
        var answers = new Queue<string?>(["1", "abc", "99999", "2", ""]);

        int code = PeopleCommands.PromptLoop(_console, answers.Dequeue, session, session.Model(null), 3, explain: false);

        Assert.Equal(0, code);
        Assert.Empty(answers);
        Assert.Contains("Top 3 for user 1", Output, StringComparison.Ordinal);
        Assert.Contains("'abc' is not a user id", Output, StringComparison.Ordinal);
        Assert.Contains("User 99999 is not in bundle", Output, StringComparison.Ordinal);
        Assert.Contains("Top 3 for user 2", Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Similar_takes_a_title_matched_like_the_page_or_an_id()
    {
        TrainBundle();

        Assert.Equal(0, CliApp.Run(["similar", "movie 12", "--models", _models, "--n", "4"], _console));
        Assert.Contains("Movies similar to Movie 12, The (2002) by item-knn", Output, StringComparison.Ordinal);
        Assert.Equal(0, CliApp.Run(["similar", Fixtures.MovieId(12).ToString(System.Globalization.CultureInfo.InvariantCulture), "--models", _models, "--model", "svd"], _console));
        Assert.Contains("Movies similar to Movie 12, The (2002) by svd", Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Predict_names_the_movie_and_the_rating()
    {
        TrainBundle();

        Assert.Equal(0, CliApp.Run(["predict", "--user", "3", "--movie", "the movie 7", "--models", _models], _console));

        Assert.Matches(@"svd predicts user 3 rates Movie 7, The \(1997\) \d\.\d\d", Output);
    }

    [Theory]
    [InlineData("recommend --user 99999", "User 99999 is not in bundle")]
    [InlineData("similar nothingatall", "No movie in the catalogue matches 'nothingatall'")]
    [InlineData("similar 999999", "Movie 999999 is not in the catalogue")]
    [InlineData("predict --user 1 --movie zzzzzz", "No movie in the catalogue matches")]
    [InlineData("recommend --user 1 --model nosuch", "--model 'nosuch' is not in bundle")]
    [InlineData("similar 1 --model baseline", "Model 'baseline' has no notion of similar movies")]
    public void Mistakes_are_one_clear_line_and_exit_code_1(string args, string message)
    {
        TrainBundle();

        int code = CliApp.Run([.. args.Split(' '), "--models", _models], _console);

        Assert.Equal(1, code);
        Assert.Contains(message, Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_bundle_says_how_to_make_one()
    {
        int code = CliApp.Run(["recommend", "--user", "1", "--models", Path.Combine(_dir.Path, "empty")], _console);

        Assert.Equal(1, code);
        Assert.Contains("No model bundle in", Output, StringComparison.Ordinal);
        Assert.Contains("movierec train", Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Report_writes_index_html_and_its_charts()
    {
        string report = Path.Combine(_dir.Path, "report");

        int code = CliApp.Run(["report", _data, "--model", "baseline,svd", "--folds", "2", "--out", report], _console);

        Assert.Equal(0, code);
        string html = File.ReadAllText(Path.Combine(report, "index.html"));
        string[] pngs = Directory.GetFiles(report, "*.png");
        // 4 dataset charts, RMSE, NDCG@10 and fit-time bars, precision and recall at K, svd's learning curve.
        Assert.Equal(10, pngs.Length);
        Assert.Equal(10, Directory.GetFiles(report, "*.svg").Length);
        Assert.All(pngs, p => Assert.Contains(Path.GetFileName(p), html, StringComparison.Ordinal));
        Assert.Contains("svd: RMSE per epoch", html, StringComparison.Ordinal);
        Assert.Contains("Precision at K = 1..20", html, StringComparison.Ordinal);
        Assert.Matches(@"<td>0\.\d{4} (±|&#177;) 0\.\d{4}</td>", html);
    }

    [Fact]
    public void Evaluate_shows_mean_and_standard_deviation_over_folds()
    {
        Assert.Equal(0, CliApp.Run(["evaluate", _data, "--model", "baseline", "--folds", "3"], _console));

        Assert.Contains("mean ± standard deviation over 3 splits", Output, StringComparison.Ordinal);
        Assert.Matches(@"0\.\d{4} ± 0\.\d{4}", Output);
        Assert.Contains("NDCG@10", Output, StringComparison.Ordinal);
    }

    [Fact]
    public void No_ranking_drops_the_ranking_columns_and_per_fold_fits_80_columns()
    {
        using var narrowOut = new StringWriter();
        IAnsiConsole narrow = Console(80, narrowOut);

        Assert.Equal(0, CliApp.Run(["evaluate", _data, "--model", "baseline,item-knn-zscore", "--folds", "3", "--per-fold"], narrow));
        Assert.Equal(0, CliApp.Run(["evaluate", _data, "--model", "baseline", "--folds", "2", "--no-ranking", "--per-fold"], _console));

        string perFold = narrowOut.ToString()[narrowOut.ToString().IndexOf("per split", StringComparison.Ordinal)..];
        Assert.All(perFold.Split('\n'), line => Assert.True(line.Length <= 80, $"{line.Length} columns: {line}"));
        Assert.Contains("item-knn-zscore │ fold3", perFold, StringComparison.Ordinal);
        Assert.DoesNotContain("NDCG", Output, StringComparison.Ordinal);
        Assert.DoesNotContain("P@", Output, StringComparison.Ordinal);
    }

    private IAnsiConsole Console(int width, StringWriter? writer = null)
    {
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer ?? _out),
            Ansi = AnsiSupport.No,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = width;
        return console;
    }

    private void TrainBundle() =>
        BundleTrainer.Train(MovieLensLoader.Load(_data), new BundleTrainingOptions { Models = ["baseline", "svd", "item-knn"], Output = _models, Keep = 1, Seed = 42 });
}
