using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using MovieRec.Api.Contracts;
using MovieRec.Api.Hosting;
using MovieRec.Core.Data;
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

    /// <summary>Deepest page start.</summary>
    public const int MaxOffset = 10_000;

    public static IEndpointRouteBuilder MapRecommendationApi(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder api = app.MapGroup("/recommend").WithTags("Recommendations");
        api.MapGet("/user", RecommendForUser).WithName("RecommendForUser")
            .WithSummary("Top-n movies (from offset) for a user in the data or with live ratings, best first, without what they rated; follows live ratings at once");
        api.MapPost("/", RecommendForVisitor).WithName("RecommendForVisitor")
            .WithSummary("Top-n movies for a visitor from the ratings they give: fold-in for models that can place a new user, popularity otherwise");
        return app;
    }

    public static Results<Ok<RecommendationResponse>, ValidationProblem, ProblemHttpResult> RecommendForUser(
        ModelHost host, LiveFeedback feedback, IOptions<MovieRecOptions> options, int userId, int n = 10, int offset = 0, string? model = null,
        string? genre = null, bool excludeRated = true, bool allowFallback = false, bool explain = false)
    {
        if (host.Current is not ServedBundle bundle)
        {
            return ApiProblems.NotReady();
        }

        if ((ApiProblems.CheckN(n) ?? CheckOffset(offset) ?? ApiProblems.CheckGenre(bundle, genre)) is ValidationProblem invalid)
        {
            return invalid;
        }

        if (!TryGetModel(bundle, model, options.Value, out IRecommenderModel recommender, out ValidationProblem? unknownModel))
        {
            return unknownModel!;
        }

        UserLiveRatings? live = feedback.Get(userId);
        bool known = bundle.IsKnownUser(userId) || live?.HasRatings == true;
        if (!known && !allowFallback)
        {
            return ApiProblems.UnknownUser(userId);
        }

        bool explainable = explain && recommender is IExplainable;
        LiveRecommendation page = bundle.Recommend(recommender, userId, live, offset, n, excludeRated, genre, fromHistory: explainable);
        UserHistory? history = explainable ? page.History ?? bundle.History(recommender, userId, live) : null;
        string method = known ? page.Method : "non-personal";
        return TypedResults.Ok(new RecommendationResponse(userId, recommender.Name, recommender.Name, method,
            known ? null : $"user {userId} is not in the training data and has no live ratings; the model's non-personal ranking answered",
            bundle.Id, Rank(bundle, page.Items, offset, recommender, history))
        {
            Offset = offset,
            LiveVersion = live?.Version ?? 0,
        });
    }

    public static Results<Ok<RecommendationResponse>, ValidationProblem, ProblemHttpResult> RecommendForVisitor(
        VisitorRecommendationRequest request, ModelHost host, IOptions<MovieRecOptions> options)
    {
        if (host.Current is not ServedBundle bundle)
        {
            return ApiProblems.NotReady();
        }

        if ((ApiProblems.CheckN(request.N) ?? CheckOffset(request.Offset) ?? ApiProblems.CheckGenre(bundle, request.Genre)) is ValidationProblem invalid)
        {
            return invalid;
        }

        if (!TryGetModel(bundle, request.Model, options.Value, out IRecommenderModel model, out ValidationProblem? unknownModel))
        {
            return unknownModel!;
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

        Func<int, bool>? inGenre = request.Genre is null ? null : bundle.MoviesByGenre[request.Genre].Contains;
        UserHistory history = UserHistory.From(model.Train, given);
        if (history.Count > 0 && model is IFoldIn foldIn)
        {
            float[] scores = new float[model.Train.ItemCount];
            foldIn.ScoreHistory(history, scores);
            Func<int, bool>? include = inGenre is null ? null : i => inGenre(model.Train.Items.RawId(i));
            int[] top = Core.Numerics.TopK.Select(scores, request.Offset + request.N, history.Items, include);
            ScoredMovie[] folded = [.. top.Skip(request.Offset).Select(i => new ScoredMovie(model.Train.Items.RawId(i), scores[i]))];
            return TypedResults.Ok(new RecommendationResponse(null, model.Name, model.Name, "fold-in", null, bundle.Id,
                Rank(bundle, folded, request.Offset, model, request.Explain ? history : null)) { Offset = request.Offset });
        }

        // No ratings, or a model that cannot place a new user: the most popular movies the visitor has not rated
        // (or, in a bundle without the popular model, the chosen model's ranking for an unknown user).
        bool hasPopular = bundle.Bundle.Models.TryGetValue(PopularityTrainer.ModelName, out IRecommenderModel? popular);
        IRecommenderModel answering = hasPopular ? popular! : model;
        var rated = given.Select(g => g.MovieId).ToHashSet();
        IReadOnlyList<ScoredMovie> top2 = [.. answering.Recommend(-1, request.Offset + request.N, excludeRated: false,
            id => !rated.Contains(id) && (inGenre is null || inGenre(id))).Skip(request.Offset)];
        string why = given.Count == 0 ? "no ratings were given" : $"model '{model.Name}' cannot fold in a visitor";
        string reason = hasPopular ? $"{why}; the most popular movies answered" : $"{why}; the model's non-personal ranking answered";
        return TypedResults.Ok(new RecommendationResponse(null, model.Name, answering.Name, hasPopular ? "popularity" : "non-personal",
            reason, bundle.Id, Rank(bundle, top2, request.Offset, null, null)) { Offset = request.Offset });
    }

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

    private static ValidationProblem? CheckOffset(int offset) =>
        offset is < 0 or > MaxOffset ? ApiProblems.Invalid("offset", $"'offset' must be between 0 and {MaxOffset}; it was {offset}.") : null;

    /// <summary>Ranked movies with their catalogue entries and, given a history of an explainable model, why each is there.</summary>
    internal static RankedMovie[] Rank(ServedBundle bundle, IReadOnlyList<ScoredMovie> top, int offset = 0, IRecommenderModel? model = null, UserHistory? history = null)
    {
        var items = new RankedMovie[top.Count];
        IExplainable? explainer = history is null ? null : model as IExplainable;
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
