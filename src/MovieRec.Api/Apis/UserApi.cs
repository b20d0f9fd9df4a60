using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using MovieRec.Api.Contracts;
using MovieRec.Api.Hosting;
using MovieRec.Core.Data;
using MovieRec.Core.Feedback;

namespace MovieRec.Api.Apis;

/// <summary>Users' ratings: the dataset's overlaid with live ones.</summary>
public static class UserApi
{
    public const int MaxPageSize = 1000;

    public static IEndpointRouteBuilder MapUserApi(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder api = app.MapGroup("/users").WithTags("Users");
        api.MapGet("/{id:int}/ratings", GetUserRatings).WithName("GetUserRatings")
            .WithSummary("A user's ratings (dataset overlaid with live ratings), highest first, one page at a time")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    public static Results<Ok<UserRatingsResponse>, ValidationProblem, ProblemHttpResult> GetUserRatings(
        [Description("MovieLens user id.")] int id, ModelHost host, LiveFeedback feedback,
        [Description("1-based page number."), Range(1, int.MaxValue)] int page = 1,
        [Description("Ratings per page, 1 to 1000."), Range(1, MaxPageSize)] int pageSize = 100)
    {
        if (host.Current is not ServedBundle bundle)
        {
            return ApiProblems.NotReady();
        }

        if (page < 1)
        {
            return ApiProblems.Invalid("page", $"'page' must be 1 or more; it was {page}.");
        }

        if (pageSize is < 1 or > MaxPageSize)
        {
            return ApiProblems.Invalid("pageSize", $"'pageSize' must be between 1 and {MaxPageSize}; it was {pageSize}.");
        }

        UserLiveRatings? live = feedback.Get(id);
        if (!bundle.IsKnownUser(id) && live is null)
        {
            return ApiProblems.UnknownUser(id, fallbackHint: false);
        }

        IReadOnlyList<(int MovieId, float Rating, bool Live)> merged = LiveOverlay.Merge(bundle.Ratings, id, live?.Ratings);
        var ratings = new UserRatingResponse[merged.Count];
        double sum = 0;
        for (int k = 0; k < ratings.Length; k++)
        {
            (int movieId, float rating, bool isLive) = merged[k];
            Movie? movie = bundle.MoviesById.GetValueOrDefault(movieId);
            ratings[k] = new UserRatingResponse(movieId, movie?.Title, movie?.Year, movie?.Genres ?? [], rating) { Source = isLive ? "live" : "dataset" };
            sum += rating;
        }

        Array.Sort(ratings, (a, b) => a.Rating != b.Rating ? b.Rating.CompareTo(a.Rating) : a.MovieId.CompareTo(b.MovieId));
        long skip = (long)(page - 1) * pageSize;
        UserRatingResponse[] onPage = skip >= ratings.Length ? [] : ratings[(int)skip..(int)Math.Min(ratings.Length, skip + pageSize)];
        return TypedResults.Ok(new UserRatingsResponse(id, ratings.Length, ratings.Length == 0 ? 0 : Math.Round(sum / ratings.Length, 3), onPage)
        {
            Page = page,
            PageSize = pageSize,
            Pages = (ratings.Length + pageSize - 1) / pageSize,
            LiveRatings = merged.Count(r => r.Live),
        });
    }
}
