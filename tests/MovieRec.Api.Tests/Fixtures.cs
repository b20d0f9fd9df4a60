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

    /// <summary>Writes an ml-latest-style folder (under data/); the catalogue has two more movies than the ratings mention.</summary>
    public static string WriteCsvDataset(TempFolder folder, Rating[] ratings, int movies = Movies + 2) =>
        MovieRec.Tests.Shared.SyntheticData.WriteCsvDataset(folder, ratings, movies, "data");
}
