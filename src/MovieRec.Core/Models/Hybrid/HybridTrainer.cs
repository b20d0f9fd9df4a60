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

/// <summary>How the hybrid ranks its top-N.</summary>
public enum HybridRanker
{
    /// <summary>The ranking model's list as it is (<see cref="HybridOptions.RankingModel"/>).</summary>
    Single,

    /// <summary>LambdaMART (Microsoft.ML FastTree ranking) over candidates pooled from the ranking models.</summary>
    LambdaMart,

    /// <summary>The ranking model's z-scores plus a weight times those of <see cref="HybridOptions.FusionModels"/> (score fusion).</summary>
    Fusion,
}

/// <summary>What the learned ranker's trees are fitted to.</summary>
public enum RankerObjective
{
    /// <summary>LambdaMART: FastTree ranking, NDCG@10 of each user's candidates.</summary>
    LambdaMart,

    /// <summary>Pointwise: FastTree regression of each candidate's relevance (0 or 1).</summary>
    Pointwise,
}

/// <summary>Options of <see cref="HybridTrainer"/>.</summary>
public sealed record HybridOptions
{
    [Option("how base predictions are combined")]
    public HybridBlender Blender { get; init; } = HybridBlender.Linear;

    /// <summary>The rating models whose predictions are blended (content joins only where a catalogue is given).</summary>
    public IReadOnlyList<string> BaseModels { get; init; } = ["baseline", "item-knn", "user-knn", "svd", "svdpp", "als", "content", "autorec"];

    /// <summary>The model whose ranking the hybrid's top-N uses (a blend of predicted ratings ranks poorly); the first candidate source of the learned ranker.</summary>
    public string RankingModel { get; init; } = "ease";

    [Option("how the top-N is ranked: the ranking model's list (single), LambdaMART over pooled candidates (lambdaMart) or the ranking model's z-scored scores plus fusionWeight times those of item-knn and implicit-als (fusion)")]
    public HybridRanker Ranker { get; init; } = HybridRanker.Single;

    /// <summary>Further models whose best unrated movies join the learned ranker's candidates (and whose scores and ranks are features).</summary>
    public IReadOnlyList<string> CandidateModels { get; init; } = ["implicit-als"];

    /// <summary>Models whose per-user z-scored scores are added to the ranking model's with <c>hybrid.ranker=fusion</c>.</summary>
    public IReadOnlyList<string> FusionModels { get; init; } = ["item-knn", "implicit-als"];

    [Option("weight of each fused model's z-scores against the ranking model's with ranker=fusion", Min = 0, Max = 100, TuneMin = 0.05, TuneMax = 2, LogScale = true)]
    public double FusionWeight { get; init; } = 0.7;

    /// <summary>Models whose scores are features of the learned ranker without adding candidates (content: similarity to the user's profile).</summary>
    public IReadOnlyList<string> RankingFeatureModels { get; init; } = ["content"];

    [Option("what the learned ranker's trees fit: lambdaMart (FastTree ranking, NDCG@10 per user) or pointwise (FastTree regression of relevance)")]
    public RankerObjective RankerObjective { get; init; } = RankerObjective.LambdaMart;

    [Option("how many of each ranking model's best unrated movies become the learned ranker's candidates", Min = 1, Max = 5000, TuneMin = 20, TuneMax = 400, LogScale = true)]
    public int Candidates { get; init; } = 100;

    [Option("trees of the learned ranker", Min = 1, Max = 5000, TuneMin = 50, TuneMax = 800, LogScale = true)]
    public int RankerTrees { get; init; } = 100;

    [Option("leaves per tree of the learned ranker", Min = 2, Max = 1024, TuneMin = 4, TuneMax = 64, LogScale = true)]
    public int RankerLeaves { get; init; } = 4;

    [Option("learning rate of the learned ranker", Min = 0, MinExclusive = true, Max = 1, TuneMin = 0.01, TuneMax = 0.5, LogScale = true)]
    public double RankerLearningRate { get; init; } = 0.05;

    [Option("least training candidates per leaf of the learned ranker", Min = 1, Max = 100000)]
    public int RankerMinLeaf { get; init; } = 200;

    [Option("a held-out rating at or above this is relevant when the learned ranker trains (evaluation's relevance)", Min = 0, Max = 10)]
    public float RankerRelevance { get; init; } = 4f;

    /// <summary>Share of the training ratings held out to fit the blender.</summary>
    [Option("share of the training ratings held out to fit the blender", Min = 0, MinExclusive = true, Max = 0.9)]
    public double ValidationFraction { get; init; } = 0.2;

    /// <summary>Feature-weighted linear stacking (Sill et al. 2009): the linear blender also weighs each base's prediction times the log rating counts of the user and of the movie.</summary>
    [Option("feature-weighted linear stacking: each base's weight also depends on the log rating counts of the user and the movie (linear blender)")]
    public bool FeatureWeighted { get; init; } = true;

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
    string name = HybridTrainer.ModelName, IReadOnlyList<IRecommenderTrainer>? candidateModels = null, IReadOnlyList<IRecommenderTrainer>? rankingFeatureModels = null,
    IReadOnlyList<IRecommenderTrainer>? fusionModels = null) : IRecommenderTrainer
{
    private readonly IRecommenderTrainer[] _fusionModels = [.. fusionModels ?? []];
    private readonly IRecommenderTrainer[] _candidateModels = [.. candidateModels ?? []];
    private readonly IRecommenderTrainer[] _featureModels = [.. rankingFeatureModels ?? []];

    public const string ModelName = "hybrid";
    public const string FastTreeName = "hybrid-fasttree";

    public HybridOptions Options { get; } = (options ?? new HybridOptions()).Validate();

    /// <summary>The base trainers, in blend order (models that need a catalogue are absent when the registry had none).</summary>
    public IReadOnlyList<IRecommenderTrainer> Bases => bases;

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
            ReadOnlySpan<uint> times = train.TimesOf(u);
            for (int p = 0; p < items.Length; p++)
            {
                var rating = new Rating(train.Users.RawId(u), train.Items.RawId(items[p]), values[p], times.IsEmpty ? 0 : train.TimeOrigin + times[p]);
                (random.NextDouble() < Options.ValidationFraction ? holdout : inner).Add(rating);
            }
        }

        RatingMatrix innerMatrix = RatingMatrix.Build([.. inner]);
        var features = new double[holdout.Count][];
        var stats = new RowStatistics(innerMatrix, 1.0);
        for (int r = 0; r < holdout.Count; r++)
        {
            features[r] = new double[HybridModel.FeatureCount(names.Length, Options.FeatureWeighted && Options.Blender == HybridBlender.Linear)];
        }

        var timings = new List<(string Part, double Seconds)>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var innerBases = new IRecommenderModel[names.Length];
        for (int m = 0; m < names.Length; m++)
        {
            clock.Restart();
            IRecommenderModel model = innerBases[m] = bases[m].Fit(innerMatrix, options);
            timings.Add(($"{names[m]} (inner fit)", clock.Elapsed.TotalSeconds));
            for (int r = 0; r < holdout.Count; r++)
            {
                features[r][m] = model.Predict(holdout[r].UserId, holdout[r].MovieId).Rating;
            }
        }

        for (int r = 0; r < holdout.Count; r++)
        {
            stats.Fill(innerMatrix.Users.IndexOf(holdout[r].UserId), innerMatrix.Items.IndexOf(holdout[r].MovieId), features[r].AsSpan(names.Length));
            HybridModel.FillInteractions(features[r], names.Length);
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

        // The learned ranker: its models fitted on the inner split (a base model of the same name is reused), LambdaMART
        // on their candidates for the held-out ratings, then the models refitted on all ratings.
        TreeEnsemble? rankerTrees = null;
        if (Options.Ranker == HybridRanker.LambdaMart)
        {
            IRecommenderTrainer[] rankingTrainers = [ranking, .. _candidateModels];
            IRecommenderModel[] innerRankers = [.. rankingTrainers.Select(t => FitOrReuse(t, innerMatrix, innerBases, names, options, timings, "inner fit"))];
            IRecommenderModel[] innerFeatures = [.. _featureModels.Select(t => FitOrReuse(t, innerMatrix, innerBases, names, options, timings, "inner fit"))];
            clock.Restart();
            var innerBlend = new HybridModel(Name, innerMatrix, BiasBaseline.Default(innerMatrix), innerBases, innerRankers[0], weights, trees, 1.0);
            rankerTrees = FitRanker(innerMatrix, holdout, innerRankers, innerFeatures, innerBlend.Estimate, options);
            timings.Add(("ranker", clock.Elapsed.TotalSeconds));
        }

        // Refit every base model on all the training ratings.
        var fitted = new IRecommenderModel[names.Length];
        for (int m = 0; m < names.Length; m++)
        {
            clock.Restart();
            fitted[m] = bases[m].Fit(train, options);
            timings.Add(($"{names[m]} (refit)", clock.Elapsed.TotalSeconds));
        }

        double countScale = 1.0 / (1.0 - Options.ValidationFraction);
        IRecommenderModel rankingModel = FitOrReuse(ranking, train, fitted, names, options, timings, "ranking");
        LearnedRanker? learned = null;
        if (rankerTrees is not null)
        {
            IRecommenderModel[] rankers = [rankingModel, .. _candidateModels.Select(t => FitOrReuse(t, train, fitted, names, options, timings, "ranking"))];
            IRecommenderModel[] featureModels = [.. _featureModels.Select(t => FitOrReuse(t, train, fitted, names, options, timings, "ranking"))];
            learned = new LearnedRanker(train, rankers, featureModels, rankerTrees, Options.Candidates, countScale, Options.RankerRelevance);
        }

        FusionRanker? fusion = null;
        if (Options.Ranker == HybridRanker.Fusion)
        {
            if (_fusionModels.Length == 0)
            {
                throw new InvalidOperationException("The hybrid's fused ranker has no models to fuse with its ranking model.");
            }

            fusion = new FusionRanker(train, [rankingModel, .. _fusionModels.Select(t => FitOrReuse(t, train, fitted, names, options, timings, "fusion"))], Options.FusionWeight);
        }

        return new HybridModel(Name, train, BiasBaseline.Default(train), fitted, rankingModel, weights, trees, countScale, learned, fusion)
        {
            FitTimings = timings,
        };
    }

    // A model the hybrid already fitted as a base under the same name is used again rather than fitted twice.
    private static IRecommenderModel FitOrReuse(IRecommenderTrainer trainer, RatingMatrix matrix, IRecommenderModel[] fittedBases, string[] names,
        TrainingOptions options, List<(string Part, double Seconds)> timings, string part)
    {
        int at = Array.IndexOf(names, trainer.Name);
        if (at >= 0)
        {
            return fittedBases[at];
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        IRecommenderModel model = trainer.Fit(matrix, options);
        timings.Add(($"{trainer.Name} ({part})", clock.Elapsed.TotalSeconds));
        return model;
    }

    /// <summary>
    /// LambdaMART over each inner user's candidates: a candidate is relevant (label 1) when the user's held-out rating of
    /// it is at or above <see cref="HybridOptions.RankerRelevance"/>. Users without a relevant held-out candidate teach
    /// nothing and are left out.
    /// </summary>
    private TreeEnsemble FitRanker(RatingMatrix inner, List<Rating> holdout, IRecommenderModel[] rankers, IRecommenderModel[] featureModels,
        Func<int, int, float> predict, TrainingOptions options)
    {
        var relevant = new Dictionary<int, HashSet<int>>();
        foreach (Rating r in holdout)
        {
            int u = inner.Users.IndexOf(r.UserId), i = inner.Items.IndexOf(r.MovieId);
            if (u >= 0 && i >= 0 && r.Value >= Options.RankerRelevance)
            {
                if (!relevant.TryGetValue(u, out HashSet<int>? set))
                {
                    relevant[u] = set = [];
                }

                set.Add(i);
            }
        }

        int[] users = [.. relevant.Keys.Order()];
        float[] itemLogCount = new float[inner.ItemCount], itemBias = new float[inner.ItemCount];
        BiasBaseline baseline = BiasBaseline.Default(inner);
        for (int i = 0; i < inner.ItemCount; i++)
        {
            itemLogCount[i] = (float)Math.Log(1 + inner.ItemRatingCount(i));
            itemBias[i] = (float)baseline.ItemBias[i];
        }

        var perUser = new LearnedRanker.Candidates[users.Length];
        Parallel.For(0, users.Length, new ParallelOptions { MaxDegreeOfParallelism = options.EffectiveThreads, CancellationToken = options.CancellationToken }, n =>
        {
            int u = users[n];
            perUser[n] = LearnedRanker.Build(inner, rankers, featureModels, Options.Candidates, u, null, inner.ItemsOf(u), inner.RatingsOf(u), itemLogCount, itemBias, 1.0, predict);
        });

        var x = new List<double[]>();
        var labels = new List<float>();
        var groups = new List<uint>();
        for (int n = 0; n < users.Length; n++)
        {
            HashSet<int> set = relevant[users[n]];
            if (!perUser[n].Items.Any(set.Contains))
            {
                continue;
            }

            for (int c = 0; c < perUser[n].Items.Length; c++)
            {
                x.Add(perUser[n].Features[c]);
                labels.Add(set.Contains(perUser[n].Items[c]) ? 1f : 0f);
                groups.Add((uint)n);
            }
        }

        if (x.Count == 0)
        {
            throw new InvalidOperationException("The learned ranker has no held-out relevant rating among its candidates to learn from; use ranker=single on data this small.");
        }

        return Options.RankerObjective == RankerObjective.Pointwise
            ? TreeEnsemble.Fit([.. x], [.. labels.Select(l => (double)l)], Options.Seed, Options.RankerTrees, Options.RankerLeaves, Options.RankerMinLeaf, Options.RankerLearningRate)
            : TreeEnsemble.FitRanking([.. x], [.. labels], [.. groups], Options.Seed, Options.RankerTrees, Options.RankerLeaves,
                Options.RankerMinLeaf, Options.RankerLearningRate, ndcgAt: 10);
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
    private readonly LearnedRanker? _learned;
    private readonly FusionRanker? _fusion;
    private readonly bool _interactions;

    // A blender byte with this bit set is followed by the learned ranker (payloads without it rank with the ranking model).
    private const byte LearnedRankerFlag = 0x80;

    // A blender byte with this bit set is followed by the fused ranker.
    private const byte FusionRankerFlag = 0x40;

    internal HybridModel(string name, RatingMatrix train, BiasBaseline fallback, IRecommenderModel[] bases, IRecommenderModel ranking, double[]? weights, TreeEnsemble? trees, double countScale,
        LearnedRanker? learned = null, FusionRanker? fusion = null)
        : base(name, train, fallback)
    {
        _interactions = weights is not null && weights.Length == 1 + FeatureCount(bases.Length, true);
        if ((weights is null) == (trees is null) || (weights is not null && weights.Length != 1 + FeatureCount(bases.Length, _interactions)))
        {
            throw new InvalidDataException("The blender does not match the base models.");
        }

        _bases = bases;
        _ranking = ranking;
        _weights = weights;
        _trees = trees;
        _countScale = countScale;
        _stats = new RowStatistics(train, countScale);
        _learned = learned;
        _fusion = learned is not null && fusion is not null ? throw new ArgumentException("A hybrid ranks with one ranker.", nameof(fusion)) : fusion;
    }

    /// <summary>How the top-N is ranked: the ranking model's list, or the learned ranker over pooled candidates.</summary>
    public HybridRanker Ranker => _learned is not null ? HybridRanker.LambdaMart : _fusion is not null ? HybridRanker.Fusion : HybridRanker.Single;

    /// <summary>The learned ranker's candidate models (the ranking model first) and feature-only models; empty for a single ranker.</summary>
    public IReadOnlyList<string> RankingModels =>
        _learned is not null ? [.. _learned.Rankers.Concat(_learned.FeatureModels).Select(m => m.Name)]
        : _fusion is not null ? [.. _fusion.Models.Select(m => m.Name)]
        : [_ranking.Name];

    public IReadOnlyList<string> BaseModels => [.. _bases.Select(b => b.Name)];

    /// <summary>The model whose scores rank this model's top-N with a single ranker (<see cref="Score"/> is then its Score); the learned ranker's first candidate source.</summary>
    public IRecommenderModel RankingModel => _ranking;

    /// <summary>Seconds each part of the fit took (empty for a loaded model).</summary>
    public IReadOnlyList<(string Part, double Seconds)> FitTimings { get; init; } = [];

    public HybridBlender Blender => _trees is null ? HybridBlender.Linear : HybridBlender.FastTree;

    /// <summary>The linear blender's weights: intercept first, then one per base model, then the meta-features'. Empty for trees.</summary>
    public IReadOnlyList<double> Weights => _weights ?? [];

    public override void Score(int u, Span<float> scores)
    {
        if (_learned is not null)
        {
            _learned.Score(u, scores, Estimate);
        }
        else if (_fusion is not null)
        {
            _fusion.Score(u, scores);
        }
        else
        {
            _ranking.Score(u, scores);
        }
    }

    /// <summary>The hybrid ranks with its ranker, so a history is scored (and explained) by the ranker's fold-in.</summary>
    public void ScoreHistory(UserHistory history, Span<float> scores)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (_learned is not null)
        {
            _learned.ScoreHistory(history, scores, Estimate);
        }
        else if (_fusion is not null)
        {
            _fusion.ScoreHistory(history, scores);
        }
        else if (_ranking is IFoldIn foldIn)
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
    /// With the learned ranker, the fast top of a list ranks the candidates alone where they fill it; a tree ensemble's
    /// score has no additive share per rated movie, so it gives no explanations.
    /// </summary>
    protected override ModelCapabilities ResolveCapabilities() =>
        ModelCapabilities.Of(this) with
        {
            SimilarItems = _bases.Select(b => b.Capabilities.SimilarItems).FirstOrDefault(s => s is not null),
            TopRanker = _learned is not null ? new LearnedTop(this, _learned) : _fusion is null && _ranking is IFoldIn ? _ranking.Capabilities.TopRanker : null,
            Explainable = _learned is null && _fusion is null ? this : null,
        };

    /// <summary>The learned ranker's top: the candidates' when they fill the page, else every movie's scores.</summary>
    private sealed class LearnedTop(HybridModel model, LearnedRanker learned) : ITopRanker
    {
        public RankedTop Top(int u, int k, ReadOnlySpan<int> excludeSorted, Func<int, bool>? include)
        {
            if (learned.TopOfCandidates(u, null, k, excludeSorted, include, model.Estimate) is { } top)
            {
                return top;
            }

            float[] scores = new float[model.Train.ItemCount];
            model.Score(u, scores);
            return RankedTop.FromScores(scores, k, excludeSorted, include);
        }

        public RankedTop TopOfHistory(UserHistory history, int k, ReadOnlySpan<int> excludeSorted, Func<int, bool>? include)
        {
            ArgumentNullException.ThrowIfNull(history);
            if (learned.TopOfCandidates(-1, history, k, excludeSorted, include, model.Estimate) is { } top)
            {
                return top;
            }

            float[] scores = new float[model.Train.ItemCount];
            model.ScoreHistory(history, scores);
            return RankedTop.FromScores(scores, k, excludeSorted, include);
        }
    }

    internal static int FeatureCount(int baseModels, bool interactions = false) =>
        baseModels + RowStatistics.Count + (interactions ? baseModels * InteractionStatistics : 0);

    // Feature-weighted stacking multiplies each base's prediction by the first meta-features (log counts of user and movie).
    private const int InteractionStatistics = 2;

    /// <summary>Fills the products of predictions and meta-features after them, where the feature vector has room for them.</summary>
    internal static void FillInteractions(Span<double> features, int baseModels)
    {
        if (features.Length < FeatureCount(baseModels, true))
        {
            return;
        }

        int at = FeatureCount(baseModels);
        for (int m = 0; m < baseModels; m++)
        {
            for (int f = 0; f < InteractionStatistics; f++)
            {
                features[at++] = features[m] * features[baseModels + f];
            }
        }
    }

    protected internal override string FormatKind => Kind;

    protected internal override void WriteParameters(BinaryWriter writer)
    {
        writer.Write(_countScale);
        writer.Write((byte)((byte)Blender | (_learned is null ? 0 : LearnedRankerFlag) | (_fusion is null ? 0 : FusionRankerFlag)));
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

        _learned?.Write(writer, _bases);
        _fusion?.Write(writer, _bases);
    }

    internal static HybridModel Read(string name, BinaryReader reader, RatingMatrix train, BiasBaseline fallback)
    {
        double countScale = reader.ReadDouble();
        byte flags = reader.ReadByte();
        bool learned = (flags & LearnedRankerFlag) != 0;
        bool fused = (flags & FusionRankerFlag) != 0;
        var blender = (HybridBlender)(flags & ~(LearnedRankerFlag | FusionRankerFlag));
        if (blender is not (HybridBlender.Linear or HybridBlender.FastTree))
        {
            throw new InvalidDataException($"Unknown hybrid blender {(int)blender}: the file is damaged.");
        }

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

        LearnedRanker? ranker = learned ? LearnedRanker.Read(reader, train, models[..count], models[count]) : null;
        FusionRanker? fusion = fused ? FusionRanker.Read(reader, train, models[..count], models[count]) : null;
        if (ranker is not null && fusion is not null)
        {
            throw new InvalidDataException("A hybrid names both a learned and a fused ranker: the file is damaged.");
        }

        return new HybridModel(name, train, fallback, models[..count], models[count], weights, trees, countScale, ranker, fusion);
    }

    // A movie nobody rated goes to the content model, when the blend has one.
    protected internal override float? PredictUnratedMovie(int u, int movieId) =>
        _bases.OfType<RecommenderModel>().Select(b => b.PredictUnratedMovie(u, movieId)).FirstOrDefault(p => p is not null);

    // Strangers get the ranking model's answer for strangers (popularity for implicit-als).
    protected internal override void ScoreUnknownUser(Span<float> scores) => ((RecommenderModel)_ranking).ScoreUnknownUser(scores);

    protected override float EstimateCore(int u, int i)
    {
        Span<double> features = stackalloc double[FeatureCount(_bases.Length, _interactions)];
        for (int m = 0; m < _bases.Length; m++)
        {
            features[m] = _bases[m].Estimate(u, i);
        }

        _stats.Fill(u, i, features[_bases.Length..]);
        FillInteractions(features, _bases.Length);
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
