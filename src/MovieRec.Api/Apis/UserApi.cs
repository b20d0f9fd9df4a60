using Microsoft.AspNetCore.Http.HttpResults;
using MovieRec.Api.Contracts;
using MovieRec.Api.Hosting;
using MovieRec.Core.Data;

namespace MovieRec.Api.Apis;

/// <summary>Users' training ratings.</summary>
public static class UserApi
{
    public static IEndpointRouteBuilder MapUserApi(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder api = app.MapGroup("/users").WithTags("Users");
        api.MapGet("/{id:int}/ratings", GetUserRatings).WithName("GetUserRatings").WithSummary("A user's training ratings, highest first");
        return app;
    }

    public static Results<Ok<UserRatingsResponse>, ProblemHttpResult> GetUserRatings(int id, ModelHost host)
    {
        if (host.Current is not ServedBundle bundle)
        {
            return ApiProblems.NotReady();
        }

        int u = bundle.Ratings.Users.IndexOf(id);
        if (u < 0)
        {
            return ApiProblems.UnknownUser(id, fallbackHint: false);
        }

        ReadOnlySpan<int> items = bundle.Ratings.ItemsOf(u);
        ReadOnlySpan<float> values = bundle.Ratings.RatingsOf(u);
        var ratings = new UserRatingResponse[items.Length];
        double sum = 0;
        for (int k = 0; k < items.Length; k++)
        {
            int movieId = bundle.Ratings.Items.RawId(items[k]);
            Movie? movie = bundle.MoviesById.GetValueOrDefault(movieId);
            ratings[k] = new UserRatingResponse(movieId, movie?.Title, movie?.Year, movie?.Genres ?? [], values[k]);
            sum += values[k];
        }

        Array.Sort(ratings, (a, b) => a.Rating != b.Rating ? b.Rating.CompareTo(a.Rating) : a.MovieId.CompareTo(b.MovieId));
        return TypedResults.Ok(new UserRatingsResponse(id, ratings.Length, items.Length == 0 ? 0 : Math.Round(sum / items.Length, 3), ratings));
    }
}
