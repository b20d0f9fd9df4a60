using MovieRec.Core.Data;
using MovieRec.Core.Synthetic;

namespace MovieRec.Core.Tests.Synthetic;

public sealed class SyntheticComparisonTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Distances_are_zero_for_identical_samples_and_one_for_disjoint_ones()
    {
        double[] a = [1, 2, 3, 4], b = [10, 11, 12];
        Assert.Equal(0, SyntheticComparison.KolmogorovSmirnov(a, a), 9);
        Assert.Equal(1, SyntheticComparison.KolmogorovSmirnov(a, b), 9);
        Assert.Equal(0.25, SyntheticComparison.KolmogorovSmirnov([1, 2, 3, 4], [1, 2, 3, 9]), 9);
        Assert.Equal(0.5, SyntheticComparison.TotalVariation(new Dictionary<int, long> { [1] = 1, [2] = 1 }, new Dictionary<int, long> { [2] = 1, [3] = 1 }), 9);
        Assert.Equal(1.0, SyntheticComparison.Auc([5, 6], [1, 2]), 9);
        Assert.Equal(0.5, SyntheticComparison.Auc([1, 2], [1, 2]), 9);
    }

    private MovieLensDataset Real() => MovieLensLoader.Load(Fixtures.WriteCsvDataset(_dir, Fixtures.SyntheticRatings(80, 90, seed: 3), movies: 90));

    [Fact]
    public void A_generated_dataset_is_close_in_its_marginals_useful_and_copies_nobody()
    {
        MovieLensDataset real = Real();
        SyntheticGenerator generator = SyntheticGenerator.Fit(real, seed: 3);
        MovieLensDataset synthetic = SyntheticExperiments.WithRatings(real, generator.Generate(generator.Resolve(null, null, null), seed: 3));

        ComparisonReport report = SyntheticComparison.Compare(real, synthetic, new ComparisonOptions { Seed = 3, Model = "svd-surprise" });

        Assert.True(report.Fidelity.Single(f => f.Name == "rating levels").Value < 0.05);
        Assert.True(report.Fidelity.Single(f => f.Name == "ratings per user").Value < 0.35);
        Assert.NotNull(report.Utility);
        Assert.True(report.Utility!.SyntheticRmse < report.Utility.MeanRmse, $"synthetic-trained {report.Utility.SyntheticRmse} vs mean {report.Utility.MeanRmse}");
        Assert.Equal(0, report.Privacy!.ExactProfileCopies);
        Assert.InRange(report.Privacy.MembershipInferenceAuc, 0.2, 0.8);
        Assert.Empty(report.Notes);
    }

    [Fact]
    public void A_copy_of_the_real_data_is_caught_by_the_privacy_measures()
    {
        MovieLensDataset real = Real();

        ComparisonReport report = SyntheticComparison.Compare(real, real, new ComparisonOptions { Seed = 1, Model = "svd-surprise", MembershipInference = false });

        Assert.Equal(report.RealUsers, report.Privacy!.ExactProfileCopies);
        Assert.Equal(0, report.Privacy.MedianDcrSynthetic, 6);
        Assert.Equal(0, report.Fidelity.Single(f => f.Name == "rating levels").Value, 9);
        Assert.Equal(1, report.Fidelity.Single(f => f.Name == "taste similarity, same pairs").Value, 6);
    }

    [Fact]
    public void Generated_movies_leave_out_utility_and_privacy_and_say_why()
    {
        MovieLensDataset real = Real();
        SyntheticGenerator generator = SyntheticGenerator.Fit(real, seed: 3);
        Rating[] ratings = generator.Generate(generator.Resolve(2000, 60, 50), seed: 3);
        MovieLensDataset synthetic = SyntheticExperiments.WithRatings(real, [.. ratings.Select(r => r with { MovieId = r.MovieId + 100_000 })]);

        ComparisonReport report = SyntheticComparison.Compare(real, synthetic, new ComparisonOptions { Seed = 3 });

        Assert.Null(report.Utility);
        Assert.Null(report.Privacy);
        Assert.Contains(report.Notes, n => n.Contains("same movies", StringComparison.Ordinal));
    }
}
