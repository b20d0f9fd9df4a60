using FsCheck.Xunit;
using MovieRec.Core.Data;
using MovieRec.Core.Models;
using MovieRec.Core.Models.Neighborhood;

namespace MovieRec.Core.Tests.Models;

/// <summary>FsCheck properties over random small rating sets: every similarity and rule, both orientations.</summary>
public sealed class NeighborhoodPropertyTests
{
    [Property(MaxTest = 60)]
    public bool Similarities_are_symmetric_positive_and_at_most_one(int seed, byte users, byte movies, bool itemBased, bool cut)
    {
        RatingMatrix m = RandomMatrix(seed, users, movies);
        foreach (KnnSimilarity kind in Enum.GetValues<KnnSimilarity>())
        {
            var options = new KnnOptions { Similarity = kind, DenseCutover = cut ? 0 : 4096, MaxNeighbors = cut ? 3 : 400, K = 3 };
            var model = (KnnModel)(itemBased ? new ItemKnnTrainer(options).Fit(m) : new UserKnnTrainer(options).Fit(m));
            NeighborLists lists = model.Neighbors;
            for (int x = 0; x < lists.Rows; x++)
            {
                ReadOnlySpan<int> neighbors = lists.NeighborsOf(x);
                ReadOnlySpan<float> sims = lists.SimilaritiesOf(x);
                for (int p = 0; p < neighbors.Length; p++)
                {
                    bool ok = neighbors[p] != x && sims[p] > 0 && sims[p] <= 1 + 1e-5f && lists.Similarity(neighbors[p], x) == sims[p];
                    if (!ok)
                    {
                        return false;
                    }
                }
            }
        }

        return true;
    }

    [Property(MaxTest = 40)]
    public bool Predictions_and_ranking_scores_stay_inside_the_rating_scale(int seed, byte users, byte movies, bool itemBased, byte k)
    {
        RatingMatrix m = RandomMatrix(seed, users, movies);
        foreach (KnnPrediction rule in Enum.GetValues<KnnPrediction>())
        {
            var options = new KnnOptions { Prediction = rule, K = 1 + (k % 10), RankBy = KnnRankingScore.PredictedRating };
            IRecommenderModel model = itemBased ? new ItemKnnTrainer(options).Fit(m) : new UserKnnTrainer(options).Fit(m);
            float[] scores = new float[m.ItemCount];
            for (int u = 0; u < m.UserCount; u++)
            {
                model.Score(u, scores);
                for (int i = 0; i < m.ItemCount; i++)
                {
                    Prediction p = model.Predict(m.Users.RawId(u), m.Items.RawId(i));
                    if (!m.Scale.Contains(p.Rating) || !m.Scale.Contains(scores[i]) || float.IsNaN(p.Rating))
                    {
                        return false;
                    }
                }
            }
        }

        return true;
    }

    // 2..17 users and 2..17 movies, each pair rated with probability 0.5 on the half-star scale.
    private static RatingMatrix RandomMatrix(int seed, byte users, byte movies)
    {
        var random = new Random(seed);
        int nu = 2 + (users % 16), nm = 2 + (movies % 16);
        var ratings = new List<Rating>();
        for (int u = 0; u < nu; u++)
        {
            for (int i = 0; i < nm; i++)
            {
                if (random.NextDouble() < 0.5 || (u == 0 && i == 0))
                {
                    ratings.Add(new Rating(u + 1, i + 1, 0.5f * random.Next(1, 11), 0));
                }
            }
        }

        return RatingMatrix.Build([.. ratings]);
    }
}
