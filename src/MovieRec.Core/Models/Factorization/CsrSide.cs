using MovieRec.Core.Data;

namespace MovieRec.Core.Models.Factorization;

/// <summary>
/// One side of a rating matrix as arrays, which parallel loops can capture (spans cannot). The ALS trainers copy each
/// side once per fit, not once per half-iteration.
/// </summary>
internal sealed record CsrSide(int[] Start, int[] Index, float[] Values)
{
    public static CsrSide Users(RatingMatrix m) => new(m.UserRowStart.ToArray(), m.UserItemIndex.ToArray(), m.UserValues.ToArray());

    public static CsrSide Items(RatingMatrix m) => new(m.ItemRowStart.ToArray(), m.ItemUserIndex.ToArray(), m.ItemValues.ToArray());
}
