using System.CommandLine;
using System.Globalization;
using MovieRec.Core.Data;
using MovieRec.Core.Models;
using Spectre.Console;

namespace MovieRec.Cli;

/// <summary>
/// The commands for people rather than pipelines: <c>recommend</c>, <c>similar</c> and <c>predict</c> over the
/// current model bundle (what the service serves).
/// </summary>
internal static class PeopleCommands
{
    public const string UserPrompt = "Enter user id (e.g. 1):";

    public static IEnumerable<Command> Create(IAnsiConsole console, Func<bool> inputIsTerminal)
    {
        yield return Recommend(console, inputIsTerminal);
        yield return Similar(console);
        yield return Predict(console);
    }

    private static Option<string?> ModelsOption() => new("--models") { Description = "Models folder holding the bundle (default: $MOVIEREC_MODELS, else models)" };

    private static Option<string?> ModelOption(string what) => new("--model", "-m") { Description = $"Model of the bundle to ask (default: {what})" };

    private static Command Recommend(IAnsiConsole console, Func<bool> inputIsTerminal)
    {
        var user = new Option<int?>("--user", "-u") { Description = "User id; without it, on a terminal, prompts for user ids until an empty line" };
        var model = ModelOption("svd, else the bundle's first model");
        var n = new Option<int>("--n", "-n") { Description = "How many movies", DefaultValueFactory = _ => 5 };
        var models = ModelsOption();
        var explain = new Option<bool>("--explain") { Description = "Say why: the movie the user liked most that is most like each recommendation" };
        var command = new Command("recommend", "Top movies for a user from the current model bundle, with scores.") { user, model, n, models, explain };
        command.SetAction(parse => CliApp.Guard(console, () =>
        {
            int count = parse.GetValue(n);
            if (count is < 1 or > 100)
            {
                throw new ArgumentException($"--n must be between 1 and 100; it was {count}.");
            }

            BundleSession session = BundleSession.Open(parse.GetValue(models));
            IRecommenderModel recommender = session.Model(parse.GetValue(model));
            bool withReasons = parse.GetValue(explain);
            if (parse.GetValue(user) is int id)
            {
                session.CheckUser(id);
                PrintRecommendations(console, session, recommender, id, count, withReasons);
                return 0;
            }

            if (!inputIsTerminal())
            {
                throw new ArgumentException("--user is required when input is not a terminal (e.g. movierec recommend --user 1).");
            }

            return PromptLoop(console, () => console.Prompt(new TextPrompt<string>(UserPrompt).AllowEmpty()), session, recommender, count, withReasons);
        }));
        return command;
    }

    /// <summary>Asks for user ids until an empty answer; a bad id is reported and asked again.</summary>
    internal static int PromptLoop(IAnsiConsole console, Func<string?> ask, BundleSession session, IRecommenderModel model, int n, bool explain)
    {
        while (true)
        {
            string? answer = ask()?.Trim();
            if (string.IsNullOrEmpty(answer))
            {
                return 0;
            }

            if (!int.TryParse(answer, NumberStyles.Integer, CultureInfo.InvariantCulture, out int id))
            {
                console.MarkupLineInterpolated($"[red]error:[/] '{answer}' is not a user id (a whole number).");
                continue;
            }

            try
            {
                session.CheckUser(id);
                PrintRecommendations(console, session, model, id, n, explain);
            }
            catch (ArgumentException e)
            {
                console.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            }
        }
    }

    private static void PrintRecommendations(IAnsiConsole console, BundleSession session, IRecommenderModel model, int userId, int n, bool explain)
    {
        IReadOnlyList<ScoredMovie> top = model.Recommend(userId, n, excludeRated: true);
        // A heading line rather than a table title, which wraps to the table's width.
        console.MarkupLineInterpolated($"[bold]Top {top.Count} for user {userId} by {model.Name}[/] (bundle {session.Bundle.Manifest.Id})");
        var table = new Table();
        table.AddColumn("#");
        table.AddColumn("movie");
        table.AddColumn(new TableColumn("score").RightAligned());
        if (explain)
        {
            table.AddColumn("because you liked");
        }

        Explainer? explainer = explain ? new Explainer(session, userId) : null;
        for (int r = 0; r < top.Count; r++)
        {
            var row = new List<string>
            {
                (r + 1).ToString(CultureInfo.InvariantCulture),
                Markup.Escape(session.Title(top[r].MovieId)),
                top[r].Score.ToString("0.000", CultureInfo.InvariantCulture),
            };
            if (explainer is not null)
            {
                row.Add(Markup.Escape(explainer.BecauseYouLiked(top[r].MovieId) is int liked ? session.Title(liked) : "-"));
            }

            table.AddRow([.. row]);
        }

        console.Write(table);
    }

    private static Command Similar(IAnsiConsole console)
    {
        var movie = new Argument<string>("movie") { Description = "A movie id or a title (matched with the same search as the page: \"toy story\", \"godfather\")" };
        var model = ModelOption("item-knn, else svd, else the first model that can");
        var n = new Option<int>("--n", "-n") { Description = "How many movies", DefaultValueFactory = _ => 10 };
        var models = ModelsOption();
        var command = new Command("similar", "Movies most similar to one, from the current model bundle.") { movie, model, n, models };
        command.SetAction(parse => CliApp.Guard(console, () =>
        {
            int count = parse.GetValue(n);
            if (count is < 1 or > 100)
            {
                throw new ArgumentException($"--n must be between 1 and 100; it was {count}.");
            }

            BundleSession session = BundleSession.Open(parse.GetValue(models));
            IReadOnlyList<IRecommenderModel> capable = session.SimilarModels();
            IRecommenderModel recommender;
            if (parse.GetValue(model) is string name)
            {
                recommender = session.Model(name);
                if (!capable.Contains(recommender))
                {
                    throw new ArgumentException($"Model '{recommender.Name}' has no notion of similar movies. Models that have: {string.Join(", ", capable.Select(m => m.Name))}.");
                }
            }
            else
            {
                recommender = capable.FirstOrDefault(m => m.Name == "item-knn") ?? capable.FirstOrDefault(m => m.Name == "svd") ?? capable.FirstOrDefault()
                    ?? throw new ArgumentException($"No model in bundle {session.Bundle.Manifest.Id} can list similar movies.");
            }

            Movie target = session.FindMovie(parse.GetValue(movie)!);
            if (!recommender.Train.Items.Contains(target.MovieId))
            {
                throw new ArgumentException($"{target.Title} has no ratings in the training data, so '{recommender.Name}' cannot compare it with other movies.");
            }

            IReadOnlyList<ScoredMovie> similar = recommender.Capabilities.SimilarItems!.Similar(target.MovieId, count);
            console.MarkupLineInterpolated($"[bold]Movies similar to {target.Title} by {recommender.Name}[/]");
            var table = new Table();
            table.AddColumn("#");
            table.AddColumn("movie");
            table.AddColumn(new TableColumn("similarity").RightAligned());
            for (int r = 0; r < similar.Count; r++)
            {
                table.AddRow((r + 1).ToString(CultureInfo.InvariantCulture), Markup.Escape(session.Title(similar[r].MovieId)),
                    similar[r].Score.ToString("0.000", CultureInfo.InvariantCulture));
            }

            console.Write(table);
            return 0;
        }));
        return command;
    }

    private static Command Predict(IAnsiConsole console)
    {
        var user = new Option<int>("--user", "-u") { Description = "User id", Required = true };
        var movie = new Option<string>("--movie") { Description = "A movie id or a title", Required = true };
        var model = ModelOption("svd, else the bundle's first model");
        var models = ModelsOption();
        var command = new Command("predict", "The rating a model predicts a user gives a movie.") { user, movie, model, models };
        command.SetAction(parse => CliApp.Guard(console, () =>
        {
            BundleSession session = BundleSession.Open(parse.GetValue(models));
            IRecommenderModel recommender = session.Model(parse.GetValue(model));
            int userId = parse.GetValue(user);
            session.CheckUser(userId);
            Movie target = session.FindMovie(parse.GetValue(movie)!);
            Prediction p = recommender.Predict(userId, target.MovieId);
            RatingScale scale = session.Bundle.Ratings.Scale;
            console.MarkupLineInterpolated(
                $"{recommender.Name} predicts user {userId} rates [bold]{target.Title}[/] {p.Rating.ToString("0.00", CultureInfo.InvariantCulture)} (scale {scale}).");
            int u = session.Bundle.Ratings.Users.IndexOf(userId), i = session.Bundle.Ratings.Items.IndexOf(target.MovieId);
            if (i >= 0 && session.Bundle.Ratings.Get(u, i) is float actual)
            {
                console.MarkupLineInterpolated($"User {userId} rated it {actual.ToString("0.0", CultureInfo.InvariantCulture)}.");
            }

            if (p.FallbackReason is string reason)
            {
                console.MarkupLineInterpolated($"[yellow]note:[/] {reason}.");
            }

            return 0;
        }));
        return command;
    }

    /// <summary>
    /// "Because you liked ...": of the movies the user rated highly, the one most similar to a recommendation, by
    /// the bundle's item-item similarity (item-knn where present, else the first model that has one).
    /// </summary>
    private sealed class Explainer
    {
        private readonly IRecommenderModel? _similarity;
        private readonly HashSet<int> _liked;

        public Explainer(BundleSession session, int userId)
        {
            IReadOnlyList<IRecommenderModel> capable = session.SimilarModels();
            _similarity = capable.FirstOrDefault(m => m.Name == "item-knn") ?? capable.FirstOrDefault();
            IReadOnlyList<(int MovieId, float Rating)> history = session.History(userId);
            float threshold = history.Count == 0 ? 0 : Math.Max(history[Math.Min(history.Count - 1, 19)].Rating, session.Bundle.Ratings.Scale.Max * 0.7f);
            _liked = [.. history.Where(h => h.Rating >= threshold).Select(h => h.MovieId)];
        }

        public int? BecauseYouLiked(int movieId)
        {
            if (_similarity is null || _liked.Count == 0 || !_similarity.Train.Items.Contains(movieId))
            {
                return null;
            }

            foreach (ScoredMovie s in _similarity.Capabilities.SimilarItems!.Similar(movieId, 200))
            {
                if (_liked.Contains(s.MovieId))
                {
                    return s.MovieId;
                }
            }

            return null;
        }
    }
}
