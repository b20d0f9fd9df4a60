using MovieRec.Core.Data;

namespace MovieRec.Core.Models.Hybrid;

/// <summary>What the hybrid's rankers (<see cref="LearnedRanker"/>, <see cref="FusionRanker"/>) do alike with the models they rank by.</summary>
internal static class RankerModels
{
    /// <summary>
    /// One model's scores of every movie for user u, or for a live history: the model's fold-in where it has one, else the
    /// history's known user's row, else the model's answer for an unknown user.
    /// </summary>
    public static void Score(IRecommenderModel model, int u, UserHistory? history, Span<float> target)
    {
        if (history is null)
        {
            model.Score(u, target);
        }
        else if (model.Capabilities.FoldIn is { } foldIn)
        {
            foldIn.ScoreHistory(history, target);
        }
        else if (history.KnownUser >= 0)
        {
            model.Score(history.KnownUser, target);
        }
        else
        {
            ((RecommenderModel)model).ScoreUnknownUser(target);
        }
    }

    /// <summary>Writes a model as its index among the hybrid's <paramref name="bases"/>, or (-1) saved whole, so no model is stored twice.</summary>
    public static void Write(BinaryWriter writer, IRecommenderModel model, IRecommenderModel[] bases)
    {
        int at = Array.IndexOf(bases, model);
        writer.Write(at);
        if (at < 0)
        {
            using var buffer = new MemoryStream();
            ModelSerializer.Save(model, buffer, includeMatrix: false);
            ModelBinary.WriteArray<byte>(writer, buffer.ToArray());
        }
    }

    /// <summary>Reads what <see cref="Write"/> wrote; <paramref name="ranker"/> names the ranker in the error of a damaged file.</summary>
    public static IRecommenderModel Read(BinaryReader reader, RatingMatrix train, IRecommenderModel[] bases, string ranker)
    {
        int at = reader.ReadInt32();
        if (at >= bases.Length || at < -1)
        {
            throw new InvalidDataException($"The {ranker} names base model {at} of {bases.Length}: the file is damaged.");
        }

        return at >= 0 ? bases[at] : ModelSerializer.Load(new MemoryStream(ModelBinary.ReadArray<byte>(reader)), train);
    }
}
