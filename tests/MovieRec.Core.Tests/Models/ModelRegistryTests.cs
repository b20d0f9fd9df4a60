using System.Text;
using MovieRec.Core.Artifacts;
using MovieRec.Core.Data;
using MovieRec.Core.Models;
using MovieRec.Core.Models.Ease;
using MovieRec.Core.Models.Factorization;
using MovieRec.Core.Models.Hybrid;
using MovieRec.Core.Models.Neighborhood;
using MovieRec.Core.Models.Neural;

namespace MovieRec.Core.Tests.Models;

public sealed class ModelRegistryTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Svd_defaults_scale_with_the_training_set_and_the_users_values_win()
    {
        static SvdOptions Options(string name, int? ratings, Dictionary<string, string>? set = null) =>
            (SvdOptions)ModelRegistry.Resolve(name, new ModelContext() { TrainingRatings = ratings }, set).Options;

        // ml-100k / ml-latest-small sizes and an unknown size keep the declared defaults (the README's benchmark figures).
        Assert.Equal(new SvdOptions(), Options("svd", null));
        Assert.Equal(new SvdOptions(), Options("svd", 100_836));
        Assert.Equal(new SvdOptions(), Options("svd", SvdOptions.LargeRatings - 1));

        SvdOptions large = Options("svd", 25_000_000);
        Assert.Equal(new SvdOptions { Factors = SvdOptions.LargeFactors, Epochs = SvdOptions.LargeEpochs }, large);
        Assert.True(large.Factors < new SvdOptions().Factors && large.Epochs < new SvdOptions().Epochs);

        Assert.Equal(150, Options("svd", 25_000_000, new() { ["factors"] = "150" }).Factors);
        Assert.Equal(SvdOptions.LargeEpochs, Options("svd", 25_000_000, new() { ["factors"] = "150" }).Epochs);
        Assert.Equal(SvdOptions.Surprise with { Seed = 42 }, Options("svd-surprise", 25_000_000));
    }

    [Fact]
    public void Implicit_als_gathers_from_bfloat16_copies_from_five_million_ratings_and_the_users_value_wins()
    {
        static ImplicitAlsOptions Options(int? ratings, Dictionary<string, string>? set = null) =>
            (ImplicitAlsOptions)ModelRegistry.Resolve("implicit-als", new ModelContext() { TrainingRatings = ratings }, set).Options;

        // Below the threshold the declared defaults: float gathers, the same models (and README figures) as before.
        Assert.Equal(new ImplicitAlsOptions(), Options(null));
        Assert.Equal(new ImplicitAlsOptions(), Options(ImplicitAlsOptions.LargeRatings - 1));
        Assert.False(new ImplicitAlsOptions().Bfloat16);

        Assert.Equal(new ImplicitAlsOptions { Bfloat16 = true }, Options(ImplicitAlsOptions.LargeRatings));
        Assert.Equal(new ImplicitAlsOptions { Bfloat16 = true, Factors = 64 }, Options(25_000_000, new() { ["factors"] = "64" }));
        Assert.False(Options(25_000_000, new() { ["bfloat16"] = "false" }).Bfloat16);
        Assert.True(Options(100_836, new() { ["bfloat16"] = "true" }).Bfloat16);
        Assert.Equal(true, ModelRegistry.Resolve("implicit-als", new ModelContext() { TrainingRatings = 25_000_000 }).OptionValues["bfloat16"]);
    }

    [Fact]
    public void Autorec_trains_with_adam_from_five_million_ratings_also_as_a_hybrid_base_and_the_users_value_wins()
    {
        static AutoRecOptions Options(int? ratings, Dictionary<string, string>? set = null) =>
            (AutoRecOptions)ModelRegistry.Resolve("autorec", new ModelContext() { TrainingRatings = ratings }, set).Options;

        // Below the threshold the declared defaults: full-batch L-BFGS (25 copies of the parameters), the README's figures.
        Assert.Equal(AutoRecOptimizer.Lbfgs, new AutoRecOptions().Optimizer);
        Assert.Equal(new AutoRecOptions(), Options(null));
        Assert.Equal(new AutoRecOptions(), Options(100_000));
        Assert.Equal(new AutoRecOptions(), Options(AutoRecOptions.LargeRatings - 1));

        Assert.Equal(new AutoRecOptions { Optimizer = AutoRecOptimizer.Adam }, Options(AutoRecOptions.LargeRatings));
        Assert.Equal(new AutoRecOptions { Optimizer = AutoRecOptimizer.Adam, Hidden = 64 }, Options(25_000_000, new() { ["hidden"] = "64" }));
        Assert.Equal(AutoRecOptimizer.Lbfgs, Options(25_000_000, new() { ["optimizer"] = "lbfgs" }).Optimizer);

        // The hybrid's bases are resolved by the registry with the same training-set size, so its autorec switches too.
        AutoRecOptimizer BaseOptimizer(int ratings) => ModelRegistry.Hybrid(new HybridOptions { BaseModels = ["baseline", "autorec"] }, new ModelContext() { TrainingRatings = ratings })
            .Bases.OfType<AutoRecTrainer>().Single().Options.Optimizer;
        Assert.Equal(AutoRecOptimizer.Lbfgs, BaseOptimizer(100_000));
        Assert.Equal(AutoRecOptimizer.Adam, BaseOptimizer(25_000_000));
    }

    [Fact]
    public void A_trained_bundle_records_the_size_scaled_options_it_used()
    {
        var context = new ModelContext() { TrainingRatings = 25_000_000 };
        ResolvedModel resolved = ModelRegistry.Resolve("svd", context);

        Assert.Equal(SvdOptions.LargeFactors, resolved.OptionValues["factors"]);
        Assert.Equal(SvdOptions.LargeEpochs, resolved.OptionValues["epochs"]);
    }

    [Fact]
    public void Every_registry_model_round_trips_through_a_bundle_with_identical_answers()
    {
        MovieLensDataset dataset = MovieLensLoader.Load(Fixtures.WriteCsvDataset(_dir, Fixtures.SyntheticRatings(), movies: 60));
        RatingMatrix ratings = RatingMatrix.Build(dataset.Ratings);
        var context = new ModelContext(3, dataset.Movies, dataset.Tags);
        var trained = new List<TrainedModel>();
        foreach (string name in ModelRegistry.Names)
        {
            ResolvedModel resolved = ModelRegistry.Resolve(name, context);
            trained.Add(new TrainedModel(resolved.CreateTrainer(context).Fit(ratings, new TrainingOptions { Threads = 1 }), resolved.OptionValues, 0));
        }

        BundleStore.Publish(Path.Combine(_dir.Path, "models"), dataset, ratings, trained);
        ModelBundle bundle = BundleStore.LoadCurrent(Path.Combine(_dir.Path, "models"));

        Assert.Equal(ModelRegistry.Names, bundle.Manifest.Models.Select(m => m.Name));
        foreach (TrainedModel original in trained)
        {
            IRecommenderModel loaded = bundle.Models[original.Model.Name];
            foreach (Rating r in dataset.Ratings.Take(100))
            {
                Assert.Equal(original.Model.Predict(r.UserId, r.MovieId), loaded.Predict(r.UserId, r.MovieId));
            }

            Assert.Equal(original.Model.Recommend(ratings.Users.RawId(2), 10), loaded.Recommend(ratings.Users.RawId(2), 10));
            Assert.Equal(original.Model.Capabilities.SimilarItems is null, loaded.Capabilities.SimilarItems is null);
            Assert.Equal(original.Model.Capabilities.FoldIn is null, loaded.Capabilities.FoldIn is null);
        }
    }

    [Fact]
    public void Every_algorithm_has_an_id_a_payload_kind_and_declared_options_with_valid_defaults()
    {
        Assert.Equal(ModelRegistry.Algorithms.Count, ModelRegistry.Algorithms.Select(a => a.Id).Distinct().Count());
        foreach (ModelAlgorithm algorithm in ModelRegistry.Algorithms)
        {
            Assert.Matches("^[a-z][a-z0-9-]*$", algorithm.Id);
            Assert.Matches("^[a-z][a-z0-9-]*$", algorithm.FormatKind);
            Assert.NotNull(ModelRegistry.Reader(algorithm.FormatKind));
            foreach (OptionSpec option in algorithm.Options)
            {
                Assert.False(string.IsNullOrWhiteSpace(option.Description), $"{algorithm.Id}.{option.Name}");
                if (option.Default is IConvertible number && option.Type is OptionType.Integer or OptionType.Number)
                {
                    option.CheckRange($"{algorithm.Id}.{option.Name}", number.ToDouble(System.Globalization.CultureInfo.InvariantCulture));
                }

                if (option.Tune is { } tune)
                {
                    option.CheckRange(option.Name, tune.Min);
                    option.CheckRange(option.Name, tune.Max);
                    Assert.True(tune.Min < tune.Max && (!tune.Log || tune.Min > 0), $"{algorithm.Id}.{option.Name} tuning range");
                }
            }
        }
    }

    [Fact]
    public void Svd_declares_factors_epochs_learning_rate_regularisation_and_seed_and_only_what_applies()
    {
        ModelAlgorithm svd = ModelRegistry.Info("svd").Algorithm;
        string[] names = [.. svd.Options.Select(o => o.Name)];

        Assert.Subset(names.ToHashSet(), new HashSet<string> { "factors", "epochs", "learningRate", "regBias", "regFactor", "seed" });
        Assert.DoesNotContain("regImplicit", names); // SVD++ only
        Assert.Contains("regImplicit", ModelRegistry.Info("svdpp").Algorithm.Options.Select(o => o.Name));
        Assert.DoesNotContain("learningRate", ModelRegistry.Info("als").Algorithm.Options.Select(o => o.Name));
        OptionSpec factors = svd.Option("factors")!;
        Assert.Equal((200, "[1, 2000]"), ((int)factors.Default!, factors.RangeText));
        Assert.Equal("(0, 1]", svd.Option("learningRate")!.RangeText);
        Assert.True(svd.Option("epochs")!.Budget);
    }

    [Fact]
    public void Presets_are_options_over_one_algorithm()
    {
        ResolvedModel basic = ModelRegistry.Resolve("item-knn-basic", new ModelContext());
        ResolvedModel surprise = ModelRegistry.Resolve("svd-surprise", new ModelContext(9));

        Assert.Equal("item-knn", basic.Info.Algorithm.Id);
        Assert.Equal(KnnPrediction.Basic, ((KnnOptions)basic.Options).Prediction);
        Assert.Equal("basic", basic.OptionValues["prediction"]);
        Assert.Equal(SvdOptions.Surprise with { Seed = 9 }, surprise.Options);
        Assert.Equal("svd-surprise", surprise.CreateTrainer(new ModelContext()).Name);
    }

    [Fact]
    public void Set_values_are_parsed_range_checked_and_reach_the_trainer()
    {
        ModelOverrides overrides = ModelOverrides.Parse(["svd.factors=20", "svd.epochs=10", "svd.shuffle=false", "item-knn.similarity=Cosine"], null);

        IReadOnlyList<ResolvedModel> resolved = overrides.Resolve(["svd", "item-knn"], new ModelContext(5));

        var svd = (SvdTrainer)resolved[0].CreateTrainer(new ModelContext());
        Assert.Equal((20, 10, false, 5), (svd.Options.Factors, svd.Options.Epochs, svd.Options.Shuffle, svd.Options.Seed));
        Assert.Equal(KnnSimilarity.Cosine, ((ItemKnnTrainer)resolved[1].CreateTrainer(new ModelContext())).Options.Similarity);
        Assert.Equal(20, resolved[0].OptionValues["factors"]);
    }

    [Theory]
    [InlineData("0", 0f)]
    [InlineData("3.5", 3.5f)]
    public void A_float_option_set_from_text_reaches_the_trainer(string value, float expected)
    {
        // A float property must receive a boxed float: SetValue does not narrow a boxed double.
        IReadOnlyList<ResolvedModel> resolved = ModelOverrides.Parse([$"ease.minRating={value}"], null).Resolve(["ease"], new ModelContext());

        Assert.Equal(expected, ((EaseTrainer)resolved[0].CreateTrainer(new ModelContext())).Options.MinRating);
        Assert.Equal(expected, resolved[0].OptionValues["minRating"]);
    }

    [Theory]
    [InlineData("svd.factors=-3", "svd.factors", "[1, 2000]")]
    [InlineData("svd.factors=2.5", "svd.factors", "whole number")]
    [InlineData("svd.learningRate=0", "svd.learningRate", "(0, 1]")]
    [InlineData("svd.shuffle=maybe", "svd.shuffle", "true or false")]
    [InlineData("item-knn.similarity=jaccard", "item-knn.similarity", "cosine|msd|pearson|pearsonBaseline")]
    [InlineData("svd.factor=3", "no option 'factor'", "factors, epochs, learningRate")]
    [InlineData("svd.regImplicit=0.1", "no option 'regImplicit'", "regFactor")]
    [InlineData("user-knn.k=5", "'user-knn'", "not among the models being run")]
    [InlineData("svdx.k=5", "'svdx'", "known models:")]
    [InlineData("svd-factors=5", "--set 'svd-factors=5'", "<model>.<option>=<value>")]
    public void Bad_values_fail_naming_the_option_and_what_is_valid(string set, string names, string valid)
    {
        var e = Assert.Throws<ModelOptionException>(() => ModelOverrides.Parse([set], null).Resolve(["svd", "item-knn"], new ModelContext()));

        Assert.Contains(names, e.Message, StringComparison.Ordinal);
        Assert.Contains(valid, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_options_file_round_trips_and_set_wins_over_it()
    {
        string path = _dir.Write("best.json", ModelOverrides.ToJson("svd-surprise", new Dictionary<string, object?> { ["factors"] = 37, ["learningRate"] = 0.0123, ["shuffle"] = true }));

        ResolvedModel fromFile = ModelOverrides.Parse([], path).Resolve(["svd-surprise"], new ModelContext())[0];
        ResolvedModel overridden = ModelOverrides.Parse(["svd-surprise.factors=5"], path).Resolve(["svd-surprise"], new ModelContext())[0];

        var options = (SvdOptions)fromFile.Options;
        Assert.Equal((37, 0.0123, true, 20), (options.Factors, options.LearningRate, options.Shuffle, options.Epochs));
        Assert.Equal(5, ((SvdOptions)overridden.Options).Factors);
        string bad = _dir.Write("bad.json", "{\"svd\": [1, 2]}");
        Assert.Contains("bad.json", Assert.Throws<ModelOptionException>(() => ModelOverrides.Parse([], bad)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_format_version_1_model_file_still_loads_and_an_unknown_version_asks_for_a_retrain()
    {
        RatingMatrix m = RatingMatrix.Build(Fixtures.SyntheticRatings());
        IRecommenderModel svd = new SvdTrainer(new SvdOptions { Factors = 4, Epochs = 3 }).Fit(m, new TrainingOptions { Threads = 1 });
        using var current = new MemoryStream();
        ModelSerializer.Save(svd, current);

        // Version 1 wrote the CLR class name where version 2 writes the stable kind.
        byte[] v2 = current.ToArray();
        using var v1 = new MemoryStream();
        using (var writer = new BinaryWriter(v1, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(v2.AsSpan(0, 8));
            writer.Write(1);
            writer.Write("MatrixFactorizationModel");
            int afterKind = 8 + 4 + 1 + MatrixFactorizationModel.Kind.Length;
            writer.Write(v2.AsSpan(afterKind));
        }

        v1.Position = 0;
        IRecommenderModel loaded = ModelSerializer.Load(v1);
        Assert.Equal(svd.Predict(1, 2), loaded.Predict(1, 2));

        byte[] v9 = [.. v2];
        BitConverter.GetBytes(9).CopyTo(v9, 8);
        var e = Assert.Throws<InvalidDataException>(() => ModelSerializer.Load(new MemoryStream(v9)));
        Assert.Contains("re-train", e.Message, StringComparison.Ordinal);
        Assert.Contains($"format version {ModelSerializer.FormatVersion}", e.Message, StringComparison.Ordinal);
    }
}
