using System.Collections.Concurrent;
using MovieRec.Core.Data;
using MovieRec.Core.Models;

namespace MovieRec.Core.Evaluation;

/// <summary>Mean precision, recall and NDCG at every cutoff 1..K, from one top-K list per user.</summary>
public sealed record RankingCurveResult(double[] Precision, double[] Recall, double[] Ndcg, int Users)
{
    public int MaxK => Precision.Length;
}

/// <summary>
/// The ranking protocol of <see cref="CrossValidator.EvaluateRanking"/> at every cutoff at once: each test user with a
/// relevant test rating gets one top-<c>maxK</c> list, and metrics at k are those of its first k entries, so the
/// value at k = <see cref="EvaluationOptions.K"/> equals what <c>evaluate</c> reports.
/// </summary>
public static class RankingCurve
{
    public static RankingCurveResult Evaluate(IRecommenderModel model, IReadOnlyList<Rating> test, int maxK, float threshold)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxK);
        var relevantByUser = new Dictionary<int, HashSet<int>>();
        foreach (Rating r in test)
        {
            if (r.Value >= threshold)
            {
                if (!relevantByUser.TryGetValue(r.UserId, out HashSet<int>? set))
                {
                    relevantByUser[r.UserId] = set = [];
                }

                set.Add(r.MovieId);
            }
        }

        KeyValuePair<int, HashSet<int>>[] users = [.. relevantByUser];
        var sums = new ConcurrentBag<double[]>();
        Parallel.ForEach(System.Collections.Concurrent.Partitioner.Create(0, users.Length), range =>
        {
            // One row per metric (precision, recall, NDCG) and cutoff, summed over this range's users.
            double[] local = new double[3 * maxK];
            for (int index = range.Item1; index < range.Item2; index++)
            {
                IReadOnlyList<ScoredMovie> top = model.Recommend(users[index].Key, maxK, excludeRated: true);
                int[] ranked = new int[top.Count];
                for (int r = 0; r < ranked.Length; r++)
                {
                    ranked[r] = top[r].MovieId;
                }

                for (int k = 1; k <= maxK; k++)
                {
                    UserRankingMetrics m = RankingMetrics.ForUser(ranked.AsSpan(0, Math.Min(k, ranked.Length)), users[index].Value, k);
                    local[k - 1] += m.Precision;
                    local[maxK + k - 1] += m.Recall;
                    local[(2 * maxK) + k - 1] += m.Ndcg;
                }
            }

            sums.Add(local);
        });

        double[] total = new double[3 * maxK];
        foreach (double[] local in sums)
        {
            for (int j = 0; j < total.Length; j++)
            {
                total[j] += local[j];
            }
        }

        int n = Math.Max(1, users.Length);
        return new RankingCurveResult(
            [.. total.AsSpan(0, maxK).ToArray().Select(v => v / n)],
            [.. total.AsSpan(maxK, maxK).ToArray().Select(v => v / n)],
            [.. total.AsSpan(2 * maxK, maxK).ToArray().Select(v => v / n)],
            users.Length);
    }
}
