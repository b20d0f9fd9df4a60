using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using MovieRec.Api.Contracts;
using MovieRec.Api.Extensions;
using MovieRec.Api.Hosting;
using MovieRec.Core.Data;
using MovieRec.Core.Experiments;
using MovieRec.Core.Models;
using MovieRec.Core.Models.Baselines;

namespace MovieRec.Api.Apis;

/// <summary>GET /recommend/user for users in the data or with live ratings, POST /recommend for visitors.</summary>
public static class RecommendationApi
{
    /// <summary>Ratings one visitor request may carry: fold-in cost grows with them (10,400 ratings took 0.15-0.8 s of CPU).</summary>
    public const int MaxVisitorRatings = 1000;

    /// <summary>Rated movies named per recommended movie with <c>explain=true</c>.</summary>
    public const int ExplanationSize = 3;

    /// <summary>Longest visitor session id.</summary>
    public const int MaxSessionId = 200;

    /// <summary>Deepest page start.</summary>
    public const int MaxOffset = 10_000;

    public static IEndpointRouteBuilder MapRecommendationApi(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder api = app.MapGroup("/recommend").WithTags("Recommendations");
        api.AddEndpointFilter(ScoringGate.Filter);
        api.MapGet("/user", RecommendForUser).WithName("RecommendForUser")
            .WithSummary("Top-n movies (from offset) for a user in the data or with live ratings, best first, without what they rated; follows live ratings at once")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/", RecommendForVisitor).WithName("RecommendForVisitor")
            .WithSummary("Top-n movies for a visitor from the ratings they give: fold-in for models that can place a new user, popularity otherwise")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapBatchRecommendation();
        return app;
    }

    public static async Task<Results<Ok<RecommendationResponse>, ValidationProblem, ProblemHttpResult>> RecommendForUser(
        ModelHost host, LiveFeedback feedback, ExperimentService experiments, VariantModels variantModels, IOptions<MovieRecOptions> options,
        [Description("MovieLens user id; must be in the training data or have live ratings unless allowFallback is set.")] int userId,
        [Description("How many movies, 1 to 100."), Range(1, ApiProblems.MaxN)] int n = 10,
        [Description("Where the page starts in the ranking, 0 to 10000."), Range(0, MaxOffset)] int offset = 0,
        [Description("Model name (see GET /models); absent means the default model (MovieRec:DefaultModel, defaultModel in GET /models).")] string? model = null,
        [Description("Only movies of this genre (case-insensitive), e.g. Comedy.")] string? genre = null,
        [Description("Leave out the movies the user has rated.")] bool excludeRated = true,
        [Description("Answer an unknown user with the model's non-personal ranking instead of 404.")] bool allowFallback = false,
        [Description("Name, for each movie, the user's rated movies that led to it (models that can explain).")] bool explain = false,
        [Description("A running experiment (see GET /experiments) whose variant for this user answers instead of model.")] string? experiment = null,
        CancellationToken cancellationToken = default, HttpContext? context = null)
    {
        if (host.Current is not ServedBundle bundle)
        {
            return ApiProblems.NotReady();
        }

        if ((ApiProblems.CheckN(n) ?? CheckOffset(offset) ?? ApiProblems.CheckGenre(bundle, genre)) is ValidationProblem invalid)
        {
            return invalid;
        }

        UserLiveRatings? live = feedback.Get(userId);
        bool known = bundle.IsKnownUser(userId) || live?.HasRatings == true;
        if (!known && !allowFallback)
        {
            return ApiProblems.UnknownUser(userId);
        }

        // Experiments decide the model only when the client names none; later pages stay outside them.
        string unit = $"user:{userId}";
        Enrollment? enrollment = model is null && offset == 0
            ? await experiments.EnrollAsync(unit, experiment, v => variantModels.TryResolve(bundle, v, out _, out _), cancellationToken).ConfigureAwait(false)
            : null;
        if (experiment is not null && enrollment is null)
        {
            return NotEnrolled(experiment);
        }

        if (enrollment is { IsInterleave: true })
        {
            RecommendationResponse interleaved = await InterleaveAsync(bundle, variantModels, experiments, enrollment, unit, userId, known, n,
                (served, m, count) => served.Recommend(m, userId, live, 0, count, excludeRated, genre).Items, cancellationToken).ConfigureAwait(false);
            context.SetAnsweringModel(interleaved.AnsweredBy);
            return TypedResults.Ok(interleaved);
        }

        // A variant with options answers from its own trained model, served through its own bundle view.
        ServedBundle scoring = bundle;
        IRecommenderModel recommender;
        if (enrollment is not null)
        {
            if (!variantModels.TryResolve(bundle, enrollment.Variant!, out scoring, out recommender))
            {
                return NotEnrolled(enrollment.Experiment.Name);
            }
        }
        else if (!TryGetModel(bundle, model, options.Value, out recommender, out ValidationProblem? unknownModel))
        {
            return unknownModel!;
        }

        context.SetAnsweringModel(recommender.Name);
        bool explainable = explain && bundle.CapabilitiesOf(recommender).Explainable is not null;
        LiveRecommendation page = scoring.Recommend(recommender, userId, live, offset, n, excludeRated, genre, fromHistory: explainable);
        UserHistory? history = explainable ? page.History ?? scoring.History(recommender, userId, live) : null;
        RecommendationResponse response = UserResponse(bundle, recommender, userId, known, live, offset, page, history);
        return TypedResults.Ok(enrollment is null ? response
            : await RecordAsync(experiments, enrollment, unit, userId, response, null, cancellationToken).ConfigureAwait(false));
    }

    public static async Task<Results<Ok<RecommendationResponse>, ValidationProblem, ProblemHttpResult>> RecommendForVisitor(
        VisitorRecommendationRequest request, ModelHost host, ExperimentService experiments, VariantModels variantModels, IOptions<MovieRecOptions> options,
        CancellationToken cancellationToken = default, HttpContext? context = null)
    {
        if (host.Current is not ServedBundle bundle)
        {
            return ApiProblems.NotReady();
        }

        if ((ApiProblems.CheckN(request.N) ?? CheckOffset(request.Offset) ?? ApiProblems.CheckGenre(bundle, request.Genre)) is ValidationProblem invalid)
        {
            return invalid;
        }

        if (request.SessionId is { } session && (string.IsNullOrWhiteSpace(session) || session.Length > MaxSessionId))
        {
            return ApiProblems.Invalid("sessionId", $"'sessionId' must be 1 to {MaxSessionId} characters, not blank.");
        }

        if (request.Experiment is not null && request.SessionId is null)
        {
            return ApiProblems.Invalid("sessionId", "'sessionId' is required with 'experiment': visitors are assigned to variants by their session.");
        }

        IReadOnlyList<VisitorRating> ratings = request.Ratings ?? [];
        if (ratings.Count > MaxVisitorRatings)
        {
            return ApiProblems.Invalid("ratings", $"'ratings' may hold at most {MaxVisitorRatings} ratings; it held {ratings.Count}.");
        }

        RatingScale scale = bundle.Ratings.Scale;
        var given = new List<(int MovieId, float Rating)>(ratings.Count);
        for (int r = 0; r < ratings.Count; r++)
        {
            VisitorRating rating = ratings[r];
            if (rating is null)
            {
                return ApiProblems.Invalid($"ratings[{r}]", $"'ratings[{r}]' is null; every rating must be an object with movieId and rating.");
            }

            if (!scale.Contains(rating.Rating))
            {
                return ApiProblems.Invalid($"ratings[{r}].rating", $"'ratings[{r}].rating' must be within {scale}; it was {rating.Rating}.");
            }

            if (!bundle.IsKnownMovie(rating.MovieId))
            {
                return ApiProblems.UnknownMovie(rating.MovieId);
            }

            given.Add((rating.MovieId, rating.Rating));
        }

        string? unit = request.SessionId is null ? null : $"session:{request.SessionId}";
        Enrollment? enrollment = unit is not null && request.Model is null && request.Offset == 0
            ? await experiments.EnrollAsync(unit, request.Experiment, v => variantModels.TryResolve(bundle, v, out _, out _), cancellationToken).ConfigureAwait(false)
            : null;
        if (request.Experiment is not null && enrollment is null)
        {
            return NotEnrolled(request.Experiment);
        }

        if (enrollment is { IsInterleave: true })
        {
            RecommendationResponse interleaved = await InterleaveAsync(bundle, variantModels, experiments, enrollment, unit!, null, true, request.N,
                (_, m, count) => VisitorList(bundle, m, given, count, 0, request.Genre).Items, cancellationToken).ConfigureAwait(false);
            context.SetAnsweringModel(interleaved.AnsweredBy);
            return TypedResults.Ok(interleaved);
        }

        IRecommenderModel model;
        if (enrollment is not null)
        {
            if (!variantModels.TryResolve(bundle, enrollment.Variant!, out _, out model))
            {
                return NotEnrolled(enrollment.Experiment.Name);
            }
        }
        else if (!TryGetModel(bundle, request.Model, options.Value, out model, out ValidationProblem? unknownModel))
        {
            return unknownModel!;
        }

        (IReadOnlyList<ScoredMovie> items, IRecommenderModel answering, string method, string? reason, UserHistory? history) =
            VisitorList(bundle, model, given, request.N, request.Offset, request.Genre);
        context.SetAnsweringModel(answering.Name);
        var response = new RecommendationResponse(null, model.Name, answering.Name, method, reason, bundle.Id,
            Rank(bundle, items, request.Offset, history is null ? null : model, request.Explain ? history : null)) { Offset = request.Offset };
        return TypedResults.Ok(enrollment is null ? response
            : await RecordAsync(experiments, enrollment, unit!, null, response, null, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// A visitor's list from their ratings: fold-in where the model can place a new user, else the most popular
    /// movies they have not rated (or the model's non-personal ranking in a bundle without the popular model).
    /// </summary>
    private static (IReadOnlyList<ScoredMovie> Items, IRecommenderModel Answering, string Method, string? Reason, UserHistory? History) VisitorList(
        ServedBundle bundle, IRecommenderModel model, List<(int MovieId, float Rating)> given, int n, int offset, string? genre)
    {
        Func<int, bool>? inGenre = genre is null ? null : bundle.MoviesByGenre[genre].Contains;
        UserHistory history = UserHistory.From(model.Train, given);
        Func<int, bool>? include = inGenre is null ? null : i => inGenre(model.Train.Items.RawId(i));
        if (history.Count > 0 && bundle.FoldInTop(model, history, offset + n, history.Items, include) is { } top)
        {
            ScoredMovie[] folded = [.. top.Items.Zip(top.Scores).Skip(offset).Select(t => new ScoredMovie(model.Train.Items.RawId(t.First), t.Second))];
            return (folded, model, "fold-in", null, history);
        }

        // No ratings, or a model that cannot place a new user: the most popular movies the visitor has not rated
        // (or, in a bundle without the popular model, the chosen model's ranking for an unknown user).
        bool hasPopular = bundle.Bundle.Models.TryGetValue(PopularityTrainer.ModelName, out IRecommenderModel? popular);
        IRecommenderModel answering = hasPopular ? popular! : model;
        var rated = given.Select(g => g.MovieId).ToHashSet();
        IReadOnlyList<ScoredMovie> top2 = [.. answering.Recommend(-1, offset + n, excludeRated: false,
            id => !rated.Contains(id) && (inGenre is null || inGenre(id))).Skip(offset)];
        string why = given.Count == 0 ? "no ratings were given" : $"model '{model.Name}' cannot fold in a visitor";
        string reason = hasPopular ? $"{why}; the most popular movies answered" : $"{why}; the model's non-personal ranking answered";
        return (top2, answering, hasPopular ? "popularity" : "non-personal", reason, null);
    }

    /// <summary>
    /// Team-draft interleaving of the two variants' lists; each item says which variant contributed it, and the
    /// list is recorded with its teams. The coin flips are seeded by the recommendation id, so a list can be replayed.
    /// </summary>
    private static async Task<RecommendationResponse> InterleaveAsync(ServedBundle bundle, VariantModels variantModels, ExperimentService experiments,
        Enrollment enrollment, string unit, int? userId, bool known, int n, Func<ServedBundle, IRecommenderModel, int, IReadOnlyList<ScoredMovie>> listOf,
        CancellationToken cancellationToken)
    {
        VariantDefinition a = enrollment.Experiment.Variants[0], b = enrollment.Experiment.Variants[1];
        // Enrolment checked that both variants' models are ready (a variant with options has its own trained model).
        variantModels.TryResolve(bundle, a, out ServedBundle servedA, out IRecommenderModel modelA);
        variantModels.TryResolve(bundle, b, out ServedBundle servedB, out IRecommenderModel modelB);
        IReadOnlyList<ScoredMovie> listA = listOf(servedA, modelA, n), listB = listOf(servedB, modelB, n);
        string id = ExperimentService.NewRecommendationId();
        InterleavedList list = TeamDraftInterleaving.Interleave([.. listA.Select(s => s.MovieId)], [.. listB.Select(s => s.MovieId)], n,
            new Random(StringComparer.Ordinal.GetHashCode(id)));
        var scores = new Dictionary<int, float>();
        foreach (ScoredMovie s in listB)
        {
            scores[s.MovieId] = s.Score;
        }

        foreach (ScoredMovie s in listA)
        {
            scores[s.MovieId] = s.Score;
        }

        ScoredMovie[] merged = [.. list.Items.Select(m => new ScoredMovie(m, scores[m]))];
        RankedMovie[] ranked = Rank(bundle, merged);
        for (int p = 0; p < ranked.Length; p++)
        {
            ranked[p] = ranked[p] with { Variant = list.TeamName(p, a.Name, b.Name) };
        }

        string models = $"{modelA.Name}+{modelB.Name}";
        var response = new RecommendationResponse(userId, models, models, "interleave",
            known ? null : $"user {userId} is not in the training data and has no live ratings; the models' non-personal rankings answered",
            bundle.Id, ranked);
        return await RecordAsync(experiments, enrollment, unit, userId, response, list.Teams, cancellationToken, id).ConfigureAwait(false);
    }

    /// <summary>Records the served list in its experiment and adds the experiment, variant and recommendation id to the response.</summary>
    private static async Task<RecommendationResponse> RecordAsync(ExperimentService experiments, Enrollment enrollment, string unit, int? userId,
        RecommendationResponse response, IReadOnlyList<int>? teams, CancellationToken cancellationToken, string? id = null)
    {
        string recommendationId = await experiments.RecordAsync(enrollment, unit, userId, [.. response.Items.Select(i => i.MovieId)], teams, cancellationToken,
            id).ConfigureAwait(false);
        return response with { Experiment = enrollment.Experiment.Name, Variant = enrollment.VariantName, RecommendationId = recommendationId };
    }

    /// <summary>The answer for a user's page (GET /recommend/user and each entry of POST /recommend/batch).</summary>
    internal static RecommendationResponse UserResponse(ServedBundle bundle, IRecommenderModel recommender, int userId, bool known, UserLiveRatings? live,
        int offset, LiveRecommendation page, UserHistory? history = null) =>
        new(userId, recommender.Name, recommender.Name, known ? page.Method : "non-personal",
            known ? null : $"user {userId} is not in the training data and has no live ratings; the model's non-personal ranking answered",
            bundle.Id, Rank(bundle, page.Items, offset, recommender, history))
        {
            Offset = offset,
            LiveVersion = live?.Version ?? 0,
        };

    private static ValidationProblem NotEnrolled(string experiment) => ApiProblems.Invalid("experiment",
        $"'experiment' names '{experiment}', which is not a running experiment (unknown, outside its active window, its models are not in the served bundle, or a variant's model with options is still training); GET /experiments lists them.");

    /// <summary>The named model, or <c>MovieRec:DefaultModel</c> when none is named (falling back to the best ranker the bundle has).</summary>
    internal static bool TryGetModel(ServedBundle bundle, string? name, MovieRecOptions options, out IRecommenderModel model, out ValidationProblem? problem)
    {
        if (name is null)
        {
            foreach (string candidate in (string[])[options.DefaultModel, "hybrid", "implicit-als", "svd"])
            {
                if (bundle.Bundle.Models.TryGetValue(candidate, out IRecommenderModel? found))
                {
                    model = found;
                    problem = null;
                    return true;
                }
            }

            name = bundle.ModelNames.Count > 0 ? bundle.ModelNames[0] : options.DefaultModel;
        }

        return ApiProblems.TryGetModel(bundle, name, out model, out problem);
    }

    internal static ValidationProblem? CheckOffset(int offset) =>
        offset is < 0 or > MaxOffset ? ApiProblems.Invalid("offset", $"'offset' must be between 0 and {MaxOffset}; it was {offset}.") : null;

    /// <summary>Ranked movies with their catalogue entries and, given a history of an explainable model, why each is there.</summary>
    internal static RankedMovie[] Rank(ServedBundle bundle, IReadOnlyList<ScoredMovie> top, int offset = 0, IRecommenderModel? model = null, UserHistory? history = null)
    {
        var items = new RankedMovie[top.Count];
        IExplainable? explainer = history is null || model is null ? null : bundle.CapabilitiesOf(model).Explainable;
        for (int r = 0; r < items.Length; r++)
        {
            ScoredMovie s = top[r];
            Movie? movie = bundle.MoviesById.GetValueOrDefault(s.MovieId);
            IReadOnlyList<Explanation>? because = null;
            if (explainer is not null)
            {
                because = [.. explainer.Explain(history!, s.MovieId, ExplanationSize).Select(c =>
                    new Explanation(c.MovieId, bundle.MoviesById.GetValueOrDefault(c.MovieId)?.Title ?? $"movie {c.MovieId}", c.Weight))];
            }

            items[r] = new RankedMovie(offset + r + 1, s.MovieId, movie?.Title ?? $"movie {s.MovieId}", movie?.Year, movie?.Genres ?? [], s.Score)
            {
                Because = because,
            };
        }

        return items;
    }
}
