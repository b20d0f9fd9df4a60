using MovieRec.Core.Data;
using MovieRec.Core.Evaluation;

namespace MovieRec.Core.Tests.Evaluation;

public sealed class SplittersTests
{
    private readonly Rating[] _ratings = Fixtures.SyntheticRatings();

    [Fact]
    public void Kfold_test_sets_partition_the_ratings_and_each_fold_is_complementary()
    {
        IReadOnlyList<DataSplit> folds = Splitters.KFold(_ratings, 5, seed: 1);

        Assert.Equal(5, folds.Count);
        Assert.Equal(_ratings.Length, folds.Sum(f => f.Test.Length));
        Assert.Equal(_ratings.ToHashSet(), folds.SelectMany(f => f.Test).ToHashSet());
        foreach (DataSplit f in folds)
        {
            Assert.Equal(_ratings.Length, f.Train.Length + f.Test.Length);
            Assert.Empty(f.Train.Intersect(f.Test));
            Assert.InRange(f.Test.Length, (_ratings.Length / 5) - 1, (_ratings.Length / 5) + 1);
        }
    }

    [Fact]
    public void Random_splits_depend_on_the_seed_only()
    {
        Assert.Equal(Splitters.KFold(_ratings, 3, 9)[0].Test, Splitters.KFold(_ratings, 3, 9)[0].Test);
        Assert.NotEqual(Splitters.KFold(_ratings, 3, 9)[0].Test, Splitters.KFold(_ratings, 3, 10)[0].Test);
        Assert.Equal(Splitters.Holdout(_ratings, 0.25, 3).Test, Splitters.Holdout(_ratings, 0.25, 3).Test);
        Assert.Equal((int)Math.Round(_ratings.Length * 0.25), Splitters.Holdout(_ratings, 0.25, 3).Test.Length);
    }

    [Fact]
    public void Temporal_split_tests_each_users_latest_ratings()
    {
        DataSplit split = Splitters.TemporalPerUser(_ratings, 0.2);

        foreach (IGrouping<int, Rating> user in _ratings.GroupBy(r => r.UserId))
        {
            Rating[] test = [.. split.Test.Where(r => r.UserId == user.Key)];
            Rating[] train = [.. split.Train.Where(r => r.UserId == user.Key)];
            Assert.Equal((int)Math.Round(user.Count() * 0.2), test.Length);
            Assert.NotEmpty(train);
            if (test.Length > 0)
            {
                Assert.True(train.Max(r => r.Timestamp) <= test.Min(r => r.Timestamp));
            }
        }
    }

    [Fact]
    public void Leave_last_n_tests_exactly_n_latest_per_user()
    {
        DataSplit split = Splitters.LeaveLastN(_ratings, 2);

        foreach (IGrouping<int, Rating> user in _ratings.GroupBy(r => r.UserId))
        {
            Rating[] test = [.. split.Test.Where(r => r.UserId == user.Key)];
            Assert.Equal(2, test.Length);
            Assert.Equal(user.OrderBy(r => r.Timestamp).TakeLast(2), test.OrderBy(r => r.Timestamp));
        }
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Splitters.KFold(_ratings, 1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Splitters.Holdout(_ratings, 1.0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Splitters.LeaveLastN(_ratings, 0));
    }
}
