using System.Globalization;
using System.Text;
using MovieRec.Core.Data;

namespace MovieRec.Tests.Shared;

/// <summary>The synthetic ratings both test projects use (compiled into each by a linked file).</summary>
public static class SyntheticData
{
    /// <summary>
    /// Ratings from a seeded two-factor taste model: <paramref name="users"/> users each rate about half of
    /// <paramref name="movies"/> movies on the half-star scale. Movie ids start at 1 and step by 3 so raw ids and
    /// dense indices differ.
    /// </summary>
    public static Rating[] Ratings(int users, int movies, int seed)
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

    /// <summary>
    /// Writes an ml-latest-style folder (ratings, movies, tags, links) holding <paramref name="ratings"/> into
    /// <paramref name="subfolder"/> of <paramref name="folder"/>, with <paramref name="movies"/> catalogue entries; returns it.
    /// </summary>
    public static string WriteCsvDataset(TempFolder folder, Rating[] ratings, int movies, string subfolder = "")
    {
        string Name(string file) => subfolder.Length == 0 ? file : $"{subfolder}/{file}";
        var sb = new StringBuilder("userId,movieId,rating,timestamp\n");
        foreach (Rating r in ratings)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{r.UserId},{r.MovieId},{r.Value:0.0},{r.Timestamp}\n");
        }

        folder.Write(Name("ratings.csv"), sb.ToString());
        var m = new StringBuilder("movieId,title,genres\n");
        string[] genres = ["Animation|Children", "Comedy", "Drama|Romance", "Action|Sci-Fi", "(no genres listed)"];
        for (int i = 0; i < movies; i++)
        {
            m.Append(CultureInfo.InvariantCulture, $"{MovieId(i)},\"Movie {i}, The ({1990 + (i % 20)})\",{genres[i % genres.Length]}\n");
        }

        folder.Write(Name("movies.csv"), m.ToString());
        folder.Write(Name("tags.csv"), "userId,movieId,tag,timestamp\n1,1,funny,1000\n2,4,\"dark, moody\",1001\n");
        folder.Write(Name("links.csv"), "movieId,imdbId,tmdbId\n1,0114709,862\n4,0113497,\n");
        return subfolder.Length == 0 ? folder.Path : System.IO.Path.Combine(folder.Path, subfolder);
    }
}
