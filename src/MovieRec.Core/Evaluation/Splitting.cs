using MovieRec.Core.Data;

namespace MovieRec.Core.Evaluation;

/// <summary>A named train/test pair of raw ratings.</summary>
public sealed record DataSplit(string Name, Rating[] Train, Rating[] Test);

/// <summary>Ways to divide ratings into training and test sets. Every random splitter takes an explicit seed.</summary>
public static class Splitters
{
    /// <summary>
    /// k-fold cross-validation: the ratings are shuffled with <paramref name="seed"/>, and fold f (1-based) tests
    /// positions f-1, f-1+k, f-1+2k, ... of the shuffled order. Rows keep their file order inside each set.
    /// </summary>
    public static IReadOnlyList<DataSplit> KFold(Rating[] ratings, int folds, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(folds, 2);
        if (ratings.Length < folds)
        {
            throw new ArgumentException($"{ratings.Length} ratings cannot make {folds} folds.", nameof(ratings));
        }

        int[] foldOf = new int[ratings.Length];
        int[] perm = Permutation(ratings.Length, seed);
        for (int p = 0; p < perm.Length; p++)
        {
            foldOf[perm[p]] = p % folds;
        }

        var splits = new DataSplit[folds];
        for (int f = 0; f < folds; f++)
        {
            splits[f] = Partition($"fold{f + 1}", ratings, r => foldOf[r] == f);
        }

        return splits;
    }

    /// <summary>A random holdout: a <paramref name="testFraction"/> of all ratings is tested.</summary>
    public static DataSplit Holdout(Rating[] ratings, double testFraction, int seed)
    {
        CheckFraction(testFraction);
        int[] perm = Permutation(ratings.Length, seed);
        int testCount = (int)Math.Round(ratings.Length * testFraction);
        bool[] isTest = new bool[ratings.Length];
        for (int p = 0; p < testCount; p++)
        {
            isTest[perm[p]] = true;
        }

        return Partition("holdout", ratings, r => isTest[r]);
    }

    /// <summary>Per user, the latest <paramref name="testFraction"/> of their ratings (by timestamp) is tested.</summary>
    public static DataSplit TemporalPerUser(Rating[] ratings, double testFraction)
    {
        CheckFraction(testFraction);
        return PerUserLatest("temporal", ratings, count => (int)Math.Round(count * testFraction));
    }

    /// <summary>Per user, the last <paramref name="n"/> ratings by timestamp are tested (users keep at least one in train).</summary>
    public static DataSplit LeaveLastN(Rating[] ratings, int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        return PerUserLatest($"leave-last-{n}", ratings, _ => n);
    }

    /// <summary>Reads explicit train/test file pairs; each file's layout is detected as <see cref="MovieLensLoader.LoadRatings"/> does.</summary>
    public static IReadOnlyList<DataSplit> FromFiles(IEnumerable<(string Train, string Test)> pairs, RatingScale scale, LoadOptions? options = null)
    {
        var splits = new List<DataSplit>();
        foreach ((string train, string test) in pairs)
        {
            splits.Add(new DataSplit(
                Path.GetFileNameWithoutExtension(test),
                MovieLensLoader.LoadRatings(train, scale, options),
                MovieLensLoader.LoadRatings(test, scale, options)));
        }

        return splits;
    }

    private static DataSplit PerUserLatest(string name, Rating[] ratings, Func<int, int> testCountOf)
    {
        // Group rows by user, order each group by time (then row), mark the tail as test.
        int[] order = new int[ratings.Length];
        for (int r = 0; r < order.Length; r++)
        {
            order[r] = r;
        }

        Array.Sort(order, (a, b) =>
        {
            int c = ratings[a].UserId.CompareTo(ratings[b].UserId);
            if (c == 0)
            {
                c = ratings[a].Timestamp.CompareTo(ratings[b].Timestamp);
            }

            return c != 0 ? c : a.CompareTo(b);
        });

        bool[] isTest = new bool[ratings.Length];
        for (int s = 0; s < order.Length;)
        {
            int e = s;
            while (e < order.Length && ratings[order[e]].UserId == ratings[order[s]].UserId)
            {
                e++;
            }

            int count = e - s;
            int test = Math.Clamp(testCountOf(count), 0, count - 1);
            for (int p = e - test; p < e; p++)
            {
                isTest[order[p]] = true;
            }

            s = e;
        }

        return Partition(name, ratings, r => isTest[r]);
    }

    private static DataSplit Partition(string name, Rating[] ratings, Func<int, bool> isTest)
    {
        var train = new List<Rating>(ratings.Length);
        var test = new List<Rating>(ratings.Length / 4);
        for (int r = 0; r < ratings.Length; r++)
        {
            (isTest(r) ? test : train).Add(ratings[r]);
        }

        return new DataSplit(name, [.. train], [.. test]);
    }

    private static int[] Permutation(int n, int seed)
    {
        int[] perm = new int[n];
        for (int i = 0; i < n; i++)
        {
            perm[i] = i;
        }

        new Random(seed).Shuffle(perm);
        return perm;
    }

    private static void CheckFraction(double testFraction)
    {
        if (!(testFraction > 0 && testFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction, "The test fraction must lie strictly between 0 and 1.");
        }
    }
}
