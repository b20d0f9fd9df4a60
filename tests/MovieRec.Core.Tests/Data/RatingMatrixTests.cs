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
    public void Timestamps_stay_with_their_ratings_and_a_matrix_without_any_holds_none()
    {
        // Ratings in an order that is neither by user nor by movie, each with its own timestamp.
        Rating[] ratings = [.. Fixtures.SyntheticRatings().Select((r, k) => r with { Timestamp = 1_000_000 + (7919L * k % 100_003) }).Reverse()];

        RatingMatrix m = RatingMatrix.Build(ratings);

        Assert.True(m.HasTimestamps);
        foreach (Rating r in ratings)
        {
            int u = m.Users.IndexOf(r.UserId);
            int p = m.ItemsOf(u).BinarySearch(m.Items.IndexOf(r.MovieId));
            Assert.Equal(r.Timestamp, m.TimeOrigin + m.TimesOf(u)[p]);
        }

        RatingMatrix untimed = RatingMatrix.Build([.. ratings.Select(r => r with { Timestamp = 0 })]);
        Assert.False(untimed.HasTimestamps);
        Assert.True(untimed.TimesOf(0).IsEmpty);

        // Timestamps spanning more than 2^32 seconds are not kept (ease then weighs every pair alike).
        Rating[] far = [.. ratings.Select((r, k) => r with { Timestamp = k == 0 ? -5_000_000_000L : r.Timestamp })];
        Assert.False(RatingMatrix.Build(far).HasTimestamps);
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
    public void Sparse_and_negative_ids_shuffled_build_the_same_matrix_as_their_dense_renumbering()
    {
        // Ids spread over the whole int range take the dictionary path; the same ratings renumbered 0..n-1 take the
        // dense one. Shuffled input, so rows must be sorted by the build, not by the file.
        Rating[] dense = Fixtures.SyntheticRatings(30, 40, seed: 3);
        int[] userIds = [.. dense.Select(r => r.UserId).Distinct().Order()];
        int[] movieIds = [.. dense.Select(r => r.MovieId).Distinct().Order()];
        int Spread(int[] ids, int id) => int.MinValue + (int)((long)Array.IndexOf(ids, id) * 50_000_017L % uint.MaxValue) + 1;
        Rating[] sparse = [.. dense.Select(r => r with { UserId = Spread(userIds, r.UserId), MovieId = Spread(movieIds, r.MovieId) })];
        new Random(4).Shuffle(sparse);

        RatingMatrix a = RatingMatrix.Build(dense), b = RatingMatrix.Build(sparse);

        Assert.Equal(a.Count, b.Count);
        foreach (Rating r in dense)
        {
            int u = b.Users.IndexOf(Spread(userIds, r.UserId)), i = b.Items.IndexOf(Spread(movieIds, r.MovieId));
            Assert.Equal(r.Value, b.Get(u, i));
            Assert.Equal(a.UserRatingCount(a.Users.IndexOf(r.UserId)), b.UserRatingCount(u));
            Assert.True(b.UsersOf(i).BinarySearch(u) >= 0);
        }

        for (int i = 0; i < b.ItemCount; i++)
        {
            ReadOnlySpan<int> users = b.UsersOf(i);
            for (int p = 1; p < users.Length; p++)
            {
                Assert.True(users[p] > users[p - 1]);
            }
        }
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
