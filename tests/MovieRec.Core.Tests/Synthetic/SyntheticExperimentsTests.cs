using MovieRec.Core.Data;
using MovieRec.Core.Evaluation;
using MovieRec.Core.Models;
using MovieRec.Core.Synthetic;

namespace MovieRec.Core.Tests.Synthetic;

public sealed class SyntheticExperimentsTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Six_experiments_per_variant_with_the_sizes_of_the_table()
    {
        MovieLensDataset real = MovieLensLoader.Load(Fixtures.WriteCsvDataset(_dir, Fixtures.SyntheticRatings(100, 90, seed: 5), movies: 90));
        int n = real.Ratings.Length;

        IReadOnlyList<ExperimentRow> rows = SyntheticExperiments.Run(real, new ExperimentOptions { Model = "baseline", Seed = 5 });

        Assert.Equal(12, rows.Count);
        Assert.Equal([1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6], rows.Select(r => r.Number));
        ExperimentRow[] full = [.. rows.Where(r => r.Variant == "full")];
        int train = (int)Math.Round(n * 0.8), test = (int)Math.Round(n * 0.2);
        Assert.Equal([train, test, train + test, test, train, test], full.Select(r => r.TrainRatings));
        Assert.All(rows, r => Assert.True(r.Rmse > 0 && r.Mae > 0 && r.Mae <= r.Rmse && r.Rmse < 2));
        // Trained on the real training set and tested on real ratings beats the 2%-sized control.
        Assert.True(full[0].Rmse < rows[5].Rmse);
    }

    [Fact]
    public void Tune_tunes_on_each_training_set_and_trains_the_chosen_options()
    {
        MovieLensDataset real = MovieLensLoader.Load(Fixtures.WriteCsvDataset(_dir, Fixtures.SyntheticRatings(80, 70, seed: 6), movies: 70));
        var tuning = new TuningOptions { Trials = 4, Folds = 2, Seed = 6 };
        var seen = new List<int>();
        Func<Rating[], (IRecommenderTrainer Trainer, string? Options)> tuned = SyntheticExperiments.Tuned("baseline", tuning);

        IReadOnlyList<ExperimentRow> rows = SyntheticExperiments.Run(real, new ExperimentOptions
        {
            Model = "baseline",
            Seed = 6,
            Variants = ["full"],
            Trainer = train =>
            {
                seen.Add(train.Length);
                return tuned(train);
            },
        });

        Assert.Equal(6, rows.Count);
        Assert.Equal(rows.Select(r => r.TrainRatings), seen);
        Assert.All(rows, r => Assert.Contains("regUser=", r.TunedOptions, StringComparison.Ordinal));

        // The description is the tuner's own choice on that training set, and the row's model is trained with it.
        Rating[] train = [.. real.Ratings.Take(rows[0].TrainRatings)];
        TuningResult direct = Tuner.Tune("baseline", train, tuning, new ModelContext(6));
        (IRecommenderTrainer trainer, string? described) = tuned(train);
        Assert.Equal(SyntheticExperiments.Describe(direct), described);
        Assert.Equal(direct.Best.Options, ((MovieRec.Core.Models.Baselines.BaselineOnlyTrainer)trainer).Options);
    }
}
