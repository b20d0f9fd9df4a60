using MovieRec.Core.Data;
using MovieRec.Core.Numerics;

namespace MovieRec.Core.Models.Hybrid;

/// <summary>How the hybrid combines its base models' predictions.</summary>
public enum HybridBlender
{
    /// <summary>Ridge least squares over the predictions and meta-features.</summary>
    Linear,

    /// <summary>Gradient-boosted regression trees (Microsoft.ML FastTree) over the same features.</summary>
    FastTree,
}

/// <summary>Options of <see cref="HybridTrainer"/>.</summary>
public sealed record HybridOptions
{
    [Option("how base predictions are combined")]
    public HybridBlender Blender { get; init; } = HybridBlender.Linear;

    /// <summary>The rating models whose predictions are blended (content joins only where a catalogue is given).</summary>
    public IReadOnlyList<string> BaseModels { get; init; } = ["baseline", "item-knn", "user-knn", "svd", "svdpp", "als", "content"];

    /// <summary>The model whose ranking the hybrid's top-N uses (a blend of predicted ratings ranks poorly).</summary>
    public string RankingModel { get; init; } = "implicit-als";

    /// <summary>Share of the training ratings held out to fit the blender.</summary>
    [Option("share of the training ratings held out to fit the blender", Min = 0, MinExclusive = true, Max = 0.9)]
    public double ValidationFraction { get; init; } = 0.2;

    /// <summary>Ridge penalty of the linear blender.</summary>
    [Option("ridge penalty of the linear blender", Min = 0, Max = 1e6, TuneMin = 0.01, TuneMax = 100, LogScale = true)]
    public double Ridge { get; init; } = 1.0;

    [Option("random seed of the inner split and of the base models", Min = 0, Max = int.MaxValue)]
    public int Seed { get; init; } = 42;

    public HybridOptions Validate()
    {
        if (BaseModels.Count == 0)
        {
            throw new ArgumentException("The hybrid needs at least one base model.", nameof(BaseModels));
        }

        if (ValidationFraction is <= 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(ValidationFraction), ValidationFraction, "Must lie strictly between 0 and 1.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(Ridge, nameof(Ridge));
        return this;
    }
}

/// <summary>
/// A stacked blend. The base models are fitted on an inner training split; a linear blender (ridge least squares) is
/// fitted on their predictions for the held-out ratings plus meta-features (log rating counts of the user and the
/// movie, the spread of their ratings); then the base models are refitted on all training ratings.
/// </summary>
/// <remarks>
/// The base trainers and the ranking trainer are given as values (the registry builds them from
/// <see cref="HybridOptions.BaseModels"/> and <see cref="HybridOptions.RankingModel"/>); each is fitted twice, on
/// the inner split and on all ratings.
/// </remarks>
public sealed class HybridTrainer(IReadOnlyList<IRecommenderTrainer> bases, IRecommenderTrainer ranking, HybridOptions? options = null,
    string name = HybridTrainer.ModelName) : IRecommenderTrainer
{
    public const string ModelName = "hybrid";
    public const string FastTreeName = "hybrid-fasttree";

    public HybridOptions Options { get; } = (options ?? new HybridOptions()).Validate();

    public string Name { get; } = name;

    public IRecommenderModel Fit(RatingMatrix train, TrainingOptions? options = null)
    {
        options ??= TrainingOptions.Default;
        if (bases.Count == 0)
        {
            throw new ArgumentException("The hybrid needs at least one base trainer.", nameof(bases));
        }

        string[] names = [.. bases.Select(b => b.Name)];

        // Inner split of the training ratings.
        var random = new Random(Options.Seed);
        var inner = new List<Rating>(train.Count);
        var holdout = new List<Rating>(train.Count / 4);
        for (int u = 0; u < train.UserCount; u++)
        {
            ReadOnlySpan<int> items = train.ItemsOf(u);
            ReadOnlySpan<float> values = train.RatingsOf(u);
            for (int p = 0; p < items.Length; p++)
            {
                var rating = new Rating(train.Users.RawId(u), train.Items.RawId(items[p]), values[p], 0);
                (random.NextDouble() < Options.ValidationFraction ? holdout : inner).Add(rating);
            }
        }

        RatingMatrix innerMatrix = RatingMatrix.Build([.. inner]);
        var features = new double[holdout.Count][];
        var stats = new RowStatistics(innerMatrix, 1.0);
        for (int r = 0; r < holdout.Count; r++)
        {
            features[r] = new double[HybridModel.FeatureCount(names.Length)];
        }

        var timings = new List<(string Part, double Seconds)>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int m = 0; m < names.Length; m++)
        {
            clock.Restart();
            IRecommenderModel model = bases[m].Fit(innerMatrix, options);
            timings.Add(($"{names[m]} (inner fit)", clock.Elapsed.TotalSeconds));
            for (int r = 0; r < holdout.Count; r++)
            {
                features[r][m] = model.Predict(holdout[r].UserId, holdout[r].MovieId).Rating;
            }
        }

        for (int r = 0; r < holdout.Count; r++)
        {
            stats.Fill(innerMatrix.Users.IndexOf(holdout[r].UserId), innerMatrix.Items.IndexOf(holdout[r].MovieId), features[r].AsSpan(names.Length));
        }

        clock.Restart();
        double[] targets = [.. holdout.Select(h => (double)h.Value)];
        double[]? weights = null;
        TreeEnsemble? trees = null;
        if (Options.Blender == HybridBlender.Linear)
        {
            weights = FitRidge(features, targets, Options.Ridge);
        }
        else
        {
            trees = TreeEnsemble.Fit(features, targets, Options.Seed);
        }

        timings.Add(("blender", clock.Elapsed.TotalSeconds));

        // Refit every base model on all the training ratings.
        var fitted = new IRecommenderModel[names.Length];
        for (int m = 0; m < names.Length; m++)
        {
            clock.Restart();
            fitted[m] = bases[m].Fit(train, options);
            timings.Add(($"{names[m]} (refit)", clock.Elapsed.TotalSeconds));
        }

        clock.Restart();
        IRecommenderModel rankingModel = ranking.Fit(train, options);
        timings.Add(($"{ranking.Name} (ranking)", clock.Elapsed.TotalSeconds));
        return new HybridModel(Name, train, BiasBaseline.Default(train), fitted, rankingModel, weights, trees, 1.0 / (1.0 - Options.ValidationFraction))
        {
            FitTimings = timings,
        };
    }

    /// <summary>Ridge least squares with an unpenalised intercept: (X^T X + ridge I) w = X^T y.</summary>
    internal static double[] FitRidge(double[][] x, double[] y, double ridge)
    {
        int d = x[0].Length + 1;
        double[] a = new double[d * d];
        double[] b = new double[d];
        double[] row = new double[d];
        for (int n = 0; n < x.Length; n++)
        {
            row[0] = 1;
            x[n].CopyTo(row, 1);
            for (int i = 0; i < d; i++)
            {
                b[i] += row[i] * y[n];
                for (int j = 0; j <= i; j++)
                {
                    a[(i * d) + j] += row[i] * row[j];
                }
            }
        }

        for (int i = 1; i < d; i++)
        {
            a[(i * d) + i] += ridge;
        }

        if (!Cholesky.Solve(a, b, d))
        {
            throw new InvalidOperationException("The blender's normal equations are singular; raise the ridge penalty.");
        }

        return b;
    }
}

/// <summary>Per-user and per-movie rating counts and spreads: the blender's meta-features.</summary>
internal sealed class RowStatistics
{
    public const int Count = 4;
    private readonly float[] _userLogCount, _userStd, _itemLogCount, _itemStd;

    /// <param name="m">The ratings the statistics describe.</param>
    /// <param name="countScale">Divides counts, so statistics of a full matrix match those of the inner split the blender saw.</param>
    public RowStatistics(RatingMatrix m, double countScale)
    {
        (_userLogCount, _userStd) = Rows(m.UserCount, m.RatingsOf, 1.0 / countScale);
        (_itemLogCount, _itemStd) = Rows(m.ItemCount, m.RatingsOfItem, 1.0 / countScale);
    }

    private delegate ReadOnlySpan<float> RowValues(int row);

    public void Fill(int u, int i, Span<double> target)
    {
        target[0] = u >= 0 ? _userLogCount[u] : 0;
        target[1] = i >= 0 ? _itemLogCount[i] : 0;
        target[2] = u >= 0 ? _userStd[u] : 0;
        target[3] = i >= 0 ? _itemStd[i] : 0;
    }

    private static (float[] LogCount, float[] Std) Rows(int rows, RowValues values, double countScale)
    {
        float[] logCount = new float[rows], std = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> v = values(r);
            double mean = 0, sq = 0;
            foreach (float x in v)
            {
                mean += x;
            }

            mean /= Math.Max(1, v.Length);
            foreach (float x in v)
            {
                sq += (x - mean) * (x - mean);
            }

            logCount[r] = (float)Math.Log(1 + (v.Length * countScale));
            std[r] = (float)Math.Sqrt(sq / Math.Max(1, v.Length));
        }

        return (logCount, std);
    }
}

/// <summary>The blended model: base models refitted on all training ratings and the blender's weights.</summary>
public sealed class HybridModel : RecommenderModel, IFoldIn, IExplainable
{
    /// <summary>The stable payload kind written into model files.</summary>
    public const string Kind = "hybrid-blend";

    private readonly IRecommenderModel[] _bases;
    private readonly IRecommenderModel _ranking;
    private readonly double[]? _weights;
    private readonly TreeEnsemble? _trees;
    private readonly double _countScale;
    private readonly RowStatistics _stats;

    internal HybridModel(string name, RatingMatrix train, BiasBaseline fallback, IRecommenderModel[] bases, IRecommenderModel ranking, double[]? weights, TreeEnsemble? trees, double countScale)
        : base(name, train, fallback)
    {
        if ((weights is null) == (trees is null) || (weights is not null && weights.Length != 1 + FeatureCount(bases.Length)))
        {
            throw new InvalidDataException("The blender does not match the base models.");
        }

        _bases = bases;
        _ranking = ranking;
        _weights = weights;
        _trees = trees;
        _countScale = countScale;
        _stats = new RowStatistics(train, countScale);
    }

    public IReadOnlyList<string> BaseModels => [.. _bases.Select(b => b.Name)];

    /// <summary>The model whose scores rank this model's top-N (<see cref="Score"/> is its Score).</summary>
    public IRecommenderModel RankingModel => _ranking;

    /// <summary>Seconds each part of the fit took (empty for a loaded model).</summary>
    public IReadOnlyList<(string Part, double Seconds)> FitTimings { get; init; } = [];

    public HybridBlender Blender => _trees is null ? HybridBlender.Linear : HybridBlender.FastTree;

    /// <summary>The linear blender's weights: intercept first, then one per base model, then the meta-features'. Empty for trees.</summary>
    public IReadOnlyList<double> Weights => _weights ?? [];

    public override void Score(int u, Span<float> scores) => _ranking.Score(u, scores);

    /// <summary>The hybrid ranks with its ranker, so a history is scored (and explained) by the ranker's fold-in.</summary>
    public void ScoreHistory(UserHistory history, Span<float> scores)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (_ranking is IFoldIn foldIn)
        {
            foldIn.ScoreHistory(history, scores);
        }
        else if (history.KnownUser >= 0)
        {
            Score(history.KnownUser, scores);
        }
        else
        {
            ScoreUnknownUser(scores);
        }
    }

    public IReadOnlyList<Contribution> Explain(UserHistory history, int movieId, int max) =>
        _ranking is IExplainable explainable ? explainable.Explain(history, movieId, max) : [];

    /// <summary>
    /// Similar movies come from the first base model that has them; fold-in and explanations from the ranker, and so does
    /// the fast top of a list where the ranker folds in (then its scores are this model's, for a trained user and a history).
    /// </summary>
    protected override ModelCapabilities ResolveCapabilities() =>
        ModelCapabilities.Of(this) with
        {
            SimilarItems = _bases.Select(b => b.Capabilities.SimilarItems).FirstOrDefault(s => s is not null),
            TopRanker = _ranking is IFoldIn ? _ranking.Capabilities.TopRanker : null,
        };

    internal static int FeatureCount(int baseModels) => baseModels + RowStatistics.Count;

    protected internal override string FormatKind => Kind;

    protected internal override void WriteParameters(BinaryWriter writer)
    {
        writer.Write(_countScale);
        writer.Write((byte)Blender);
        if (_trees is null)
        {
            ModelBinary.WriteArray<double>(writer, _weights);
        }
        else
        {
            _trees.Write(writer);
        }

        writer.Write(_bases.Length);
        foreach (IRecommenderModel model in _bases.Append(_ranking))
        {
            using var buffer = new MemoryStream();
            ModelSerializer.Save(model, buffer, includeMatrix: false);
            ModelBinary.WriteArray<byte>(writer, buffer.ToArray());
        }
    }

    internal static HybridModel Read(string name, BinaryReader reader, RatingMatrix train, BiasBaseline fallback)
    {
        double countScale = reader.ReadDouble();
        var blender = (HybridBlender)reader.ReadByte();
        double[]? weights = blender == HybridBlender.Linear ? ModelBinary.ReadArray<double>(reader) : null;
        TreeEnsemble? trees = blender == HybridBlender.FastTree ? TreeEnsemble.Read(reader) : null;
        int count = reader.ReadInt32();
        if (count is < 1 or > 64)
        {
            throw new InvalidDataException($"A hybrid of {count} models is not plausible: the file is damaged.");
        }

        var models = new IRecommenderModel[count + 1];
        for (int m = 0; m <= count; m++)
        {
            models[m] = ModelSerializer.Load(new MemoryStream(ModelBinary.ReadArray<byte>(reader)), train);
        }

        return new HybridModel(name, train, fallback, models[..count], models[count], weights, trees, countScale);
    }

    // A movie nobody rated goes to the content model, when the blend has one.
    protected internal override float? PredictUnratedMovie(int u, int movieId) =>
        _bases.OfType<RecommenderModel>().Select(b => b.PredictUnratedMovie(u, movieId)).FirstOrDefault(p => p is not null);

    // Strangers get the ranking model's answer for strangers (popularity for implicit-als).
    protected internal override void ScoreUnknownUser(Span<float> scores) => ((RecommenderModel)_ranking).ScoreUnknownUser(scores);

    protected override float EstimateCore(int u, int i)
    {
        Span<double> features = stackalloc double[FeatureCount(_bases.Length)];
        for (int m = 0; m < _bases.Length; m++)
        {
            features[m] = _bases[m].Estimate(u, i);
        }

        _stats.Fill(u, i, features[_bases.Length..]);
        if (_trees is not null)
        {
            return (float)_trees.Evaluate(features);
        }

        double est = _weights![0];
        for (int f = 0; f < features.Length; f++)
        {
            est += _weights[1 + f] * features[f];
        }

        return (float)est;
    }
}
