using System.Collections.Frozen;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using MovieRec.Api.Contracts;
using MovieRec.Api.Extensions;
using MovieRec.Api.Hosting;
using MovieRec.Core.Data;
using MovieRec.Core.Models;

namespace MovieRec.Api.Apis;

/// <summary>The catalogue: search, one movie, similar movies.</summary>
public static class MovieApi
{
    public static IEndpointRouteBuilder MapMovieApi(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder api = app.MapGroup("/movies").WithTags("Movies");
        api.MapGet("/", SearchMovies).WithName("SearchMovies").WithSummary("Search the catalogue by title (best match first, forgiving \"Title, The\" and small typos) and genre, a page at a time");
        api.MapGet("/{id:int}", GetMovie).WithName("GetMovie").WithSummary("One movie with its rating count and mean")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/{id:int}/similar", SimilarMovies).WithName("SimilarMovies").WithSummary("Movies most similar to one, by a model that has a similarity")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    public static Results<Ok<MoviePage>, ValidationProblem, ProblemHttpResult> SearchMovies(
        ModelHost host,
        [Description("Text the title contains (case-insensitive).")] string? query = null,
        [Description("Only movies of this genre (case-insensitive), e.g. Animation.")] string? genre = null,
        [Description("1-based page number."), Range(1, int.MaxValue)] int page = 1,
        [Description("Movies per page, 1 to 100."), Range(1, ApiProblems.MaxN)] int pageSize = 20)
    {
        if (host.Current is not ServedBundle bundle)
        {
            return ApiProblems.NotReady();
        }

        if (page < 1)
        {
            return ApiProblems.Invalid("page", $"'page' must be at least 1; it was {page}.");
        }

        if ((ApiProblems.CheckN(pageSize, "pageSize") ?? ApiProblems.CheckGenre(bundle, genre)) is ValidationProblem invalid)
        {
            return invalid;
        }

        string? text = string.IsNullOrWhiteSpace(query) ? null : query.Trim();
        FrozenSet<int>? inGenre = genre is null ? null : bundle.MoviesByGenre[genre];
        IEnumerable<Movie> matches = text is not null
            ? bundle.Search.Search(text, inGenre is null ? null : m => inGenre.Contains(m.MovieId)).Select(m => m.Movie)
            : inGenre is null ? bundle.MoviesInOrder : bundle.MoviesInOrder.Where(m => inGenre.Contains(m.MovieId));

        Movie[] all = [.. matches];
        MovieResponse[] items = [.. all.Skip((int)Math.Min(int.MaxValue, (long)(page - 1) * pageSize)).Take(pageSize).Select(m => ToResponse(bundle, m))];
        return TypedResults.Ok(new MoviePage(page, pageSize, all.Length, items));
    }

    public static Results<Ok<MovieResponse>, ProblemHttpResult> GetMovie([Description("MovieLens movie id.")] int id, ModelHost host)
    {
        if (host.Current is not ServedBundle bundle)
        {
            return ApiProblems.NotReady();
        }

        return bundle.MoviesById.TryGetValue(id, out Movie? movie) ? TypedResults.Ok(ToResponse(bundle, movie)) : ApiProblems.UnknownMovie(id);
    }

    public static Results<Ok<SimilarMoviesResponse>, ValidationProblem, ProblemHttpResult> SimilarMovies(
        [Description("MovieLens movie id.")] int id, ModelHost host,
        [Description("How many movies, 1 to 100."), Range(1, ApiProblems.MaxN)] int n = 10,
        [Description("A model with a notion of similarity (see supportsSimilar in GET /models); absent means MovieRec:DefaultModel if it has one, else item-knn, else svd.")] string? model = null,
        IOptions<MovieRecOptions>? options = null, HttpContext? context = null)
    {
        if (host.Current is not ServedBundle bundle)
        {
            return ApiProblems.NotReady();
        }

        if (ApiProblems.CheckN(n) is ValidationProblem invalid)
        {
            return invalid;
        }

        if (!ApiProblems.TryGetSimilarModel(bundle, model, options?.Value ?? new MovieRecOptions(), out IRecommenderModel recommender, out ValidationProblem? unknownModel))
        {
            return unknownModel!;
        }

        if (bundle.CapabilitiesOf(recommender).SimilarItems is not ISimilarItems similar)
        {
            return ApiProblems.Invalid("model",
                $"Model '{recommender.Name}' has no notion of similar movies. Models that have: {string.Join(", ", bundle.SimilarModels)}.");
        }

        if (!bundle.IsKnownMovie(id))
        {
            return ApiProblems.UnknownMovie(id);
        }

        context.SetAnsweringModel(recommender.Name);
        return TypedResults.Ok(new SimilarMoviesResponse(id, recommender.Name, bundle.Id, RecommendationApi.Rank(bundle, similar.Similar(id, n))));
    }

    private static MovieResponse ToResponse(ServedBundle bundle, Movie movie)
    {
        int i = bundle.Ratings.Items.IndexOf(movie.MovieId);
        int count = i < 0 ? 0 : bundle.Ratings.ItemRatingCount(i);
        double? mean = null;
        if (count > 0)
        {
            double sum = 0;
            foreach (float r in bundle.Ratings.RatingsOfItem(i))
            {
                sum += r;
            }

            mean = Math.Round(sum / count, 3);
        }

        MovieLink? link = bundle.Links.GetValueOrDefault(movie.MovieId);
        return new MovieResponse(movie.MovieId, movie.Title, movie.Year, movie.Genres, count, mean, link?.ImdbId, link?.TmdbId);
    }
}
