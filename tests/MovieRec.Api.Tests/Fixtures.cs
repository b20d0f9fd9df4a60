using System.Globalization;
using System.Text;
using MovieRec.Core.Data;

namespace MovieRec.Api.Tests;

/// <summary>The small synthetic dataset of MovieRec.Core.Tests (a seeded two-factor taste model), written as ml-latest CSV.</summary>
public static class Fixtures
{
    public const int Users = 40;
    public const int Movies = 60;

    /// <summary>Movie ids start at 1 and step by 3, so raw ids and dense indices differ.</summary>
    public static int MovieId(int m) => MovieRec.Tests.Shared.SyntheticData.MovieId(m);

    public static Rating[] SyntheticRatings(int users = Users, int movies = Movies, int seed = 7) => MovieRec.Tests.Shared.SyntheticData.Ratings(users, movies, seed);

    /// <summary>Writes an ml-latest-style folder; the catalogue has two more movies than the ratings mention.</summary>
    public static string WriteCsvDataset(TempFolder folder, Rating[] ratings, int movies = Movies + 2)
    {
        var sb = new StringBuilder("userId,movieId,rating,timestamp\n");
        foreach (Rating r in ratings)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{r.UserId},{r.MovieId},{r.Value:0.0},{r.Timestamp}\n");
        }

        folder.Write("data/ratings.csv", sb.ToString());
        var m = new StringBuilder("movieId,title,genres\n");
        string[] genres = ["Animation|Children", "Comedy", "Drama|Romance", "Action|Sci-Fi", "(no genres listed)"];
        for (int i = 0; i < movies; i++)
        {
            m.Append(CultureInfo.InvariantCulture, $"{MovieId(i)},\"Movie {i}, The ({1990 + (i % 20)})\",{genres[i % genres.Length]}\n");
        }

        folder.Write("data/movies.csv", m.ToString());
        folder.Write("data/tags.csv", "userId,movieId,tag,timestamp\n1,1,funny,1000\n");
        folder.Write("data/links.csv", "movieId,imdbId,tmdbId\n1,0114709,862\n");
        return System.IO.Path.Combine(folder.Path, "data");
    }
}
