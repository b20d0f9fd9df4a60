using MovieRec.Core.Data;

namespace MovieRec.Core.Models.Hybrid;

/// <summary>
/// The hybrid's fused top-N (<c>hybrid.ranker=fusion</c>): each model scores every movie for the user, its scores are
/// standardised (z-scores over the movies the user has not rated and the model ranks, which leaves out the movies
/// outside ease's selection), and a movie's score is the ranking model's z-score plus <see cref="Weight"/> times the sum
/// of the other models' z-scores. A movie the ranking model does not rank keeps its own (very low) score.
/// </summary>
internal sealed class FusionRanker
{
    // Ease scores the movies outside its selection -1e4 (plus a popularity share); anything this low is not ranked.
    private const float Unranked = -1e3f;

    private readonly IRecommenderModel[] _models;

    public FusionRanker(RatingMatrix train, IRecommenderModel[] models, double weight)
    {
        if (models.Length < 2 || !double.IsFinite(weight) || weight < 0)
        {
            throw new InvalidDataException("The hybrid's fused ranker needs two models and a finite weight: the file is damaged.");
        }

        Train = train;
        _models = models;
        Weight = weight;
    }

    public RatingMatrix Train { get; }

    /// <summary>The ranking model first, then the models fused into it.</summary>
    public IReadOnlyList<IRecommenderModel> Models => _models;

    public double Weight { get; }

    public void Score(int u, Span<float> scores) => Fuse(u, Train.ItemsOf(u), scores, null);

    public void ScoreHistory(UserHistory history, Span<float> scores)
    {
        ArgumentNullException.ThrowIfNull(history);
        Fuse(-1, history.Items, scores, history);
    }

    private void Fuse(int u, ReadOnlySpan<int> ratedSorted, Span<float> scores, UserHistory? history)
    {
        int items = Train.ItemCount;
        bool[] rated = new bool[items];
        foreach (int i in ratedSorted)
        {
            if ((uint)i < (uint)items)
            {
                rated[i] = true;
            }
        }

        float[] s = new float[items];
        for (int m = 0; m < _models.Length; m++)
        {
            Span<float> target = m == 0 ? scores : s;
            RankerModels.Score(_models[m], u, history, target);
            double mean = 0, squares = 0;
            int count = 0;
            for (int i = 0; i < items; i++)
            {
                if (!rated[i] && target[i] > Unranked)
                {
                    mean += target[i];
                    count++;
                }
            }

            mean = count > 0 ? mean / count : 0;
            for (int i = 0; i < items; i++)
            {
                if (!rated[i] && target[i] > Unranked)
                {
                    squares += (target[i] - mean) * (target[i] - mean);
                }
            }

            double sd = count > 0 ? Math.Sqrt(squares / count) : 0;
            float scale = (float)((m == 0 ? 1 : Weight) / (sd > 1e-12 ? sd : 1));
            float shift = (float)mean;
            if (m == 0)
            {
                for (int i = 0; i < items; i++)
                {
                    if (scores[i] > Unranked)
                    {
                        scores[i] = (scores[i] - shift) * scale;
                    }
                }
            }
            else
            {
                for (int i = 0; i < items; i++)
                {
                    if (scores[i] > Unranked && s[i] > Unranked)
                    {
                        scores[i] += (s[i] - shift) * scale;
                    }
                }
            }
        }
    }

    /// <summary>Writes the fusion after the hybrid's models: the weight, then each fused model as its index among <paramref name="bases"/> or saved whole.</summary>
    public void Write(BinaryWriter writer, IRecommenderModel[] bases)
    {
        writer.Write(Weight);
        writer.Write(_models.Length);
        foreach (IRecommenderModel model in _models.Skip(1))
        {
            RankerModels.Write(writer, model, bases);
        }
    }

    public static FusionRanker Read(BinaryReader reader, RatingMatrix train, IRecommenderModel[] bases, IRecommenderModel ranking)
    {
        double weight = reader.ReadDouble();
        int count = reader.ReadInt32();
        if (count is < 2 or > 16)
        {
            throw new InvalidDataException("The hybrid's fused ranker header is not plausible: the file is damaged.");
        }

        var models = new IRecommenderModel[count];
        models[0] = ranking;
        for (int m = 1; m < count; m++)
        {
            models[m] = RankerModels.Read(reader, train, bases, "fused ranker");
        }

        return new FusionRanker(train, models, weight);
    }
}
