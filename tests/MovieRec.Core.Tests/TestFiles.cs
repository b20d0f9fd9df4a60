using MovieRec.Core.Data;

namespace MovieRec.Core.Tests;

/// <summary>Small datasets the tests write themselves.</summary>
public static class Fixtures
{
    /// <summary>Ratings from a seeded two-factor taste model with user biases (see <see cref="MovieRec.Tests.Shared.SyntheticData"/>).</summary>
    public static Rating[] SyntheticRatings(int users = 40, int movies = 60, int seed = 7) => MovieRec.Tests.Shared.SyntheticData.Ratings(users, movies, seed);

    public static int MovieId(int m) => MovieRec.Tests.Shared.SyntheticData.MovieId(m);

    /// <summary>Writes an ml-latest-style folder (ratings, movies, tags, links) holding <paramref name="ratings"/>.</summary>
    public static string WriteCsvDataset(TempFolder folder, Rating[] ratings, int movies = 60) =>
        MovieRec.Tests.Shared.SyntheticData.WriteCsvDataset(folder, ratings, movies);
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
