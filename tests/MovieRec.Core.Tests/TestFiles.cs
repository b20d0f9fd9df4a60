using System.Globalization;
using System.Text;
using MovieRec.Core.Data;

namespace MovieRec.Core.Tests;

/// <summary>A temporary folder for one test, removed afterwards.</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "movierec-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Write(string name, string content, Encoding? encoding = null)
    {
        string file = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
        File.WriteAllText(file, content, encoding ?? new UTF8Encoding(false));
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

/// <summary>Small datasets the tests write themselves.</summary>
public static class Fixtures
{
    /// <summary>
    /// Ratings from a seeded two-factor taste model: <paramref name="users"/> users each rate about half of
    /// <paramref name="movies"/> movies on the half-star scale. Movie ids start at 1 and step by 3 so raw ids and
    /// dense indices differ.
    /// </summary>
    public static Rating[] SyntheticRatings(int users = 40, int movies = 60, int seed = 7)
    {
        var random = new Random(seed);
        double[,] userTaste = new double[users, 3];
        double[,] movieTrait = new double[movies, 2];
        for (int u = 0; u < users; u++)
        {
            userTaste[u, 0] = random.NextDouble() * 2 - 1;
            userTaste[u, 1] = random.NextDouble() * 2 - 1;
            userTaste[u, 2] = (random.NextDouble() * 1.6) - 0.8; // the user's bias
        }

        for (int m = 0; m < movies; m++)
        {
            movieTrait[m, 0] = random.NextDouble() * 2 - 1;
            movieTrait[m, 1] = random.NextDouble() * 2 - 1;
        }

        var ratings = new List<Rating>();
        for (int u = 0; u < users; u++)
        {
            for (int m = 0; m < movies; m++)
            {
                // Popular (low-index) movies are rated more often, as in real data.
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

    public static int MovieId(int m) => 1 + (3 * m);

    /// <summary>Writes an ml-latest-style folder (ratings, movies, tags, links) holding <paramref name="ratings"/>.</summary>
    public static string WriteCsvDataset(TempFolder folder, Rating[] ratings, int movies = 60)
    {
        var sb = new StringBuilder("userId,movieId,rating,timestamp\n");
        foreach (Rating r in ratings)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{r.UserId},{r.MovieId},{r.Value:0.0},{r.Timestamp}\n");
        }

        folder.Write("ratings.csv", sb.ToString());
        var m = new StringBuilder("movieId,title,genres\n");
        string[] genres = ["Animation|Children", "Comedy", "Drama|Romance", "Action|Sci-Fi", "(no genres listed)"];
        for (int i = 0; i < movies; i++)
        {
            m.Append(CultureInfo.InvariantCulture, $"{MovieId(i)},\"Movie {i}, The ({1990 + (i % 20)})\",{genres[i % genres.Length]}\n");
        }

        folder.Write("movies.csv", m.ToString());
        folder.Write("tags.csv", "userId,movieId,tag,timestamp\n1,1,funny,1000\n2,4,\"dark, moody\",1001\n");
        folder.Write("links.csv", "movieId,imdbId,tmdbId\n1,0114709,862\n4,0113497,\n");
        return folder.Path;
    }
}

/// <summary>The MovieLens folders of ../shared, where this checkout has them.</summary>
public static class SharedData
{
    public static string? Find(params string[] parts)
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null)
        {
            string candidate = System.IO.Path.Combine([dir, "..", "shared", .. parts]);
            if (Directory.Exists(candidate) || File.Exists(candidate))
            {
                return System.IO.Path.GetFullPath(candidate);
            }

            candidate = System.IO.Path.Combine([dir, "shared", .. parts]);
            if (Directory.Exists(candidate) || File.Exists(candidate))
            {
                return System.IO.Path.GetFullPath(candidate);
            }

            dir = System.IO.Path.GetDirectoryName(dir);
        }

        return null;
    }

    /// <summary>The folder, or a skip with a message saying what is missing.</summary>
    public static string Require(params string[] parts)
    {
        string? path = Find(parts);
        Skip.If(path is null, $"../shared/{string.Join('/', parts)} is not present beside this checkout; this test needs the MovieLens copy there.");
        return path!;
    }
}
