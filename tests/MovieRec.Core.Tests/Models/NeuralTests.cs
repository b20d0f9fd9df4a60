using System.Numerics.Tensors;
using MovieRec.Core.Data;
using MovieRec.Core.Evaluation;
using MovieRec.Core.Models;
using MovieRec.Core.Models.Neural;

namespace MovieRec.Core.Tests.Models;

public sealed class NeuralTests
{
    private readonly Rating[] _ratings = Fixtures.SyntheticRatings(80, 60, seed: 11);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AutoRec_gradients_match_finite_differences(bool implicitInput)
    {
        RatingMatrix m = RatingMatrix.Build(Fixtures.SyntheticRatings(12, 6, seed: 3));
        var random = new Random(1);
        ItemColumns fit = ItemColumns.Split(m, BiasBaseline.Default(m), 0, random).Fit;
        var net = new AutoRecNetwork(m.UserCount, 4, implicitInput);
        net.Initialize(random);
        for (int n = 0; n < net.B.Length; n++)
        {
            net.B[n] = 0.1f * n;
        }

        for (int i = 0; i < m.ItemCount; i++)
        {
            var g = new AutoRecNetwork(m.UserCount, 4, implicitInput);
            float[] h = new float[4], dh = new float[4];
            net.Backward(fit, i, g, h, dh);
            double Loss() => net.Backward(fit, i, new AutoRecNetwork(m.UserCount, 4, implicitInput), h, dh) / 2;

            AssertGradient(net.V, g.V, Loss);
            AssertGradient(net.W, g.W, Loss);
            AssertGradient(net.B, g.B, Loss);
            AssertGradient(net.C, g.C, Loss);
            AssertGradient(net.Y, g.Y, Loss);
            Assert.Equal(implicitInput, g.Y.Any(y => y != 0));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AutoRec_gradients_with_input_dropout_match_finite_differences(bool implicitInput)
    {
        RatingMatrix m = RatingMatrix.Build(Fixtures.SyntheticRatings(12, 6, seed: 3));
        var random = new Random(1);
        ItemColumns fit = ItemColumns.Split(m, BiasBaseline.Default(m), 0, random).Fit;
        var net = new AutoRecNetwork(m.UserCount, 4, implicitInput);
        net.Initialize(random);
        for (int i = 0; i < m.ItemCount; i++)
        {
            var g = new AutoRecNetwork(m.UserCount, 4, implicitInput);
            float[] h = new float[4], dh = new float[4];
            net.Backward(fit, i, g, h, dh, 0.5f, maskSeed: 7 + i);
            double Loss() => net.Backward(fit, i, new AutoRecNetwork(m.UserCount, 4, implicitInput), h, dh, 0.5f, maskSeed: 7 + i) / 2;

            AssertGradient(net.V, g.V, Loss);
            AssertGradient(net.W, g.W, Loss);
            AssertGradient(net.B, g.B, Loss);
            AssertGradient(net.C, g.C, Loss);
            AssertGradient(net.Y, g.Y, Loss);
        }

        // The mask drops some inputs: dropped users get no encoder gradient although their ratings count in the loss.
        var full = new AutoRecNetwork(m.UserCount, 4, implicitInput);
        var dropped = new AutoRecNetwork(m.UserCount, 4, implicitInput);
        net.Backward(fit, 0, full, new float[4], new float[4]);
        net.Backward(fit, 0, dropped, new float[4], new float[4], 0.5f, maskSeed: 7);
        Assert.True(dropped.V.Count(v => v != 0) < full.V.Count(v => v != 0));
        Assert.Equal(full.C.Count(c => c != 0), dropped.C.Count(c => c != 0));
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void AutoRec_leave_one_out_gradients_match_finite_differences(bool implicitInput, bool rawInput)
    {
        RatingMatrix m = RatingMatrix.Build(Fixtures.SyntheticRatings(12, 6, seed: 3));
        var random = new Random(1);
        ItemColumns fit = ItemColumns.Split(m, BiasBaseline.Default(m), 0, random, rawInput).Fit;
        var net = new AutoRecNetwork(m.UserCount, 4, implicitInput);
        net.Initialize(random);
        var buffers = new LeaveOneOutBuffers(4);
        for (int i = 0; i < m.ItemCount; i++)
        {
            var g = new AutoRecNetwork(m.UserCount, 4, implicitInput);
            net.BackwardLeaveOneOut(fit, i, g, buffers);
            double Loss() => net.BackwardLeaveOneOut(fit, i, new AutoRecNetwork(m.UserCount, 4, implicitInput), buffers) / 2;

            AssertGradient(net.V, g.V, Loss);
            AssertGradient(net.W, g.W, Loss);
            AssertGradient(net.B, g.B, Loss);
            AssertGradient(net.C, g.C, Loss);
            AssertGradient(net.Y, g.Y, Loss);
        }
    }

    [Fact]
    public void Leave_one_out_predicts_a_rating_without_its_own_input()
    {
        // A movie rated once: its only rating is predicted from nothing but the bias, so no encoder weight of its rater
        // gets a gradient, where the plain pass gives one.
        RatingMatrix m = RatingMatrix.Build([new Rating(1, 1, 4f, 0), new Rating(2, 1, 2f, 0), new Rating(2, 2, 5f, 0)]);
        ItemColumns fit = ItemColumns.Split(m, BiasBaseline.Default(m), 0, new Random(1), rawInput: true).Fit;
        var net = new AutoRecNetwork(m.UserCount, 3);
        net.Initialize(new Random(2));
        int single = fit.Start[1] - fit.Start[0] == 1 ? 0 : 1;
        var loo = new AutoRecNetwork(m.UserCount, 3);
        var plain = new AutoRecNetwork(m.UserCount, 3);
        net.BackwardLeaveOneOut(fit, single, loo, new LeaveOneOutBuffers(3));
        net.Backward(fit, single, plain, new float[3], new float[3]);
        Assert.All(loo.V, v => Assert.Equal(0f, v));
        Assert.Contains(plain.V, v => v != 0f);
    }

    [Fact]
    public void Lbfgs_lowers_the_objective_at_every_step()
    {
        RatingMatrix m = RatingMatrix.Build(_ratings);
        ItemColumns fit = ItemColumns.Split(m, BiasBaseline.Default(m), 0, new Random(1), rawInput: true).Fit;
        var net = new AutoRecNetwork(m.UserCount, 8, implicitInput: true);
        net.Initialize(new Random(2));
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = 2 };
        AutoRecNetwork[] perThread = [new(m.UserCount, 8, true), new(m.UserCount, 8, true)];
        var solver = new AutoRecLbfgs(net, fit, 1f, 5, perThread, parallel, leaveOneOut: true);
        double first = solver.Loss, last = first;
        for (int n = 0; n < 30; n++)
        {
            solver.Step();
            Assert.True(solver.Loss <= last, $"step {n}: {solver.Loss} after {last}");
            last = solver.Loss;
        }

        Assert.True(last < first / 2, $"{first} -> {last}");
    }

    [Fact]
    public void An_AutoRec_ensemble_scores_the_mean_of_its_members_trained_alone()
    {
        RatingMatrix m = RatingMatrix.Build(_ratings);
        var options = new AutoRecOptions { Hidden = 8, Epochs = 5, BatchSize = 8, ValidationFraction = 0, Members = 1, Seed = 5 };
        var training = new TrainingOptions { Threads = 1 };
        var first = (RecommenderModel)new AutoRecTrainer(options).Fit(m, training);
        var second = (RecommenderModel)new AutoRecTrainer(options with { Seed = AutoRecTrainer.MemberSeed(5, 1) }).Fit(m, training);
        var both = (RecommenderModel)new AutoRecTrainer(options with { Members = 2 }).Fit(m, training);

        float[] a = new float[m.ItemCount], b = new float[m.ItemCount], ab = new float[m.ItemCount];
        for (int u = 0; u < m.UserCount; u += 5)
        {
            first.Score(u, a);
            second.Score(u, b);
            both.Score(u, ab);
            for (int i = 0; i < m.ItemCount; i++)
            {
                Assert.Equal((a[i] + b[i]) / 2, ab[i], 1e-4f);
            }

            Assert.NotEqual(a, b);
        }
    }

    [Theory]
    [InlineData(3, 5)]
    [InlineData(64, 32)]
    [InlineData(37, 45)]
    [InlineData(16, 8)]
    public void Dense_kernels_match_the_plain_loops(int n, int width)
    {
        var random = new Random(n * width);
        float[] Draw(int count) => [.. Enumerable.Range(0, count).Select(c => c % 3 == 0 ? 0f : (float)(random.NextDouble() - 0.5))];
        float[] x = Draw(4 * n), m = Draw(n * width), d = Draw(4 * width);
        float[] z = Draw(width), expected = (float[])z.Clone();
        for (int o = 0; o < width; o++)
        {
            for (int j = 0; j < n; j++)
            {
                expected[o] += x[j] * m[(j * width) + o];
            }
        }

        DenseKernels.AddRowTimesMatrix(x.AsSpan(0, n), m, z);
        Assert.Equal(expected, z, (a, b) => Math.Abs(a - b) < 1e-5f);

        // g (n x width) += X^T D over 4 rows.
        float[] g = Draw(n * width), g2 = (float[])g.Clone();
        for (int b = 0; b < 4; b++)
        {
            for (int j = 0; j < n; j++)
            {
                for (int o = 0; o < width; o++)
                {
                    g2[(j * width) + o] += x[(b * n) + j] * d[(b * width) + o];
                }
            }
        }

        DenseKernels.AddTransposedProduct(x, n, d, width, g);
        Assert.Equal(g2, g, (a, b) => Math.Abs(a - b) < 1e-5f);

        float[] t = new float[n * width], back = new float[n * width];
        DenseKernels.Transpose(m, n, width, t);
        DenseKernels.AddTransposed(t, width, n, back);
        Assert.Equal(m, back);

        float[] gate = Draw(width), v = Draw(width);
        float[] kept = [.. v.Select((value, o) => gate[o] == 0f ? 0f : value)];
        DenseKernels.ZeroWhereZero(gate, v);
        Assert.Equal(kept, v);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Deep_mf_gradients_through_batch_norm_and_the_skips_match_finite_differences(bool residual)
    {
        RatingMatrix m = RatingMatrix.Build(Fixtures.SyntheticRatings(10, 8, seed: 4));
        var random = new Random(2);
        var net = new DeepMfNetwork(m.UserCount, m.ItemCount, 3, 5, 3, residual, (float)m.GlobalMean);
        net.Initialize(random);
        for (int n = 0; n < net.Dense.Length; n++)
        {
            net.Dense[n] += (float)(random.NextDouble() - 0.5) * 0.2f;
        }

        // Embeddings of a trained size: at their tiny initial scale batch normalization divides by a near-zero spread,
        // and the loss curves too sharply for difference quotients.
        TensorPrimitives.Multiply(net.UserEmbedding, 20f, net.UserEmbedding);
        TensorPrimitives.Multiply(net.ItemEmbedding, 20f, net.ItemEmbedding);

        var batch = new DeepMfBatch(net, 12);
        for (int b = 0; b < 12; b++)
        {
            batch.Users[b] = b % m.UserCount;
            batch.Items[b] = (b * 3) % m.ItemCount;
            batch.Targets[b] = 1 + (b % 5);
        }

        var parallel = new ParallelOptions { MaxDegreeOfParallelism = 1 };
        var grad = new DeepMfGradient(net);
        batch.TrainStep(12, grad, random, 0, 0, parallel);
        double Loss() => batch.TrainStep(12, new DeepMfGradient(net), random, 0, 0, parallel) / (2 * 12);

        // Layer 0's weight gradients pass back through every later layer and skip, so the dense check covers the skips.
        AssertGradient(net.Dense, grad.Dense, Loss);
        AssertGradient(net.UserBias, grad.UserBias, Loss);
        AssertGradient(net.UserEmbedding, grad.UserEmbedding, Loss);
        AssertGradient(net.ItemEmbedding, grad.ItemEmbedding, Loss);
    }

    [Theory]
    [InlineData("autorec")]
    [InlineData("autorec-adam")]
    [InlineData("autorec-raw")]
    [InlineData("deep-mf")]
    [InlineData("residual-mf")]
    public void Each_epoch_reports_train_and_validation_rmse_and_the_network_beats_the_global_mean(string name)
    {
        IReadOnlyList<DataSplit> folds = Splitters.KFold(_ratings, 3, seed: 2);
        var reports = new List<TrainingProgress>();
        var training = new TrainingOptions { Threads = 1, Progress = new SyncProgress(reports.Add) };

        IReadOnlyList<ModelEvaluation> r = CrossValidator.Evaluate([ModelRegistry.Create("mean"), Small(name)], folds,
            new EvaluationOptions { Ranking = false, Training = training });

        Assert.True(r[1].Rmse < r[0].Rmse - 0.05, $"{name} {r[1].Rmse:0.0000} vs mean {r[0].Rmse:0.0000}");
        Assert.NotEmpty(reports);
        Assert.All(reports, p => Assert.Equal(name.StartsWith("autorec", StringComparison.Ordinal) ? "autorec" : name, p.Model));
        Assert.All(reports, p => Assert.NotNull(p.TrainLoss));
        Assert.All(reports, p => Assert.NotNull(p.ValidationRmse));
    }

    [Fact]
    public void Early_stopping_ends_an_overfitting_run_and_keeps_the_best_epoch()
    {
        RatingMatrix m = RatingMatrix.Build(_ratings);
        var reports = new List<TrainingProgress>();
        var trainer = new AutoRecTrainer(new AutoRecOptions { Hidden = 64, Regularization = 0, LearningRate = 0.01, Epochs = 300, BatchSize = 4, ValidationFraction = 0.2, EarlyStoppingPatience = 3 });

        IRecommenderModel model = trainer.Fit(m, new TrainingOptions { Threads = 1, Progress = new SyncProgress(reports.Add) });

        Assert.InRange(reports.Count, 4, 299);
        double best = reports.Min(p => p.ValidationRmse!.Value);
        Assert.True(reports[^1].ValidationRmse > best);
        Assert.NotNull(model);
    }

    [Theory]
    [InlineData("autorec")]
    [InlineData("deep-mf")]
    [InlineData("residual-mf")]
    public void Refit_trains_again_on_all_ratings_for_the_best_validated_epoch_count(string name)
    {
        RatingMatrix m = RatingMatrix.Build(_ratings);
        var reports = new List<TrainingProgress>();
        var training = new TrainingOptions { Threads = 1, Progress = new SyncProgress(reports.Add) };
        (IRecommenderTrainer refit, IRecommenderTrainer kept, Func<int, IRecommenderTrainer> allFor) = name switch
        {
            "autorec" => Pair(new AutoRecOptions { Hidden = 16, Epochs = 40, BatchSize = 8, ValidationFraction = 0.2, EarlyStoppingPatience = 3, Members = 2, AverageValidated = false }),
            _ => PairDeep(new DeepMfOptions { Factors = 8, Width = 16, Epochs = 30, BatchSize = 64, ValidationFraction = 0.2, EarlyStoppingPatience = 3, Residual = name == "residual-mf", AverageValidated = false }),
        };

        IRecommenderModel model = refit.Fit(m, training);

        // The curve holds the validated run only (one report per epoch, each with a validation RMSE).
        Assert.Equal(Enumerable.Range(1, reports.Count), reports.Select(p => p.Epoch));
        Assert.All(reports, p => Assert.NotNull(p.ValidationRmse));
        int best = reports.MinBy(p => p.ValidationRmse!.Value)!.Epoch;

        // The refit model is the one trained on every rating for that many epochs, not the validated run's best epoch.
        IRecommenderModel all = allFor(best).Fit(m, new TrainingOptions { Threads = 1 });
        IRecommenderModel validated = kept.Fit(m, new TrainingOptions { Threads = 1 });
        bool differs = false;
        for (int u = 0; u < m.UserCount; u += 3)
        {
            for (int i = 0; i < m.ItemCount; i++)
            {
                Assert.Equal(all.Estimate(u, i), model.Estimate(u, i));
                differs |= validated.Estimate(u, i) != model.Estimate(u, i);
            }
        }

        Assert.True(differs);

        static (IRecommenderTrainer, IRecommenderTrainer, Func<int, IRecommenderTrainer>) Pair(AutoRecOptions o) =>
            (new AutoRecTrainer(o), new AutoRecTrainer(o with { Refit = false }), e => new AutoRecTrainer(o with { ValidationFraction = 0, Epochs = e }));

        static (IRecommenderTrainer, IRecommenderTrainer, Func<int, IRecommenderTrainer>) PairDeep(DeepMfOptions o) =>
            (new DeepMfTrainer(o), new DeepMfTrainer(o with { Refit = false }), e => new DeepMfTrainer(o with { ValidationFraction = 0, Epochs = e }));
    }

    [Fact]
    public void Deep_mf_averaging_the_validated_run_predicts_the_mean_of_both_networks_and_survives_a_save()
    {
        RatingMatrix m = RatingMatrix.Build(_ratings);
        var options = new DeepMfOptions { Factors = 8, Width = 16, Epochs = 20, BatchSize = 64, ValidationFraction = 0.2, EarlyStoppingPatience = 3, AverageValidated = false };
        var training = new TrainingOptions { Threads = 1 };
        var refit = (RecommenderModel)new DeepMfTrainer(options).Fit(m, training);
        var validated = (RecommenderModel)new DeepMfTrainer(options with { Refit = false }).Fit(m, training);
        var both = (DeepMfModel)new DeepMfTrainer(options with { AverageValidated = true }).Fit(m, training);
        Assert.Equal(2, both.Networks);
        Assert.Equal(1, ((DeepMfModel)refit).Networks);

        using var saved = new MemoryStream();
        ModelSerializer.Save(both, saved);
        var loaded = (DeepMfModel)ModelSerializer.Load(new MemoryStream(saved.ToArray()));
        Assert.Equal(2, loaded.Networks);
        for (int u = 0; u < m.UserCount; u += 4)
        {
            for (int i = 0; i < m.ItemCount; i++)
            {
                Assert.Equal((refit.Estimate(u, i) + validated.Estimate(u, i)) / 2, both.Estimate(u, i), 1e-4f);
                Assert.Equal(both.Estimate(u, i), loaded.Estimate(u, i));
            }
        }

        // A single network is still written as before (no count): the refit model reads back with one.
        using var single = new MemoryStream();
        ModelSerializer.Save(refit, single);
        Assert.Equal(refit.Estimate(3, 4), ModelSerializer.Load(new MemoryStream(single.ToArray())).Estimate(3, 4));
    }

    [Theory]
    [InlineData("autorec", 2)]
    [InlineData("deep-mf", 2)]
    public void Same_seed_and_thread_count_give_the_same_model(string name, int threads)
    {
        RatingMatrix m = RatingMatrix.Build(_ratings);
        IRecommenderModel a = Small(name).Fit(m, new TrainingOptions { Threads = threads });
        IRecommenderModel b = Small(name).Fit(m, new TrainingOptions { Threads = threads });

        for (int u = 0; u < m.UserCount; u += 7)
        {
            for (int i = 0; i < m.ItemCount; i++)
            {
                Assert.Equal(a.Estimate(u, i), b.Estimate(u, i));
            }
        }
    }

    [Fact]
    public void Deep_mf_gives_the_same_model_on_one_thread_and_on_two()
    {
        RatingMatrix m = RatingMatrix.Build(_ratings);
        IRecommenderModel one = Small("deep-mf").Fit(m, new TrainingOptions { Threads = 1 });
        IRecommenderModel two = Small("deep-mf").Fit(m, new TrainingOptions { Threads = 2 });

        Assert.Equal(one.Estimate(3, 4), two.Estimate(3, 4));
        Assert.Equal(one.Estimate(10, 20), two.Estimate(10, 20));
    }

    [Fact]
    public void Options_are_validated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new AutoRecTrainer(new AutoRecOptions { Hidden = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AutoRecTrainer(new AutoRecOptions { ValidationFraction = 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AutoRecTrainer(new AutoRecOptions { InputDropout = 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AutoRecTrainer(new AutoRecOptions { Members = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AutoRecTrainer(new AutoRecOptions { LearningRateDecay = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AutoRecTrainer(new AutoRecOptions { History = 0 }));
        Assert.Throws<ArgumentException>(() => new AutoRecTrainer(new AutoRecOptions { ResidualInput = true, ResidualTarget = false }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DeepMfTrainer(new DeepMfOptions { Dropout = 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DeepMfTrainer(new DeepMfOptions { Depth = 0 }));
        Assert.Equal("residual-mf", new DeepMfTrainer(new DeepMfOptions { Residual = true }).Name);
    }

    private static IRecommenderTrainer Small(string name) => name switch
    {
        "autorec" => new AutoRecTrainer(new AutoRecOptions { Hidden = 32, Epochs = 40, BatchSize = 8, ValidationFraction = 0.1 }),
        "autorec-adam" => new AutoRecTrainer(new AutoRecOptions { Hidden = 32, Epochs = 40, BatchSize = 8, ValidationFraction = 0.1, Optimizer = AutoRecOptimizer.Adam, ResidualInput = true, LeaveOneOut = false, Regularization = 20 }),
        "autorec-raw" => new AutoRecTrainer(new AutoRecOptions { Hidden = 32, Epochs = 40, ValidationFraction = 0.1, ResidualInput = false, ResidualTarget = false }),
        "deep-mf" => new DeepMfTrainer(new DeepMfOptions { Factors = 8, Width = 16, Epochs = 30, BatchSize = 64, ValidationFraction = 0.1 }),
        _ => new DeepMfTrainer(new DeepMfOptions { Factors = 8, Width = 16, Depth = 3, Residual = true, Epochs = 30, BatchSize = 64, ValidationFraction = 0.1 }),
    };

    /// <summary>
    /// Central differences at three step sizes; a parameter passes when one agrees, since a step can carry a ReLU
    /// across its kink (the analytic gradient is then right and the difference quotient is not).
    /// </summary>
    private static void AssertGradient(float[] parameters, float[] analytic, Func<double> loss)
    {
        for (int n = 0; n < parameters.Length; n++)
        {
            float keep = parameters[n];
            var numerics = new List<double>();
            foreach (float step in (float[])[1e-3f, 5e-4f, 2e-3f])
            {
                parameters[n] = keep + step;
                double up = loss();
                parameters[n] = keep - step;
                double down = loss();
                parameters[n] = keep;
                numerics.Add((up - down) / (2 * step));
            }

            Assert.True(numerics.Any(numeric => Math.Abs(numeric - analytic[n]) <= 1e-3 + (0.05 * Math.Abs(numeric))),
                $"parameter {n}: analytic {analytic[n]}, numeric {string.Join(", ", numerics)}");
        }
    }

    private sealed class SyncProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
