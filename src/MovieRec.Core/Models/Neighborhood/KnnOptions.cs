namespace MovieRec.Core.Models.Neighborhood;

/// <summary>How two users (or two movies) are compared over the ratings they have in common (Surprise's names).</summary>
public enum KnnSimilarity
{
    /// <summary>Cosine of the raw ratings over common raters.</summary>
    Cosine,

    /// <summary>1 / (mean squared difference + 1) over common raters.</summary>
    Msd,

    /// <summary>Pearson correlation over common raters, centred on the means over those common raters.</summary>
    Pearson,

    /// <summary>Pearson correlation of the baseline residuals r - b_ui, shrunk by (n - 1) / (n - 1 + shrinkage).</summary>
    PearsonBaseline,
}

/// <summary>How the k neighbours' ratings become an estimate (Surprise's four kNN classes).</summary>
public enum KnnPrediction
{
    /// <summary>KNNBasic: the similarity-weighted mean of the neighbours' ratings.</summary>
    Basic,

    /// <summary>KNNWithMeans: the row's mean plus the weighted mean of the neighbours' deviations from their means.</summary>
    Means,

    /// <summary>KNNWithZScore: as Means, on z-scores, scaled back by the row's standard deviation.</summary>
    ZScore,

    /// <summary>KNNBaseline: b_ui plus the weighted mean of the neighbours' baseline residuals.</summary>
    Baseline,
}

/// <summary>How a neighbourhood turns into a top-N ranking score (see <see cref="KnnModel.Score"/>).</summary>
public enum KnnRankingScore
{
    /// <summary>The sum of the similarities of the neighbours that vouch for the movie, times the predicted rating's place on the scale.</summary>
    WeightedSupport,

    /// <summary>The sum of the similarities of the neighbours that vouch for the movie (classic top-N item-kNN).</summary>
    Support,

    /// <summary>The predicted rating alone: favours obscure movies that a single neighbour rated highly.</summary>
    PredictedRating,
}

/// <summary>
/// Options of <see cref="UserKnnTrainer"/> and <see cref="ItemKnnTrainer"/>. The defaults are the most accurate
/// combination (Surprise's KNNBaseline with pearson_baseline, shrinkage 100, k 40, min_k 1, min_support 1).
/// </summary>
public sealed record KnnOptions
{
    /// <summary>Rows (users or movies) up to this count keep every positive neighbour; larger ones keep the top <see cref="MaxNeighbors"/>.</summary>
    public const int DefaultDenseCutover = 4096;

    /// <summary>The neighbour list length of large catalogues; see <see cref="DenseCutover"/>.</summary>
    public const int DefaultMaxNeighbors = 2000;

    [Option("how two rows are compared over their common ratings")]
    public KnnSimilarity Similarity { get; init; } = KnnSimilarity.PearsonBaseline;

    /// <summary>Shrinkage of <see cref="KnnSimilarity.PearsonBaseline"/> (Surprise's default 100); ignored by the others.</summary>
    [Option("shrinkage of pearsonBaseline similarities", Min = 0, Max = 1e6, TuneMin = 1, TuneMax = 500, LogScale = true)]
    public double Shrinkage { get; init; } = 100;

    /// <summary>Neighbours that take part in one prediction.</summary>
    [Option("neighbours that take part in one prediction", Min = 1, Max = 100000, TuneMin = 5, TuneMax = 200, LogScale = true)]
    public int K { get; init; } = 40;

    /// <summary>Fewer positive-similarity neighbours than this and the rule's fallback answers.</summary>
    [Option("fewer positive neighbours than this and the rule's fallback answers", Min = 0, Max = 100000)]
    public int MinK { get; init; } = 1;

    /// <summary>Pairs with fewer common raters than this get similarity 0.</summary>
    [Option("pairs with fewer common raters than this get similarity 0", Min = 0, Max = 100000)]
    public int MinSupport { get; init; } = 1;

    [Option("how the neighbours' ratings become an estimate (Surprise's kNN classes)")]
    public KnnPrediction Prediction { get; init; } = KnnPrediction.Baseline;

    /// <summary>What <see cref="IRecommenderModel.Score"/> ranks by; rating predictions do not depend on it.</summary>
    [Option("what top-N ranks by; rating predictions do not depend on it")]
    public KnnRankingScore RankBy { get; init; } = KnnRankingScore.WeightedSupport;

    /// <summary>
    /// Neighbours a ranking score (<see cref="IRecommenderModel.Score"/>, top-N) gathers: its <see cref="RankBy"/> score
    /// takes the rankK most similar rated neighbours; 0 means <see cref="K"/>. Rating predictions always take K. item-knn
    /// defaults to 10: on inner 5-fold cross-validation of ml-latest-small fold1.train its NDCG@10 was 0.1470 / 0.1503 /
    /// 0.1484 / 0.1483 / 0.1472 at 5 / 10 / 15 / 20 / 40, and a smaller neighbourhood also bounds a top-N search tighter.
    /// </summary>
    [Option("neighbours a ranking score (top-N) gathers; 0: k. Rating predictions always use k", Min = 0, Max = 100000, TuneMin = 5, TuneMax = 100, LogScale = true)]
    public int RankK { get; init; }

    /// <summary>The neighbours a ranking score gathers: <see cref="RankK"/>, or <see cref="K"/> when it is 0.</summary>
    public int RankNeighbors => RankK > 0 ? RankK : K;

    /// <summary>
    /// Rows up to this count keep all their positive neighbours, which makes predictions exactly Surprise's, and the
    /// model also holds them as a dense n * n lookup (at most 64 MiB at the default 4096) so a prediction costs one
    /// pass over the other side's ratings. Above it each row keeps its <see cref="MaxNeighbors"/> most similar and
    /// there is no dense matrix, so memory stays proportional to n * MaxNeighbors.
    /// </summary>
    [Option("rows up to this count keep every neighbour and a dense similarity lookup", Min = 0, Max = 46340)]
    public int DenseCutover { get; init; } = DefaultDenseCutover;

    /// <summary>Neighbours kept per row above <see cref="DenseCutover"/>; must be at least <see cref="K"/>.</summary>
    [Option("neighbours kept per row above denseCutover (at least k)", Min = 1, Max = 100000)]
    public int MaxNeighbors { get; init; } = DefaultMaxNeighbors;

    /// <summary>The list length a fit over <paramref name="rows"/> rows keeps.</summary>
    public int NeighborsKept(int rows) => rows <= DenseCutover ? Math.Max(rows - 1, 0) : MaxNeighbors;

    public KnnOptions Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(K, nameof(K));
        ArgumentOutOfRangeException.ThrowIfNegative(MinK, nameof(MinK));
        ArgumentOutOfRangeException.ThrowIfNegative(MinSupport, nameof(MinSupport));
        ArgumentOutOfRangeException.ThrowIfNegative(Shrinkage, nameof(Shrinkage));
        ArgumentOutOfRangeException.ThrowIfNegative(DenseCutover, nameof(DenseCutover));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(DenseCutover, 46_340, nameof(DenseCutover));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxNeighbors, K, nameof(MaxNeighbors));
        ArgumentOutOfRangeException.ThrowIfNegative(RankK, nameof(RankK));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(RankK, MaxNeighbors, nameof(RankK));
        if (!Enum.IsDefined(Similarity))
        {
            throw new ArgumentOutOfRangeException(nameof(Similarity), Similarity, "Unknown similarity.");
        }

        if (!Enum.IsDefined(Prediction))
        {
            throw new ArgumentOutOfRangeException(nameof(Prediction), Prediction, "Unknown prediction rule.");
        }

        if (!Enum.IsDefined(RankBy))
        {
            throw new ArgumentOutOfRangeException(nameof(RankBy), RankBy, "Unknown ranking score.");
        }

        return this;
    }
}
