using System.Globalization;
using System.Text;
using MovieRec.Core.Data;

namespace MovieRec.Core.Tests;

/// <summary>Small datasets the tests write themselves.</summary>
public static class Fixtures
{
    /// <summary>Ratings from a seeded two-factor taste model with user biases (see <see cref="MovieRec.Tests.Shared.SyntheticData"/>).</summary>
    public static Rating[] SyntheticRatings(int users = 40, int movies = 60, int seed = 7) => MovieRec.Tests.Shared.SyntheticData.Ratings(users, movies, seed);

    public static int MovieId(int m) => MovieRec.Tests.Shared.SyntheticData.MovieId(m);

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
