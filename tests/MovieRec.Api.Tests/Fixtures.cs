using System.Globalization;
using System.Text;
using MovieRec.Core.Data;

namespace MovieRec.Api.Tests;

/// <summary>A temporary folder for one test class, removed afterwards.</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "movierec-api-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Write(string name, string content)
    {
        string file = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
        File.WriteAllText(file, content, new UTF8Encoding(false));
        return file;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>The small synthetic dataset of MovieRec.Core.Tests (a seeded two-factor taste model), written as ml-latest CSV.</summary>
public static class Fixtures
{
    public const int Users = 40;
    public const int Movies = 60;

    /// <summary>Movie ids start at 1 and step by 3, so raw ids and dense indices differ.</summary>
    public static int MovieId(int m) => 1 + (3 * m);

    public static Rating[] SyntheticRatings(int users = Users, int movies = Movies, int seed = 7)
    {
        var random = new Random(seed);
        double[,] userTaste = new double[users, 3];
        double[,] movieTrait = new double[movies, 2];
        for (int u = 0; u < users; u++)
        {
            userTaste[u, 0] = (random.NextDouble() * 2) - 1;
            userTaste[u, 1] = (random.NextDouble() * 2) - 1;
            userTaste[u, 2] = (random.NextDouble() * 1.6) - 0.8;
        }

        for (int m = 0; m < movies; m++)
        {
            movieTrait[m, 0] = (random.NextDouble() * 2) - 1;
            movieTrait[m, 1] = (random.NextDouble() * 2) - 1;
        }

        var ratings = new List<Rating>();
        for (int u = 0; u < users; u++)
        {
            for (int m = 0; m < movies; m++)
            {
                if (random.NextDouble() > 0.85 - (0.6 * m / movies))
                {
                    continue;
                }

                double value = 3.3 + (1.2 * ((userTaste[u, 0] * movieTrait[m, 0]) + (userTaste[u, 1] * movieTrait[m, 1])))
                    + (0.6 * movieTrait[m, 0]) + userTaste[u, 2] + (random.NextDouble() - 0.5);
                float rating = (float)Math.Clamp(Math.Round(value * 2) / 2, 0.5, 5.0);
                ratings.Add(new Rating(u + 1, MovieId(m), rating, 1_000_000 + (u * 1000) + m));
            }
        }

        return [.. ratings];
    }

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
