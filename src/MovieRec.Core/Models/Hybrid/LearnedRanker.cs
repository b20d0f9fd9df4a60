using MovieRec.Core.Data;
using MovieRec.Core.Numerics;

namespace MovieRec.Core.Models.Hybrid;

/// <summary>
/// The hybrid's learned top-N (LambdaMART over pooled candidates). For a user (a trained row or a history), each ranking
/// model scores every movie; the best <see cref="Depth"/> unrated movies of each ranking model form the candidates;
/// each candidate gets features (every ranking and feature model's score, its score below the user's best, its rank in
/// each ranking model's list; the movie's popularity and baseline; the user's activity, mean and share of high
/// ratings; the hybrid's predicted rating) and the tree ensemble's output is its score. Every other movie scores <see cref="OutsideScore"/> plus a
/// popularity share below 0.5, so candidates always rank first and the rest by popularity.
/// </summary>
internal sealed class LearnedRanker
{
    /// <summary>Score of movies outside the candidates (plus popularity below 0.5), far below any ensemble output.</summary>
    public const float OutsideScore = -1e4f;

    private const int ModelFeatures = 3;
    private const int OtherFeatures = 6;

    private readonly IRecommenderModel[] _rankers;
    private readonly IRecommenderModel[] _featureModels;
    private readonly float[] _itemLogCount;
    private readonly float[] _itemBias;
    private readonly float[] _outside;
    private readonly double _countScale;
    private readonly float _relevance;

    public LearnedRanker(RatingMatrix train, IRecommenderModel[] rankers, IRecommenderModel[] featureModels, TreeEnsemble trees, int depth, double countScale, float relevance)
    {
        if (rankers.Length == 0 || depth < 1 || !(countScale >= 1) || trees.MaxFeature >= FeatureCount(rankers.Length, featureModels.Length))
        {
            throw new InvalidDataException("The hybrid's learned ranker does not fit its models: the file is damaged.");
        }

        _rankers = rankers;
        _featureModels = featureModels;
        Trees = trees;
        Depth = depth;
        _countScale = countScale;
        _relevance = relevance;
        Train = train;
        BiasBaseline baseline = BiasBaseline.Default(train);
        _itemLogCount = new float[train.ItemCount];
        _itemBias = new float[train.ItemCount];
        _outside = new float[train.ItemCount];
        int most = 1;
        for (int i = 0; i < train.ItemCount; i++)
        {
            most = Math.Max(most, train.ItemRatingCount(i));
        }

        for (int i = 0; i < train.ItemCount; i++)
        {
            _itemLogCount[i] = (float)Math.Log(1 + (train.ItemRatingCount(i) / countScale));
            _itemBias[i] = (float)baseline.ItemBias[i];
            _outside[i] = OutsideScore + (0.5f * train.ItemRatingCount(i) / most);
        }
    }

    public RatingMatrix Train { get; }

    public IReadOnlyList<IRecommenderModel> Rankers => _rankers;

    public IReadOnlyList<IRecommenderModel> FeatureModels => _featureModels;

    public TreeEnsemble Trees { get; }

    /// <summary>How many of each ranking model's best unrated movies join the candidates.</summary>
    public int Depth { get; }

    public double CountScale => _countScale;

    public float Relevance => _relevance;

    public static int FeatureCount(int rankers, int featureModels) => ((rankers + featureModels) * ModelFeatures) + OtherFeatures;

    /// <summary>A trained user's scores: candidates by the ensemble, the rest by popularity below them.</summary>
    public void Score(int u, Span<float> scores, Func<int, int, float> predict)
    {
        Fill(Build(Train, _rankers, _featureModels, Depth, u, null, Train.ItemsOf(u), Train.RatingsOf(u), _itemLogCount, _itemBias, _countScale, predict), scores);
    }

    /// <summary>A history's scores, each model scoring it by its fold-in.</summary>
    public void ScoreHistory(UserHistory history, Span<float> scores, Func<int, int, float> predict)
    {
        ArgumentNullException.ThrowIfNull(history);
        Fill(Build(Train, _rankers, _featureModels, Depth, -1, history, history.Items, history.Ratings, _itemLogCount, _itemBias, _countScale, predict), scores);
    }

    /// <summary>The top of a user's list from the candidates alone, or null when they do not fill it (then the caller ranks every movie).</summary>
    public RankedTop? TopOfCandidates(int u, UserHistory? history, int k, ReadOnlySpan<int> excludeSorted, Func<int, bool>? include, Func<int, int, float> predict)
    {
        Candidates c = history is null
            ? Build(Train, _rankers, _featureModels, Depth, u, null, Train.ItemsOf(u), Train.RatingsOf(u), _itemLogCount, _itemBias, _countScale, predict)
            : Build(Train, _rankers, _featureModels, Depth, -1, history, history.Items, history.Ratings, _itemLogCount, _itemBias, _countScale, predict);
        float[] scores = new float[Train.ItemCount];
        Array.Fill(scores, float.NaN);
        for (int n = 0; n < c.Items.Length; n++)
        {
            scores[c.Items[n]] = (float)Trees.Evaluate(c.Features[n]);
        }

        RankedTop top = RankedTop.FromScores(scores, k, excludeSorted, include);
        return top.Items.Length >= k ? top : null;
    }

    private void Fill(Candidates c, Span<float> scores)
    {
        _outside.CopyTo(scores);
        for (int n = 0; n < c.Items.Length; n++)
        {
            scores[c.Items[n]] = (float)Trees.Evaluate(c.Features[n]);
        }
    }

    /// <summary>One user's candidates (dense indices, ascending) and their features.</summary>
    internal readonly record struct Candidates(int[] Items, double[][] Features);

    /// <summary>
    /// The candidates of one user, given as a trained row <paramref name="u"/> (scored by each model's Score) or as a
    /// <paramref name="history"/> (scored by fold-in where a model has it); <paramref name="ratedSorted"/> never joins.
    /// </summary>
    internal static Candidates Build(RatingMatrix train, IRecommenderModel[] rankers, IRecommenderModel[] featureModels, int depth,
        int u, UserHistory? history, ReadOnlySpan<int> ratedSorted, ReadOnlySpan<float> ratings,
        float[] itemLogCount, float[] itemBias, double countScale, Func<int, int, float> predict)
    {
        int items = train.ItemCount;
        int models = rankers.Length + featureModels.Length;
        float[][] scores = new float[models][];
        float[] best = new float[models];
        var ranks = new Dictionary<int, int>[rankers.Length];
        var pool = new SortedSet<int>();
        for (int m = 0; m < models; m++)
        {
            IRecommenderModel model = m < rankers.Length ? rankers[m] : featureModels[m - rankers.Length];
            float[] s = scores[m] = new float[items];
            RankerModels.Score(model, u, history, s);

            int[] top = TopK.Select(s, depth, ratedSorted);
            best[m] = top.Length > 0 ? s[top[0]] : 0f;
            if (m < rankers.Length)
            {
                ranks[m] = new Dictionary<int, int>(top.Length);
                for (int r = 0; r < top.Length; r++)
                {
                    ranks[m][top[r]] = r;
                    pool.Add(top[r]);
                }
            }
        }

        double mean = 0, high = 0;
        foreach (float r in ratings)
        {
            mean += r;
        }

        mean = ratings.Length > 0 ? mean / ratings.Length : train.GlobalMean;
        int counted = 0;
        foreach (float r in ratings)
        {
            high += r >= 4f ? 1 : 0;
            counted++;
        }

        double userLogCount = Math.Log(1 + (ratings.Length / countScale));
        double highShare = counted > 0 ? high / counted : 0;
        int[] candidates = [.. pool];
        double[][] features = new double[candidates.Length][];
        for (int n = 0; n < candidates.Length; n++)
        {
            int i = candidates[n];
            double[] f = features[n] = new double[FeatureCount(rankers.Length, featureModels.Length)];
            int at = 0;
            for (int m = 0; m < models; m++)
            {
                // Relative to the user's best, so the scale of a model fitted on the inner split and on all ratings matches.
                f[at++] = best[m] > 0 ? scores[m][i] / best[m] : scores[m][i] - best[m];
                f[at++] = Math.Log(1 + Math.Abs(best[m]));
                f[at++] = m < rankers.Length ? (ranks[m].TryGetValue(i, out int rank) ? rank : depth) : 0;
            }

            f[at++] = itemLogCount[i];
            f[at++] = itemBias[i];
            f[at++] = userLogCount;
            f[at++] = mean - train.GlobalMean;
            f[at++] = highShare;

            // The hybrid's predicted rating; a visitor (no trained row) gets the baseline moved by the history's mean.
            int known = history is null ? u : history.KnownUser;
            f[at] = known >= 0 ? predict(known, i) : train.GlobalMean + itemBias[i] + (mean - train.GlobalMean);
        }

        return new Candidates(candidates, features);
    }

    /// <summary>
    /// Writes the ranker after the hybrid's models: the first ranking model is the hybrid's ranking model and a model that
    /// is also one of <paramref name="bases"/> is written as its index there, so no model is stored twice.
    /// </summary>
    public void Write(BinaryWriter writer, IRecommenderModel[] bases)
    {
        writer.Write(Depth);
        writer.Write(_countScale);
        writer.Write(_relevance);
        writer.Write(_rankers.Length);
        writer.Write(_featureModels.Length);
        foreach (IRecommenderModel model in _rankers.Skip(1).Concat(_featureModels))
        {
            RankerModels.Write(writer, model, bases);
        }

        Trees.Write(writer);
    }

    public static LearnedRanker Read(BinaryReader reader, RatingMatrix train, IRecommenderModel[] bases, IRecommenderModel ranking)
    {
        int depth = reader.ReadInt32();
        double countScale = reader.ReadDouble();
        float relevance = reader.ReadSingle();
        int rankers = reader.ReadInt32(), featureModels = reader.ReadInt32();
        if (depth is < 1 or > 100_000 || rankers is < 1 or > 16 || featureModels is < 0 or > 16)
        {
            throw new InvalidDataException("The hybrid's learned ranker header is not plausible: the file is damaged.");
        }

        var models = new IRecommenderModel[rankers + featureModels];
        models[0] = ranking;
        for (int m = 1; m < models.Length; m++)
        {
            models[m] = RankerModels.Read(reader, train, bases, "learned ranker");
        }

        return new LearnedRanker(train, models[..rankers], models[rankers..], TreeEnsemble.Read(reader), depth, countScale, relevance);
    }
}
