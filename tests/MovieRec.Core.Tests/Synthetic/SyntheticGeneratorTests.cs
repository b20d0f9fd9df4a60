using MovieRec.Core.Data;
using MovieRec.Core.Evaluation;
using MovieRec.Core.Models;
using MovieRec.Core.Synthetic;

namespace MovieRec.Core.Tests.Synthetic;

public sealed class SyntheticGeneratorTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private MovieLensDataset Source()
    {
        string folder = Fixtures.WriteCsvDataset(_dir, Fixtures.SyntheticRatings(80, 90, seed: 3), movies: 90);
        return MovieLensLoader.Load(folder);
    }

    [Fact]
    public void Writes_a_movielens_folder_of_exactly_the_asked_size()
    {
        SyntheticGenerator generator = SyntheticGenerator.Fit(Source(), seed: 1);
        SynthesisSize size = generator.Resolve(5000, 120, 70);
        string output = Path.Combine(_dir.Path, "synthetic");

        generator.Write(output, size, seed: 1);

        MovieLensDataset synthetic = MovieLensLoader.Load(output);
        Assert.Equal(5000, synthetic.Ratings.Length);
        Assert.Equal(120, synthetic.Ratings.Select(r => r.UserId).Distinct().Count());
        Assert.True(synthetic.Ratings.Select(r => r.MovieId).Distinct().Count() <= 70);
        Assert.Equal(70, synthetic.Movies.Count);
        Assert.Equal(0, synthetic.Report.DuplicateRatings);
        Assert.All(synthetic.Ratings, r => Assert.True(r.Value is >= 0.5f and <= 5f && r.Value * 2 == MathF.Round(r.Value * 2)));
        Assert.True(File.Exists(Path.Combine(output, "synthetic.json")));
    }

    [Fact]
    public void Same_seed_gives_the_same_files_whatever_the_threads_and_another_seed_differs()
    {
        MovieLensDataset source = Source();
        SyntheticGenerator generator = SyntheticGenerator.Fit(source, seed: 5);
        SynthesisSize size = generator.Resolve(3000, 2500, null); // > one block of users
        string a = Path.Combine(_dir.Path, "a"), b = Path.Combine(_dir.Path, "b"), c = Path.Combine(_dir.Path, "c");

        generator.Write(a, size, seed: 5, threads: 1);
        SyntheticGenerator.Fit(source, seed: 5).Write(b, size, seed: 5, threads: 3);
        generator.Write(c, size, seed: 6, threads: 1);

        Assert.Equal(File.ReadAllBytes(Path.Combine(a, "ratings.csv")), File.ReadAllBytes(Path.Combine(b, "ratings.csv")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(a, "movies.csv")), File.ReadAllBytes(Path.Combine(b, "movies.csv")));
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(a, "ratings.csv")), File.ReadAllBytes(Path.Combine(c, "ratings.csv")));
        Assert.Equal(generator.Generate(size, 5).Length, MovieLensLoader.Load(a).Ratings.Length);
    }

    [Fact]
    public void Keeps_the_rating_levels_activity_tail_and_real_movies_of_the_source()
    {
        MovieLensDataset source = Source();
        SyntheticGenerator generator = SyntheticGenerator.Fit(source, seed: 2);
        SynthesisSize size = generator.Resolve(null, null, null);
        Rating[] synthetic = generator.Generate(size, seed: 2);

        Assert.Equal(source.Ratings.Length, synthetic.Length);
        // Rating-value shares: total variation distance small.
        double tv = 0;
        foreach (float level in source.Ratings.Select(r => r.Value).Concat(synthetic.Select(r => r.Value)).Distinct())
        {
            double p = source.Ratings.Count(r => r.Value == level) / (double)source.Ratings.Length;
            double q = synthetic.Count(r => r.Value == level) / (double)synthetic.Length;
            tv += Math.Abs(p - q) / 2;
        }

        Assert.True(tv < 0.05, $"TV distance of the rating levels {tv:0.000}");
        // With the source's number of movies, the movies are the real ones.
        var realMovies = source.Ratings.Select(r => r.MovieId).ToHashSet();
        Assert.All(synthetic, r => Assert.Contains(r.MovieId, realMovies));
        // Popular movies stay popular: the most rated real movie is among the synthetic top quarter.
        int top = source.Ratings.GroupBy(r => r.MovieId).OrderByDescending(g => g.Count()).First().Key;
        var synthCounts = synthetic.GroupBy(r => r.MovieId).OrderByDescending(g => g.Count()).Select(g => g.Key).ToList();
        Assert.InRange(synthCounts.IndexOf(top), 0, synthCounts.Count / 4);
    }

    [Fact]
    public void Synthetic_ratings_carry_taste_structure_a_factorization_can_learn()
    {
        SyntheticGenerator generator = SyntheticGenerator.Fit(Source(), seed: 4);
        Rating[] synthetic = generator.Generate(generator.Resolve(6000, 100, null), seed: 4);
        DataSplit split = Splitters.Holdout(synthetic, 0.2, 4);

        double Rmse(string model)
        {
            IRecommenderModel fitted = ModelRegistry.Create(model, 4).Fit(RatingMatrix.Build(split.Train), new TrainingOptions { Threads = 1 });
            float[] predicted = [.. split.Test.Select(r => fitted.Predict(r.UserId, r.MovieId).Rating)];
            return RatingMetrics.Rmse(predicted, [.. split.Test.Select(r => r.Value)]);
        }

        double mean = Rmse("mean"), baseline = Rmse("baseline"), svd = Rmse("svd");
        Assert.True(baseline < mean, $"baseline {baseline:0.000} vs mean {mean:0.000}: no per-user or per-movie tendencies");
        Assert.True(svd < baseline, $"svd {svd:0.000} vs baseline {baseline:0.000}: no taste structure");
    }

    [Fact]
    public void Sizes_that_cannot_fit_are_refused_with_the_reason()
    {
        SyntheticGenerator generator = SyntheticGenerator.Fit(Source(), seed: 1);

        var tooMany = Assert.Throws<ArgumentException>(() => generator.Resolve(1_000_000, 10, 20));
        Assert.Contains("at most 90% of the movies", tooMany.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => generator.Resolve(5, 10, 20));
        Assert.Throws<ArgumentException>(() => generator.Resolve(-5, null, null));
    }
}
