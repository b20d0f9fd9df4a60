using MovieRec.Core.Data;
using MovieRec.Core.Models.Baselines;
using MovieRec.Core.Models.Content;
using MovieRec.Core.Models.Ease;
using MovieRec.Core.Models.Factorization;
using MovieRec.Core.Models.Hybrid;
using MovieRec.Core.Models.Neighborhood;
using MovieRec.Core.Models.Neural;

namespace MovieRec.Core.Models;

/// <summary>What a trainer may need beyond the ratings: a seed, and for content models the catalogue and tags.</summary>
public sealed record ModelContext(int Seed = 42, IReadOnlyList<Movie>? Movies = null, IReadOnlyList<Tag>? Tags = null)
{
    /// <summary>
    /// How many ratings the model will be trained on, when known: algorithms with size-scaled defaults (see
    /// <see cref="ModelAlgorithm.SizedDefaults"/>) pick their unset options from it. Null: the plain defaults.
    /// </summary>
    public int? TrainingRatings { get; init; }
}

/// <summary>Reads a model's parameters back from its file (after the common header the serializer reads).</summary>
public delegate RecommenderModel ModelReader(string name, BinaryReader reader, RatingMatrix train, BiasBaseline fallback);

/// <summary>
/// One algorithm: its stable id, its options record with the declared options, the trainer factory and the reader of
/// the model payload it writes (<see cref="FormatKind"/>, a stable id written into model files; several algorithms
/// may write the same payload, e.g. svd, svdpp and als all write matrix factorizations).
/// </summary>
public abstract class ModelAlgorithm
{
    private protected ModelAlgorithm(string id, string description, Type optionsType, object defaults, string formatKind, ModelReader read,
        bool needsCatalogue, IReadOnlyCollection<string>? hidden)
    {
        Id = id;
        Description = description;
        OptionsType = optionsType;
        Defaults = defaults;
        FormatKind = formatKind;
        Read = read;
        NeedsCatalogue = needsCatalogue;
        Options = OptionSchema.Read(optionsType, defaults, hidden);
    }

    public string Id { get; }

    public string Description { get; }

    public Type OptionsType { get; }

    /// <summary>The options a plain <see cref="Id"/> trains with.</summary>
    public object Defaults { get; }

    /// <summary>The options a user may set, with default, range and description.</summary>
    public IReadOnlyList<OptionSpec> Options { get; }

    public string FormatKind { get; }

    public ModelReader Read { get; }

    /// <summary>The trainer needs the movie catalogue (and tags) in its <see cref="ModelContext"/>.</summary>
    public bool NeedsCatalogue { get; }

    /// <summary>
    /// Option values that replace the defaults for a training set of the given number of ratings (empty: the defaults
    /// as declared). Applied to the algorithm's own id only (not to presets), before the user's values, so an option
    /// the user sets always wins.
    /// </summary>
    public Func<int, IReadOnlyDictionary<string, object>>? SizedDefaults { get; init; }

    /// <summary>The declared option called <paramref name="name"/> (case-insensitive), or null.</summary>
    public OptionSpec? Option(string name) =>
        Options.FirstOrDefault(o => string.Equals(o.Name, name.Trim(), StringComparison.OrdinalIgnoreCase));

    /// <summary>A trainer named <paramref name="name"/> over an options record of <see cref="OptionsType"/>.</summary>
    public abstract IRecommenderTrainer CreateTrainer(string name, object options, ModelContext context);
}

/// <summary>An algorithm with a typed options record.</summary>
public sealed class ModelAlgorithm<TOptions> : ModelAlgorithm
    where TOptions : class
{
    private readonly Func<TOptions, string, ModelContext, IRecommenderTrainer> _create;

    public ModelAlgorithm(string id, string description, TOptions defaults, string formatKind, ModelReader read,
        Func<TOptions, string, ModelContext, IRecommenderTrainer> create, bool needsCatalogue = false, IReadOnlyCollection<string>? hidden = null)
        : base(id, description, typeof(TOptions), defaults, formatKind, read, needsCatalogue, hidden) => _create = create;

    public override IRecommenderTrainer CreateTrainer(string name, object options, ModelContext context) =>
        _create((TOptions)options, name, context);
}

/// <summary>A model the CLI and API can name: an algorithm with a preset of its options (the algorithm's own defaults for its id).</summary>
public sealed record ModelInfo(string Name, string Description, ModelAlgorithm Algorithm, object Options)
{
    public bool NeedsCatalogue => Algorithm.NeedsCatalogue;
}

/// <summary>
/// Every algorithm, once, and the named presets over them. Adding a model = its folder + one line in
/// <see cref="Algorithms"/> (plus, optionally, preset lines in <see cref="Presets"/>).
/// </summary>
public static class ModelRegistry
{
    public static IReadOnlyList<ModelAlgorithm> Algorithms { get; } =
    [
        new ModelAlgorithm<GlobalMeanOptions>("mean", "global mean rating", new(), GlobalMeanModel.Kind, (_, r, t, f) => GlobalMeanModel.Read(r, t, f), (_, _, _) => new GlobalMeanTrainer()),
        new ModelAlgorithm<BaselineOptions>("baseline", "mu + b_u + b_i, ALS (Surprise BaselineOnly defaults)", new(), BaselineOnlyModel.Kind, BaselineOnlyModel.Read, (o, _, _) => new BaselineOnlyTrainer(o)),
        new ModelAlgorithm<PopularityOptions>("popular", "most rated movies first; baseline rating predictions", new(), PopularityModel.Kind, (_, r, t, f) => PopularityModel.Read(r, t, f), (o, _, _) => new PopularityTrainer(o)),
        new ModelAlgorithm<SvdOptions>("svd", "biased matrix factorization by SGD, MovieRec's tuned defaults (fewer factors and epochs on large data)", new(), MatrixFactorizationModel.Kind, MatrixFactorizationModel.Read, (o, n, _) => new SvdTrainer(o, n), hidden: ["regImplicit"])
        {
            SizedDefaults = SvdOptions.ForRatings,
        },
        new ModelAlgorithm<SvdOptions>("svdpp", "SVD++: factorization with implicit feedback from what each user rated", SvdPlusPlusTrainer.Defaults, MatrixFactorizationModel.Kind, MatrixFactorizationModel.Read, (o, _, _) => new SvdPlusPlusTrainer(o)),
        new ModelAlgorithm<AlsOptions>("als", "biased matrix factorization by alternating least squares", new(), MatrixFactorizationModel.Kind, MatrixFactorizationModel.Read, (o, _, _) => new AlsTrainer(o)),
        new ModelAlgorithm<ImplicitAlsOptions>("implicit-als", "implicit-feedback ALS (Hu, Koren, Volinsky) for top-N ranking; baseline rating predictions", new(), ImplicitFactorizationModel.Kind, (_, r, t, f) => ImplicitFactorizationModel.Read(r, t, f), (o, _, _) => new ImplicitAlsTrainer(o))
        {
            SizedDefaults = ImplicitAlsOptions.ForRatings,
        },
        new ModelAlgorithm<EaseOptions>("ease", "EASE^R closed-form item-item model for top-N ranking (most-rated movies); baseline rating predictions", new(), EaseModel.Kind, (_, r, t, f) => EaseModel.Read(r, t, f), (o, _, _) => new EaseTrainer(o)),
        new ModelAlgorithm<AutoRecOptions>("autorec", "item-based AutoRec: each movie's ratings and who rated it through a 150-unit sigmoid autoencoder to baseline residuals, each rating predicted from the movie's other ratings (leave one out), full-batch L-BFGS with early stopping, then refit on all ratings and averaged with the validated network", new(), AutoRecModel.Kind, (_, r, t, f) => AutoRecModel.Read(r, t, f), (o, _, _) => new AutoRecTrainer(o))
        {
            SizedDefaults = AutoRecOptions.ForRatings,
        },
        new ModelAlgorithm<DeepMfOptions>("deep-mf", "deep MF: user and movie embeddings through dense layers with batch normalization, ReLU and dropout, plus biases and p_u . q_i (early stopping, then the refit on all ratings averaged with the validated network)", new(), DeepMfModel.Kind, DeepMfModel.Read, (o, n, _) => new DeepMfTrainer(o, n)),
        new ModelAlgorithm<KnnOptions>("user-knn", "user-based kNN: baseline rule, pearson-baseline, k 40 (Surprise KNNBaseline)", new(), KnnModel.Kind, KnnModel.Read, (o, n, _) => new UserKnnTrainer(o, n)),
        new ModelAlgorithm<KnnOptions>("item-knn", "item-based kNN: baseline rule, pearson-baseline, k 40 (Surprise KNNBaseline); top-N from the 10 nearest", new() { RankK = 10 }, KnnModel.Kind, KnnModel.Read, (o, n, _) => new ItemKnnTrainer(o, n)),
        new ModelAlgorithm<ContentOptions>("content", "TF-IDF over genres, tags and title words (Microsoft.ML); cosine similarity, works for unrated movies", new(), ContentModel.Kind, (_, r, t, f) => ContentModel.Read(r, t, f), (o, _, c) => new ContentTrainer(c.Movies ?? [], c.Tags ?? [], o), needsCatalogue: true),
        new ModelAlgorithm<HybridOptions>("hybrid", "stacked blend of baseline, item-knn, user-knn, svd, svdpp, als, content and autorec (feature-weighted ridge blender); top-N from ease, or LambdaMART over ease and implicit-als candidates (ranker=lambdaMart)", new(), HybridModel.Kind, HybridModel.Read, (o, n, c) => Hybrid(o, c, n), needsCatalogue: true),
    ];

    /// <summary>Named option presets over one algorithm (Surprise's classes, a second blender).</summary>
    public static IReadOnlyList<ModelInfo> Presets { get; } =
    [
        Preset("baseline-sgd", "baseline", "mu + b_u + b_i, SGD (Surprise defaults)", new BaselineOptions { Method = BaselineMethod.Sgd }),
        Preset("svd-surprise", "svd", "biased matrix factorization by SGD, Surprise's defaults", SvdOptions.Surprise),
        Preset("residual-mf", "deep-mf", "deep MF whose second dense layer adds its input to its output (a residual connection)", new DeepMfOptions { Residual = true }),
        Knn("user-knn-basic", "user-knn", KnnPrediction.Basic, KnnSimilarity.Msd, "KNNBasic"),
        Knn("user-knn-cosine", "user-knn", KnnPrediction.Basic, KnnSimilarity.Cosine, "KNNBasic"),
        Knn("user-knn-means", "user-knn", KnnPrediction.Means, KnnSimilarity.Msd, "KNNWithMeans"),
        Knn("user-knn-zscore", "user-knn", KnnPrediction.ZScore, KnnSimilarity.Msd, "KNNWithZScore"),
        Knn("item-knn-basic", "item-knn", KnnPrediction.Basic, KnnSimilarity.Msd, "KNNBasic"),
        Knn("item-knn-means", "item-knn", KnnPrediction.Means, KnnSimilarity.Msd, "KNNWithMeans"),
        Knn("item-knn-zscore", "item-knn", KnnPrediction.ZScore, KnnSimilarity.Msd, "KNNWithZScore"),
        Preset("hybrid-fasttree", "hybrid", "the hybrid with a FastTree (gradient-boosted trees) blender", new HybridOptions { Blender = HybridBlender.FastTree }),
        Preset("hybrid-deep", "hybrid", "the hybrid (autorec included) with deep-mf and residual-mf as further bases (about twice its fit time)",
            new HybridOptions { BaseModels = [.. new HybridOptions().BaseModels, DeepMfTrainer.DeepName, DeepMfTrainer.ResidualName] }),
    ];

    /// <summary>Every nameable model: each algorithm under its id with its defaults, followed by its presets.</summary>
    public static IReadOnlyList<ModelInfo> All { get; } = BuildAll();

    public static IReadOnlyList<string> Names { get; } = [.. All.Select(m => m.Name)];

    /// <summary>The trainer for a model name with its preset options and the given seed; the error lists the known names.</summary>
    public static IRecommenderTrainer Create(string name, int seed = 42) => Create(name, new ModelContext(seed));

    /// <summary>The trainer for a model name, given the context some models need; the error lists the known names.</summary>
    public static IRecommenderTrainer Create(string name, ModelContext context) => Resolve(name, context).CreateTrainer(context);

    /// <summary>A model by name (case-insensitive); the error lists the known names.</summary>
    public static ModelInfo Info(string name) =>
        All.FirstOrDefault(m => string.Equals(m.Name, name.Trim(), StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown model '{name}'. Known models: {string.Join(", ", Names)}.", nameof(name));

    /// <summary>The algorithm whose payloads carry <paramref name="formatKind"/>, or null.</summary>
    public static ModelReader? Reader(string formatKind) =>
        Algorithms.FirstOrDefault(a => string.Equals(a.FormatKind, formatKind, StringComparison.Ordinal))?.Read;

    /// <summary>
    /// A model name with its effective options: the preset, then the context's seed (where the algorithm has one and the
    /// overrides do not set it), then <paramref name="overrides"/> (parsed and range-checked values by option name).
    /// </summary>
    public static ResolvedModel Resolve(string name, ModelContext context, IReadOnlyDictionary<string, string>? overrides = null)
    {
        ModelInfo info = Info(name);
        var values = new Dictionary<OptionSpec, object?>();
        if (info.Algorithm.Option("seed") is { } seed)
        {
            values[seed] = context.Seed;
        }

        if (context.TrainingRatings is int ratings && ReferenceEquals(info.Options, info.Algorithm.Defaults) && info.Algorithm.SizedDefaults is { } sized)
        {
            foreach ((string option, object value) in sized(ratings))
            {
                values[info.Algorithm.Option(option) ?? throw new InvalidOperationException($"Model '{info.Name}' scales an undeclared option '{option}'.")] = value;
            }
        }

        foreach ((string option, string value) in overrides ?? new Dictionary<string, string>())
        {
            OptionSpec spec = info.Algorithm.Option(option) ?? throw UnknownOption(info, option);
            values[spec] = spec.Parse(info.Name, value);
        }

        return new ResolvedModel(info, OptionSchema.With(info.Options, values));
    }

    /// <summary>The error for an option the model does not have, listing the ones it has.</summary>
    public static ModelOptionException UnknownOption(ModelInfo info, string option) =>
        new($"Model '{info.Name}' has no option '{option}'. Its options: {(info.Algorithm.Options.Count == 0 ? "none" : string.Join(", ", info.Algorithm.Options.Select(o => o.Name)))}.");

    /// <summary>
    /// A hybrid whose base and ranking trainers are the registry's models named in <paramref name="options"/>, with
    /// <see cref="HybridOptions.Seed"/>; models that need a catalogue join only when <paramref name="context"/> has one.
    /// </summary>
    public static HybridTrainer Hybrid(HybridOptions options, ModelContext context, string name = HybridTrainer.ModelName)
    {
        // The base trainers are values: the hybrid never looks models up itself.
        ModelContext baseContext = context with { Seed = options.Seed };
        IRecommenderTrainer[] Trainers(IEnumerable<string> names) => [.. names
            .Where(n => !Info(n).NeedsCatalogue || context.Movies is { Count: > 0 })
            .Select(n => Create(n, baseContext))];
        return new HybridTrainer(Trainers(options.BaseModels), Create(options.RankingModel, baseContext), options, name,
            Trainers(options.CandidateModels), Trainers(options.RankingFeatureModels), Trainers(options.FusionModels));
    }

    private static ModelInfo Preset(string name, string algorithm, string description, object options) =>
        new(name, description, Algorithms.Single(a => a.Id == algorithm), options);

    // The named kNN variants use Surprise's default similarity (msd) unless their name says otherwise, so each
    // matches a row of PEERS.md.
    private static ModelInfo Knn(string name, string algorithm, KnnPrediction rule, KnnSimilarity similarity, string surprise) =>
        Preset(name, algorithm, $"{(algorithm == "item-knn" ? "item" : "user")}-based kNN: {rule.ToString().ToLowerInvariant()} rule, {(similarity == KnnSimilarity.Msd ? "msd" : "cosine")}, k 40 (Surprise {surprise})",
            new KnnOptions { Prediction = rule, Similarity = similarity });

    private static List<ModelInfo> BuildAll()
    {
        var all = new List<ModelInfo>();
        foreach (ModelAlgorithm algorithm in Algorithms)
        {
            all.Add(new ModelInfo(algorithm.Id, algorithm.Description, algorithm, algorithm.Defaults));
            all.AddRange(Presets.Where(p => p.Algorithm == algorithm));
        }

        return all;
    }
}

/// <summary>A named model with the options it will train with.</summary>
public sealed record ResolvedModel(ModelInfo Info, object Options)
{
    public string Name => Info.Name;

    public IRecommenderTrainer CreateTrainer(ModelContext context) => Info.Algorithm.CreateTrainer(Info.Name, Options, context);

    /// <summary>The declared options with their values, by option name: what the manifest, /models and the CLI's JSON show.</summary>
    public IReadOnlyDictionary<string, object?> OptionValues => OptionSchema.Values(Info.Algorithm.Options, Options);
}
