namespace MovieRec.Core.Evaluation;

/// <summary>Rating-prediction accuracy.</summary>
public static class RatingMetrics
{
    public static double Rmse(ReadOnlySpan<float> predicted, ReadOnlySpan<float> actual)
    {
        CheckLengths(predicted, actual);
        double sum = 0;
        for (int i = 0; i < predicted.Length; i++)
        {
            double d = predicted[i] - actual[i];
            sum += d * d;
        }

        return Math.Sqrt(sum / predicted.Length);
    }

    public static double Mae(ReadOnlySpan<float> predicted, ReadOnlySpan<float> actual)
    {
        CheckLengths(predicted, actual);
        double sum = 0;
        for (int i = 0; i < predicted.Length; i++)
        {
            sum += Math.Abs(predicted[i] - actual[i]);
        }

        return sum / predicted.Length;
    }

    private static void CheckLengths(ReadOnlySpan<float> predicted, ReadOnlySpan<float> actual)
    {
        if (predicted.Length != actual.Length || predicted.Length == 0)
        {
            throw new ArgumentException("Predictions and ratings must be non-empty and of the same length.");
        }
    }
}

/// <summary>Top-K metrics of one user's ranked list (binary relevance).</summary>
public readonly record struct UserRankingMetrics(double Precision, double Recall, double Ndcg, double AveragePrecision, bool Hit);

/// <summary>Top-K ranking accuracy, binary relevance.</summary>
public static class RankingMetrics
{
    /// <summary>
    /// Metrics at <paramref name="k"/> of a ranked list against the user's relevant items. Precision divides the hits
    /// by k; recall by the number of relevant items (including those the model could never rank); NDCG uses gains
    /// 1/log2(rank+1) and the ideal list of min(|relevant|, k) hits; AP@k averages precision at each hit over
    /// min(|relevant|, k).
    /// </summary>
    public static UserRankingMetrics ForUser(ReadOnlySpan<int> ranked, IReadOnlySet<int> relevant, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        if (relevant.Count == 0)
        {
            throw new ArgumentException("A user needs at least one relevant item to be scored.", nameof(relevant));
        }

        int n = Math.Min(k, ranked.Length);
        int hits = 0;
        double dcg = 0, precisionSum = 0;
        for (int r = 0; r < n; r++)
        {
            if (relevant.Contains(ranked[r]))
            {
                hits++;
                dcg += 1.0 / Math.Log2(r + 2);
                precisionSum += (double)hits / (r + 1);
            }
        }

        int ideal = Math.Min(relevant.Count, k);
        double idcg = 0;
        for (int r = 0; r < ideal; r++)
        {
            idcg += 1.0 / Math.Log2(r + 2);
        }

        return new UserRankingMetrics(
            Precision: (double)hits / k,
            Recall: (double)hits / relevant.Count,
            Ndcg: dcg / idcg,
            AveragePrecision: precisionSum / ideal,
            Hit: hits > 0);
    }
}
