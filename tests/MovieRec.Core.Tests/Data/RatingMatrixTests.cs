using MovieRec.Core.Data;

namespace MovieRec.Core.Tests.Data;

public sealed class RatingMatrixTests
{
    [Fact]
    public void IdMap_maps_raw_ids_to_ascending_dense_indices_and_back()
    {
        IdMap map = IdMap.FromIds([30, 10, 20, 10, 30]);

        Assert.Equal(3, map.Count);
        Assert.Equal([10, 20, 30], map.RawIds.ToArray());
        Assert.Equal(1, map.IndexOf(20));
        Assert.Equal(30, map.RawId(2));
        Assert.Equal(-1, map.IndexOf(25));
    }

    [Fact]
    public void Both_csr_forms_hold_every_rating_with_sorted_rows()
    {
        Rating[] ratings = Fixtures.SyntheticRatings();

        RatingMatrix m = RatingMatrix.Build(ratings);

        Assert.Equal(ratings.Length, m.Count);
        foreach (Rating r in ratings)
        {
            int u = m.Users.IndexOf(r.UserId), i = m.Items.IndexOf(r.MovieId);
            Assert.Equal(r.Value, m.Get(u, i));
            int p = m.UsersOf(i).BinarySearch(u);
            Assert.True(p >= 0);
            Assert.Equal(r.Value, m.RatingsOfItem(i)[p]);
        }

        for (int u = 0; u < m.UserCount; u++)
        {
            ReadOnlySpan<int> items = m.ItemsOf(u);
            for (int p = 1; p < items.Length; p++)
            {
                Assert.True(items[p] > items[p - 1]);
            }
        }

        Assert.Equal(ratings.Average(r => r.Value), m.GlobalMean, 5);
        Assert.Equal(ratings.Min(r => r.Value), m.Scale.Min);
    }

    [Fact]
    public void A_duplicate_pair_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => RatingMatrix.Build([new Rating(1, 1, 3, 0), new Rating(1, 1, 4, 1)]));
        Assert.Contains("twice", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromUserMajor_round_trips_and_rejects_inconsistent_arrays()
    {
        RatingMatrix m = RatingMatrix.Build(Fixtures.SyntheticRatings());

        RatingMatrix copy = RatingMatrix.FromUserMajor(m.Users, m.Items, m.UserRowStart.ToArray(), m.UserItemIndex.ToArray(), m.UserValues.ToArray());

        Assert.Equal(m.ItemValues.ToArray(), copy.ItemValues.ToArray());
        int[] badIndex = m.UserItemIndex.ToArray();
        badIndex[0] = m.ItemCount + 5;
        Assert.Throws<InvalidDataException>(() => RatingMatrix.FromUserMajor(m.Users, m.Items, m.UserRowStart.ToArray(), badIndex, m.UserValues.ToArray()));
    }
}
