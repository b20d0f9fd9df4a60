using Microsoft.AspNetCore.Http.HttpResults;
using MovieRec.Api.Contracts;
using MovieRec.Api.Hosting;
using MovieRec.Core.Data;
using MovieRec.Core.Models;
using MovieRec.Core.Models.Baselines;
using MovieRec.Core.Models.Factorization;

namespace MovieRec.Api.Apis;

/// <summary>GET /recommend/user for users in the data, POST /recommend for visitors.</summary>
public static class RecommendationApi
{
    /// <summary>Ratings one visitor request may carry: fold-in cost grows with them (10,400 ratings took 0.15-0.8 s of CPU).</summary>
    public const int MaxVisitorRatings = 1000;

    public static IEndpointRouteBuilder MapRecommendationApi(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder api = app.MapGroup("/recommend").WithTags("Recommendations");
        api.MapGet("/user", RecommendForUser).WithName("RecommendForUser")
            .WithSummary("Top-n movies for a user in the data, best first, without what they rated (excludeRated)");
        api.MapPost("/", RecommendForVisitor).WithName("RecommendForVisitor")
            .WithSummary("Top-n movies for a visitor from the ratings they give: fold-in for factorization models, popularity otherwise");
        return app;
    }

    public static Results<Ok<RecommendationResponse>, ValidationProblem, ProblemHttpResult> RecommendForUser(
        ModelHost host, int userId, int n = 10, string? model = null, string? genre = null, bool excludeRated = true, bool allowFallback = false)
    {
        if (host.Current is not ServedBundle bundle)
        {
            return ApiProblems.NotReady();
        }

        if ((ApiProblems.CheckN(n) ?? ApiProblems.CheckGenre(bundle, genre)) is ValidationProblem invalid)
        {
            return invalid;
        }

        if (!ApiProblems.TryGetModel(bundle, model, out IRecommenderModel recommender, out ValidationProblem? unknownModel))
        {
            return unknownModel!;
        }

        bool known = bundle.IsKnownUser(userId);
        if (!known && !allowFallback)
        {
            return ApiProblems.UnknownUser(userId);
        }

        IReadOnlyList<ScoredMovie> top = bundle.Recommend(recommender, userId, n, excludeRated, genre);
        return TypedResults.Ok(new RecommendationResponse(userId, recommender.Name, recommender.Name, known ? "model" : "non-personal",
            known ? null : $"user {userId} is not in the training data; the model's non-personal ranking answered",
            bundle.Id, Rank(bundle, top)));
    }

    public static Results<Ok<RecommendationResponse>, ValidationProblem, ProblemHttpResult> RecommendForVisitor(VisitorRecommendationRequest request, ModelHost host)
    {
        if (host.Current is not ServedBundle bundle)
        {
            return ApiProblems.NotReady();
        }

        if ((ApiProblems.CheckN(request.N) ?? ApiProblems.CheckGenre(bundle, request.Genre)) is ValidationProblem invalid)
        {
            return invalid;
        }

        if (!ApiProblems.TryGetModel(bundle, request.Model, out IRecommenderModel model, out ValidationProblem? unknownModel))
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
        if (given.Count > 0 && model is MatrixFactorizationModel factorization)
        {
            IReadOnlyList<ScoredMovie> folded = factorization.FoldIn(given).Recommend(request.N, inGenre);
            return TypedResults.Ok(new RecommendationResponse(null, model.Name, model.Name, "fold-in", null, bundle.Id, Rank(bundle, folded)));
        }

        // No ratings, or a model that cannot place a new user: the most popular movies the visitor has not rated
        // (or, in a bundle without the popular model, the chosen model's ranking for an unknown user).
        bool hasPopular = bundle.Bundle.Models.TryGetValue(PopularityTrainer.ModelName, out IRecommenderModel? popular);
        IRecommenderModel answering = hasPopular ? popular! : model;
        var rated = given.Select(g => g.MovieId).ToHashSet();
        IReadOnlyList<ScoredMovie> top = answering.Recommend(-1, request.N, excludeRated: false,
            id => !rated.Contains(id) && (inGenre is null || inGenre(id)));
        string why = given.Count == 0 ? "no ratings were given" : $"model '{model.Name}' cannot fold in a visitor";
        string reason = hasPopular ? $"{why}; the most popular movies answered" : $"{why}; the model's non-personal ranking answered";
        return TypedResults.Ok(new RecommendationResponse(null, model.Name, answering.Name, hasPopular ? "popularity" : "non-personal",
            reason, bundle.Id, Rank(bundle, top)));
    }

    /// <summary>Ranked movies with their catalogue entries.</summary>
    internal static RankedMovie[] Rank(ServedBundle bundle, IReadOnlyList<ScoredMovie> top)
    {
        var items = new RankedMovie[top.Count];
        for (int r = 0; r < items.Length; r++)
        {
            ScoredMovie s = top[r];
            Movie? movie = bundle.MoviesById.GetValueOrDefault(s.MovieId);
            items[r] = new RankedMovie(r + 1, s.MovieId, movie?.Title ?? $"movie {s.MovieId}", movie?.Year, movie?.Genres ?? [], s.Score);
        }

        return items;
    }
}
