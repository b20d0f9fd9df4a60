using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using MovieRec.Core.Data;
using MovieRec.Core.Numerics;

namespace MovieRec.Core.Models.Factorization;

/// <summary>
/// r_ui = mu + b_u + b_i + p_u . q_i, with user and item factors packed row-major (row u is
/// <c>UserFactors.AsSpan(u * Factors, Factors)</c>). SVD, SVD++ (whose user row already holds p_u plus the implicit
/// term) and ALS all produce this model.
/// </summary>
public sealed class MatrixFactorizationModel : RecommenderModel, ISimilarItems, IFoldIn, ITopRanker
{
    /// <summary>The stable payload kind written into model files.</summary>
    public const string Kind = "matrix-factorization";

    private readonly float _mu;
    private readonly float[] _userBias;
    private readonly float[] _itemBias;
    private readonly float[] _userFactors;
    private readonly float[] _itemFactors;
    private readonly Lazy<float[]> _itemNorms;
    private readonly Lazy<QuantizedFactors> _packed;
    private readonly float _maxItemBias;

    internal MatrixFactorizationModel(string name, RatingMatrix train, BiasBaseline fallback, int factors,
        float mu, float[] userBias, float[] itemBias, float[] userFactors, float[] itemFactors, float foldInRegularization)
        : base(name, train, fallback)
    {
        if (factors <= 0 || userBias.Length != train.UserCount || itemBias.Length != train.ItemCount
            || userFactors.Length != train.UserCount * factors || itemFactors.Length != train.ItemCount * factors)
        {
            throw new InvalidDataException("The factor arrays do not match the training matrix.");
        }

        Factors = factors;
        _mu = mu;
        _userBias = userBias;
        _itemBias = itemBias;
        _userFactors = userFactors;
        _itemFactors = itemFactors;
        FoldInRegularization = foldInRegularization;
        _itemNorms = new Lazy<float[]>(ComputeItemNorms);
        _packed = new Lazy<QuantizedFactors>(() => new QuantizedFactors(_itemFactors, Train.ItemCount, Factors));
        _maxItemBias = itemBias.Length == 0 ? 0 : TensorPrimitives.MaxMagnitude(itemBias);
    }

    public int Factors { get; }

    /// <summary>Regularisation of the least-squares fold-in of new users.</summary>
    public float FoldInRegularization { get; }

    /// <summary>The global mean mu of r_ui = mu + b_u + b_i + p_u . q_i.</summary>
    public float GlobalMean => _mu;

    public float UserBias(int u) => _userBias[u];

    public float ItemBias(int i) => _itemBias[i];

    public ReadOnlySpan<float> UserFactors(int u) => _userFactors.AsSpan(u * Factors, Factors);

    public ReadOnlySpan<float> ItemFactors(int i) => _itemFactors.AsSpan(i * Factors, Factors);

    public override void Score(int u, Span<float> scores) =>
        ScoreVector(_userBias[u], UserFactors(u), scores);

    /// <summary>Movies whose factor vectors point the same way: cosine similarity of item factors, best first.</summary>
    public IReadOnlyList<ScoredMovie> Similar(int movieId, int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        int target = Train.Items.IndexOf(movieId);
        if (target < 0)
        {
            return [];
        }

        float[] norms = _itemNorms.Value;
        ReadOnlySpan<float> q = ItemFactors(target);
        float[] scores = new float[Train.ItemCount];
        for (int i = 0; i < scores.Length; i++)
        {
            float denominator = norms[target] * norms[i];
            scores[i] = denominator > 0 ? TensorPrimitives.Dot(q, ItemFactors(i)) / denominator : float.NaN;
        }

        int[] top = TopK.Select(scores, n, [target]);
        var result = new ScoredMovie[top.Length];
        for (int r = 0; r < top.Length; r++)
        {
            result[r] = new ScoredMovie(Train.Items.RawId(top[r]), scores[top[r]]);
        }

        return result;
    }

    /// <summary>
    /// The bias and factors of a user who is not in the model, from a few (movie, rating) pairs, by one regularised
    /// least-squares solve with the item side held fixed: no retraining. Unknown movies are ignored.
    /// </summary>
    /// <summary>A user who is not in the model, folded in from a few (movie, rating) pairs.</summary>
    public FoldedInUser FoldIn(IReadOnlyList<(int MovieId, float Rating)> ratings)
    {
        int k = Factors, n = k + 1; // factors plus the user bias
        double[] a = new double[n * n];
        double[] b = new double[n];
        int used = 0;
        var rated = new List<int>();
        foreach ((int movieId, float rating) in ratings)
        {
            int i = Train.Items.IndexOf(movieId);
            if (i < 0)
            {
                continue;
            }

            used++;
            rated.Add(i);
            ReadOnlySpan<float> q = ItemFactors(i);
            double target = rating - _mu - _itemBias[i];
            for (int r = 0; r < n; r++)
            {
                double xr = r < k ? q[r] : 1.0;
                b[r] += xr * target;
                for (int c = 0; c <= r; c++)
                {
                    a[(r * n) + c] += xr * (c < k ? q[c] : 1.0);
                }
            }
        }

        float[] factors = new float[k];
        float bias = 0;
        if (used > 0)
        {
            double lambda = FoldInRegularization * used;
            for (int r = 0; r < n; r++)
            {
                a[(r * n) + r] += lambda;
            }

            if (Cholesky.Solve(a, b, n))
            {
                for (int f = 0; f < k; f++)
                {
                    factors[f] = (float)b[f];
                }

                bias = (float)b[k];
            }
        }

        rated.Sort();
        return new FoldedInUser(this, bias, factors, [.. rated]);
    }

    /// <summary>Scores from the user's factors solved by <see cref="FoldIn"/> over the whole history.</summary>
    public void ScoreHistory(UserHistory history, Span<float> scores)
    {
        FoldedInUser user = FoldIn(HistoryPairs(history));
        ScoreVector(user.Bias, user.Factors, scores);
    }

    private static (int MovieId, float Rating)[] HistoryPairs(UserHistory history)
    {
        ArgumentNullException.ThrowIfNull(history);
        var pairs = new (int MovieId, float Rating)[history.Count];
        for (int p = 0; p < pairs.Length; p++)
        {
            pairs[p] = (history.MovieId(p), history.Ratings[p]);
        }

        return pairs;
    }

    internal float EstimateWith(float userBias, ReadOnlySpan<float> userFactors, int i) =>
        _mu + userBias + _itemBias[i] + TensorPrimitives.Dot(userFactors, ItemFactors(i));

    /// <summary>Scores of every item for a user given by bias and factors.</summary>
    internal void ScoreVector(float userBias, ReadOnlySpan<float> userFactors, Span<float> scores)
    {
        for (int i = 0; i < scores.Length; i++)
        {
            scores[i] = ExactScore(userBias, userFactors, i);
        }
    }

    public RankedTop Top(int u, int k, ReadOnlySpan<int> excludeSorted, Func<int, bool>? include) =>
        TopOf(_userBias[u], _userFactors, u * Factors, k, excludeSorted, include);

    public RankedTop TopOfHistory(UserHistory history, int k, ReadOnlySpan<int> excludeSorted, Func<int, bool>? include)
    {
        FoldedInUser user = FoldIn(HistoryPairs(history));
        return TopOf(user.Bias, [.. user.Factors], 0, k, excludeSorted, include);
    }

    // Every item's score from the 8-bit copy (within its quantisation bound), then the items near the cut re-scored as ScoreVector does.
    private RankedTop TopOf(float userBias, float[] factors, int start, int k, ReadOnlySpan<int> excludeSorted, Func<int, bool>? include) =>
        _packed.Value.Top(factors.AsSpan(start, Factors), _mu + userBias, _itemBias, Math.Abs(_mu) + Math.Abs(userBias) + _maxItemBias, k, excludeSorted,
            include, i => ExactScore(userBias, factors.AsSpan(start, Factors), i));

    // The one expression of a score: ScoreVector and the exact re-scoring of TopOf must give the same float.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private float ExactScore(float userBias, ReadOnlySpan<float> userFactors, int i) =>
        _mu + userBias + _itemBias[i] + TensorPrimitives.Dot(userFactors, ItemFactors(i));

    protected internal override string FormatKind => Kind;

    protected internal override void WriteParameters(BinaryWriter writer)
    {
        writer.Write(Factors);
        writer.Write(_mu);
        writer.Write(FoldInRegularization);
        ModelBinary.WriteArray<float>(writer, _userBias);
        ModelBinary.WriteArray<float>(writer, _itemBias);
        ModelBinary.WriteArray<float>(writer, _userFactors);
        ModelBinary.WriteArray<float>(writer, _itemFactors);
    }

    internal static MatrixFactorizationModel Read(string name, BinaryReader reader, RatingMatrix train, BiasBaseline fallback)
    {
        int factors = reader.ReadInt32();
        float mu = reader.ReadSingle();
        float foldInReg = reader.ReadSingle();
        return new MatrixFactorizationModel(name, train, fallback, factors, mu,
            ModelBinary.ReadFloats(reader), ModelBinary.ReadFloats(reader), ModelBinary.ReadFloats(reader), ModelBinary.ReadFloats(reader), foldInReg);
    }

    private float[] ComputeItemNorms()
    {
        float[] norms = new float[Train.ItemCount];
        for (int i = 0; i < norms.Length; i++)
        {
            norms[i] = TensorPrimitives.Norm(ItemFactors(i));
        }

        return norms;
    }

    protected override float EstimateCore(int u, int i) => EstimateWith(_userBias[u], UserFactors(u), i);
}

/// <summary>A user folded into a factorization model: predictions and recommendations without retraining.</summary>
public sealed class FoldedInUser
{
    private readonly MatrixFactorizationModel _model;
    private readonly int[] _ratedItems;
    private readonly float[] _factors;

    internal FoldedInUser(MatrixFactorizationModel model, float bias, float[] factors, int[] ratedItems)
    {
        _model = model;
        Bias = bias;
        _factors = factors;
        _ratedItems = ratedItems;
    }

    public float Bias { get; }

    public ReadOnlySpan<float> Factors => _factors;

    /// <summary>The predicted rating of a raw movie id, or null when the movie is not in the model.</summary>
    public float? Predict(int movieId)
    {
        int i = _model.Train.Items.IndexOf(movieId);
        if (i < 0)
        {
            return null;
        }

        return _model.Train.Scale.Clip(_model.EstimateWith(Bias, _factors, i));
    }

    /// <summary>The top <paramref name="n"/> movies, excluding those the user rated.</summary>
    public IReadOnlyList<ScoredMovie> Recommend(int n, Func<int, bool>? filter = null)
    {
        float[] scores = new float[_model.Train.ItemCount];
        _model.ScoreVector(Bias, _factors, scores);
        return _model.TopMovies(scores, n, _ratedItems, filter);
    }
}
