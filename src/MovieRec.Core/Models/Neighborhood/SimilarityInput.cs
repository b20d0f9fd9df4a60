using MovieRec.Core.Data;

namespace MovieRec.Core.Models.Neighborhood;

/// <summary>
/// The two CSR layouts a similarity pass walks: the compared rows (movies for item-based, users for user-based) and
/// the other side, each with the value every rating contributes (the rating, or its baseline residual r - b_ui).
/// </summary>
public sealed class SimilarityInput
{
    private SimilarityInput(int rows, int[] rowStart, int[] rowIndex, float[] rowValues, int[] colStart, int[] colIndex, float[] colValues)
    {
        Rows = rows;
        RowStart = rowStart;
        RowIndex = rowIndex;
        RowValues = rowValues;
        ColStart = colStart;
        ColIndex = colIndex;
        ColValues = colValues;
    }

    /// <summary>The number of compared rows.</summary>
    public int Rows { get; }

    internal int[] RowStart { get; }

    internal int[] RowIndex { get; }

    internal float[] RowValues { get; }

    internal int[] ColStart { get; }

    internal int[] ColIndex { get; }

    internal float[] ColValues { get; }

    /// <summary>
    /// Compares movies (<paramref name="itemBased"/>) or users. With <paramref name="residualsOf"/>, each rating
    /// contributes r - (mu + b_u + b_i), which pearson-baseline needs; otherwise the rating itself.
    /// </summary>
    public static SimilarityInput Create(RatingMatrix train, bool itemBased, BiasBaseline? residualsOf = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        float[] userValues = train.UserValues.ToArray();
        float[] itemValues = train.ItemValues.ToArray();
        if (residualsOf is not null)
        {
            float mu = (float)residualsOf.GlobalMean;
            ReadOnlySpan<int> userStart = train.UserRowStart, userItems = train.UserItemIndex;
            for (int u = 0; u < train.UserCount; u++)
            {
                for (int p = userStart[u]; p < userStart[u + 1]; p++)
                {
                    userValues[p] -= mu + residualsOf.UserBias[u] + residualsOf.ItemBias[userItems[p]];
                }
            }

            ReadOnlySpan<int> itemStart = train.ItemRowStart, itemUsers = train.ItemUserIndex;
            for (int i = 0; i < train.ItemCount; i++)
            {
                for (int p = itemStart[i]; p < itemStart[i + 1]; p++)
                {
                    itemValues[p] -= mu + residualsOf.UserBias[itemUsers[p]] + residualsOf.ItemBias[i];
                }
            }
        }

        return itemBased
            ? new SimilarityInput(train.ItemCount, train.ItemRowStart.ToArray(), train.ItemUserIndex.ToArray(), itemValues,
                train.UserRowStart.ToArray(), train.UserItemIndex.ToArray(), userValues)
            : new SimilarityInput(train.UserCount, train.UserRowStart.ToArray(), train.UserItemIndex.ToArray(), userValues,
                train.ItemRowStart.ToArray(), train.ItemUserIndex.ToArray(), itemValues);
    }
}
