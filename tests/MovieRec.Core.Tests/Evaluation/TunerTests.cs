using MovieRec.Core.Data;
using MovieRec.Core.Evaluation;
using MovieRec.Core.Models;
using MovieRec.Core.Models.Factorization;

namespace MovieRec.Core.Tests.Evaluation;

public sealed class TunerTests : IDisposable
{
    private readonly TempFolder _dir = new();
    private readonly Rating[] _ratings = Fixtures.SyntheticRatings(60, 50, seed: 3);

    public void Dispose() => _dir.Dispose();

    private static TuningOptions Small(int seed = 42) => new()
    {
        Trials = 9,
        Folds = 2,
        Seed = seed,
        Space = new Dictionary<string, TuneRange?> { ["epochs"] = new(2, 18, false), ["factors"] = new(2, 16, true), ["initStd"] = null },
    };

    [Fact]
    public void The_same_seed_gives_the_same_trials_and_result_and_another_seed_other_trials()
    {
        TuningResult a = Tuner.Tune("svd-surprise", _ratings, Small(), new ModelContext(42));
        TuningResult b = Tuner.Tune("svd-surprise", _ratings, Small(), new ModelContext(42));
        TuningResult c = Tuner.Tune("svd-surprise", _ratings, Small(7), new ModelContext(7));

        Assert.Equal(a.Trials.Select(t => (t.Sampled.Values.ToArray(), t.Rungs.ToArray())), b.Trials.Select(t => (t.Sampled.Values.ToArray(), t.Rungs.ToArray())),
            new TrialComparer());
        Assert.Equal((a.BestTrial, a.BestScore), (b.BestTrial, b.BestScore));
        Assert.Equal(a.Best.Options, b.Best.Options);
        Assert.NotEqual(a.Trials[1].Sampled["learningRate"], c.Trials[1].Sampled["learningRate"]);
    }

    [Fact]
    public void Successive_halving_gives_the_best_third_three_times_the_epochs_and_the_choice_is_the_best_measurement()
    {
        TuningResult r = Tuner.Tune("svd-surprise", _ratings, Small(), new ModelContext(42));

        Assert.Equal("epochs", r.BudgetOption);
        Assert.Equal([2, 6, 18], r.Budgets);
        Assert.Equal([9, 3, 1], r.Budgets.Select(b => r.Trials.Count(t => t.Rungs.Any(s => s.Budget == b))));
        Assert.Equal(8, r.Trials.Count(t => t.Pruned));
        foreach (TrialResult promoted in r.Trials.Where(t => t.Rungs.Count > 1))
        {
            // Only trials at least as good at the lower rung as every trial left behind there go on.
            double worstPromoted = promoted.Rungs[0].Score;
            Assert.All(r.Trials.Where(t => t.Rungs.Count == 1), pruned => Assert.True(pruned.Rungs[0].Score >= worstPromoted));
        }

        double best = r.Trials.SelectMany(t => t.Rungs).Min(s => s.Score);
        Assert.Equal(best, r.BestMeasured.Score.Score);
        Assert.Equal(SvdOptions.Surprise.Factors, r.Trials[0].Sampled["factors"]); // trial 0: the model's own options
        Assert.Equal(SvdOptions.Surprise.Epochs, r.Own.Budget); // the incumbent is measured at its own epochs
        Assert.Equal(!Tuner.Beats(r.BestMeasured.Score, r.Own, lowerIsBetter: true), r.KeptOwn);
        var options = (SvdOptions)r.Best.Options;
        if (r.KeptOwn)
        {
            Assert.Equal(SvdOptions.Surprise, options);
            Assert.Equal(r.Own.Score, r.BestScore);
        }
        else
        {
            Assert.Equal(best, r.BestScore);
            Assert.Equal(r.Trials[r.BestTrial].Rungs.Single(s => s.Score == best).Budget, options.Epochs);
            Assert.Equal(r.Trials[r.BestTrial].Sampled["factors"], options.Factors);
            Assert.Equal(SvdOptions.Surprise.InitStd, options.InitStd); // fixed by the space
        }
    }

    [Fact]
    public void A_trial_replaces_the_own_options_only_when_better_by_more_than_its_standard_error()
    {
        Assert.False(Tuner.Beats(new RungScore(10, 0.300, 0.010), new RungScore(15, 0.295, 0.002), lowerIsBetter: false));
        Assert.True(Tuner.Beats(new RungScore(10, 0.310, 0.004), new RungScore(15, 0.295, 0.002), lowerIsBetter: false));
        Assert.False(Tuner.Beats(new RungScore(10, 0.290, 0.001), new RungScore(15, 0.295, 0.002), lowerIsBetter: false));
        Assert.False(Tuner.Beats(new RungScore(10, 0.935, 0.006), new RungScore(20, 0.940, 0.001), lowerIsBetter: true));
        Assert.True(Tuner.Beats(new RungScore(10, 0.920, 0.006), new RungScore(20, 0.940, 0.001), lowerIsBetter: true));
    }

    [Fact]
    public void Own_options_that_are_clearly_worse_are_replaced_and_every_measurement_has_a_standard_error()
    {
        // One epoch of SGD from a tiny initialisation is barely better than the global mean: the trials must win.
        TuningResult r = Tuner.Tune("svd-surprise", _ratings, Small(), new ModelContext(42),
            new Dictionary<string, string> { ["epochs"] = "1", ["learningRate"] = "0.0001" });

        Assert.Equal(1, r.Own.Budget);
        Assert.False(r.KeptOwn);
        Assert.True(r.Own.Score - r.BestScore > r.BestMeasured.Score.StdError);
        Assert.NotEqual(1, ((SvdOptions)r.Best.Options).Epochs);
        Assert.All(r.Trials.SelectMany(t => t.Rungs).Append(r.Own), s => Assert.True(s.StdError > 0));
    }

    [Fact]
    public void Ndcg_is_maximised()
    {
        TuningResult r = Tuner.Tune("implicit-als", _ratings, new TuningOptions
        {
            Trials = 4,
            Folds = 2,
            Metric = TuneMetric.Ndcg,
            Space = new Dictionary<string, TuneRange?> { ["iterations"] = new(3, 9, false), ["factors"] = new(4, 16, true) },
            Evaluation = new EvaluationOptions { K = 5, RelevanceThreshold = 3.5f },
        }, new ModelContext());

        Assert.Equal(r.Trials.SelectMany(t => t.Rungs).Max(s => s.Score), r.BestMeasured.Score.Score);
        Assert.Equal(!Tuner.Beats(r.BestMeasured.Score, r.Own, lowerIsBetter: false), r.KeptOwn);
        Assert.Equal(r.KeptOwn ? r.Own.Score : r.BestMeasured.Score.Score, r.BestScore);
        Assert.InRange(r.BestScore, 0.0, 1.0);
    }

    [Fact]
    public void A_bad_space_fails_naming_the_option()
    {
        ModelInfo svd = ModelRegistry.Info("svd");
        Assert.Contains("no option 'factorz'", Assert.Throws<ModelOptionException>(() =>
            Tuner.SpaceOf(svd, new Dictionary<string, TuneRange?> { ["factorz"] = new(1, 2, false) })).Message, StringComparison.Ordinal);
        Assert.Contains("svd.factors = 0 is out of range", Assert.Throws<ModelOptionException>(() =>
            Tuner.SpaceOf(svd, new Dictionary<string, TuneRange?> { ["factors"] = new(0, 2, false) })).Message, StringComparison.Ordinal);
        Assert.Contains("svd.shuffle", Assert.Throws<ModelOptionException>(() =>
            Tuner.SpaceOf(svd, new Dictionary<string, TuneRange?> { ["shuffle"] = new(0, 1, false) })).Message, StringComparison.Ordinal);
        Assert.Contains("nothing to tune", Assert.Throws<ModelOptionException>(() =>
            Tuner.SpaceOf(ModelRegistry.Info("mean"), new Dictionary<string, TuneRange?>())).Message, StringComparison.Ordinal);

        string file = _dir.Write("space.json", "{\"factors\": {\"min\": 10, \"max\": 200, \"log\": true}, \"epochs\": [5, 45], \"initStd\": null}");
        IReadOnlyDictionary<string, TuneRange?> space = Tuner.ReadSpace(file);
        Assert.Equal(new TuneRange(10, 200, true), space["factors"]);
        Assert.Equal(new TuneRange(5, 45, false), space["epochs"]);
        Assert.Null(space["initStd"]);
        Assert.Contains("\"factors\" must be", Assert.Throws<ModelOptionException>(() => Tuner.ReadSpace(_dir.Write("bad.json", "{\"factors\": 3}"))).Message, StringComparison.Ordinal);
    }

    private sealed class TrialComparer : IEqualityComparer<(object?[] Values, RungScore[] Rungs)>
    {
        public bool Equals((object?[] Values, RungScore[] Rungs) x, (object?[] Values, RungScore[] Rungs) y) =>
            x.Values.SequenceEqual(y.Values) && x.Rungs.SequenceEqual(y.Rungs);

        public int GetHashCode((object?[] Values, RungScore[] Rungs) obj) => obj.Rungs.Length;
    }
}
