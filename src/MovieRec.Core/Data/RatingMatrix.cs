namespace MovieRec.Core.Data;

/// <summary>
/// Ratings over dense indices, held twice in compressed sparse rows: user-major (row u lists the items u rated) and
/// item-major (row i lists the users who rated i). Each row is sorted by column index. Immutable.
/// </summary>
public sealed class RatingMatrix
{
    private readonly int[] _userStart;
    private readonly int[] _userItems;
    private readonly float[] _userValues;
    private readonly int[] _itemStart;
    private readonly int[] _itemUsers;
    private readonly float[] _itemValues;
    private readonly long[]? _userTimes;

    private RatingMatrix(IdMap users, IdMap items, int[] userStart, int[] userItems, float[] userValues)
        : this(users, items, userStart, userItems, userValues, Transpose(userStart, userItems, userValues, items.Count, null, null))
    {
    }

    private RatingMatrix(IdMap users, IdMap items, int[] userStart, int[] userItems, float[] userValues, (int[] Start, int[] Index, float[] Values) itemMajor,
        long[]? userTimes = null)
    {
        Users = users;
        _userTimes = userTimes;
        Items = items;
        _userStart = userStart;
        _userItems = userItems;
        _userValues = userValues;
        (_itemStart, _itemUsers, _itemValues) = itemMajor;

        double sum = 0;
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (float v in userValues)
        {
            sum += v;
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }

        GlobalMean = userValues.Length == 0 ? 0 : sum / userValues.Length;
        Scale = userValues.Length == 0 ? RatingScale.HalfStars : new RatingScale(min, max);
    }

    public IdMap Users { get; }

    public IdMap Items { get; }

    public int UserCount => Users.Count;

    public int ItemCount => Items.Count;

    /// <summary>Number of ratings.</summary>
    public int Count => _userItems.Length;

    public double GlobalMean { get; }

    /// <summary>The lowest and highest rating present: predictions are clipped to it.</summary>
    public RatingScale Scale { get; }

    /// <summary>Row starts of the user-major form (length UserCount + 1).</summary>
    public ReadOnlySpan<int> UserRowStart => _userStart;

    public ReadOnlySpan<int> UserItemIndex => _userItems;

    public ReadOnlySpan<float> UserValues => _userValues;

    public ReadOnlySpan<int> ItemRowStart => _itemStart;

    public ReadOnlySpan<int> ItemUserIndex => _itemUsers;

    public ReadOnlySpan<float> ItemValues => _itemValues;

    /// <summary>Whether the matrix holds the ratings' timestamps (it does when built from ratings with any nonzero one).</summary>
    public bool HasTimestamps => _userTimes is not null;

    /// <summary>
    /// Builds the matrix over the users and movies present in <paramref name="ratings"/>. Besides the result it holds
    /// one more item-major copy while it works (25 M ratings: 200 MB), whose arrays become the result's item-major form.
    /// </summary>
    public static RatingMatrix Build(ReadOnlySpan<Rating> ratings)
    {
        (IdMap users, IdLookup userOf) = Index(ratings, user: true);
        (IdMap items, IdLookup itemOf) = Index(ratings, user: false);

        // Counting sort into item-major rows (in rating order), transpose to user-major (rows sorted by item), then
        // transpose back into the first arrays (rows sorted by user).
        int[] itemStart = new int[items.Count + 1];
        foreach (Rating r in ratings)
        {
            itemStart[itemOf.Of(r.MovieId) + 1]++;
        }

        for (int i = 0; i < items.Count; i++)
        {
            itemStart[i + 1] += itemStart[i];
        }

        int[] next = itemStart[..^1];
        int[] itemUsers = new int[ratings.Length];
        float[] itemValues = new float[ratings.Length];
        bool timed = false;
        foreach (Rating r in ratings)
        {
            timed |= r.Timestamp != 0;
        }

        long[]? itemTimes = timed ? new long[ratings.Length] : null;
        foreach (Rating r in ratings)
        {
            int slot = next[itemOf.Of(r.MovieId)]++;
            itemUsers[slot] = userOf.Of(r.UserId);
            itemValues[slot] = r.Value;
            if (itemTimes is not null)
            {
                itemTimes[slot] = r.Timestamp;
            }
        }

        (int[] userStart, int[] userItems, float[] userValues) = Transpose(itemStart, itemUsers, itemValues, users.Count, null, null);

        // The same transpose of the same rows puts each timestamp where its rating went.
        long[]? userTimes = itemTimes is null ? null : Transpose(itemStart, itemUsers, itemTimes, users.Count, null, null).Values;
        for (int u = 0; u < users.Count; u++)
        {
            for (int p = userStart[u] + 1; p < userStart[u + 1]; p++)
            {
                if (userItems[p] == userItems[p - 1])
                {
                    throw new ArgumentException(
                        $"User {users.RawId(u)} rated movie {items.RawId(userItems[p])} twice; load ratings through MovieLensLoader, which keeps the latest.",
                        nameof(ratings));
                }
            }
        }

        return new RatingMatrix(users, items, userStart, userItems, userValues, Transpose(userStart, userItems, userValues, items.Count, itemUsers, itemValues), userTimes);
    }

    /// <summary>
    /// The distinct ids of one column and a lookup from raw id to index: a dense array when the ids span a range not much
    /// larger than the ratings (MovieLens ids do), else the map's dictionary.
    /// </summary>
    private static (IdMap Map, IdLookup Lookup) Index(ReadOnlySpan<Rating> ratings, bool user)
    {
        if (ratings.IsEmpty)
        {
            return (IdMap.FromIds([]), new IdLookup(null, 0, IdMap.FromIds([])));
        }

        long min = long.MaxValue, max = long.MinValue;
        foreach (Rating r in ratings)
        {
            int id = user ? r.UserId : r.MovieId;
            min = Math.Min(min, id);
            max = Math.Max(max, id);
        }

        long span = max - min + 1;
        if (span > Math.Max(1L << 20, 4L * ratings.Length) || span > Array.MaxLength)
        {
            int[] ids = new int[ratings.Length];
            for (int r = 0; r < ratings.Length; r++)
            {
                ids[r] = user ? ratings[r].UserId : ratings[r].MovieId;
            }

            IdMap sparse = IdMap.FromIds(ids);
            return (sparse, new IdLookup(null, 0, sparse));
        }

        int offset = (int)min;
        int[] dense = new int[span];
        foreach (Rating r in ratings)
        {
            dense[(user ? r.UserId : r.MovieId) - offset] = 1;
        }

        int count = 0;
        foreach (int present in dense)
        {
            count += present;
        }

        int[] raw = new int[count];
        int n = 0;
        for (int k = 0; k < dense.Length; k++)
        {
            if (dense[k] == 1)
            {
                raw[n] = k + offset;
                dense[k] = n++;
            }
        }

        IdMap map = IdMap.FromSortedIds(raw);
        return (map, new IdLookup(dense, offset, map));
    }

    private readonly record struct IdLookup(int[]? Dense, int Offset, IdMap Map)
    {
        public int Of(int rawId) => Dense is null ? Map.IndexOf(rawId) : Dense[rawId - Offset];
    }

    /// <summary>Rebuilds a matrix from its user-major arrays (as saved with a model), checking their shape.</summary>
    public static RatingMatrix FromUserMajor(IdMap users, IdMap items, int[] userStart, int[] userItems, float[] userValues)
    {
        if (userStart.Length != users.Count + 1 || userStart[0] != 0 || userStart[^1] != userItems.Length || userItems.Length != userValues.Length)
        {
            throw new InvalidDataException("The rating matrix arrays do not fit together.");
        }

        for (int u = 0; u < users.Count; u++)
        {
            if (userStart[u + 1] < userStart[u])
            {
                throw new InvalidDataException("The rating matrix row starts are not ascending.");
            }

            for (int p = userStart[u]; p < userStart[u + 1]; p++)
            {
                if ((uint)userItems[p] >= (uint)items.Count || (p > userStart[u] && userItems[p] <= userItems[p - 1]))
                {
                    throw new InvalidDataException("The rating matrix item indices are out of range or unsorted.");
                }
            }
        }

        return new RatingMatrix(users, items, userStart, userItems, userValues);
    }

    /// <summary>The items user <paramref name="u"/> rated, ascending.</summary>
    public ReadOnlySpan<int> ItemsOf(int u) => _userItems.AsSpan(_userStart[u], _userStart[u + 1] - _userStart[u]);

    /// <summary>The ratings of user <paramref name="u"/>, aligned with <see cref="ItemsOf"/>.</summary>
    public ReadOnlySpan<float> RatingsOf(int u) => _userValues.AsSpan(_userStart[u], _userStart[u + 1] - _userStart[u]);

    /// <summary>
    /// The timestamps (Unix seconds) of user <paramref name="u"/>'s ratings, aligned with <see cref="ItemsOf"/>; empty
    /// when the matrix holds none (<see cref="HasTimestamps"/>: a matrix read back from a saved model holds none).
    /// </summary>
    public ReadOnlySpan<long> TimesOf(int u) => _userTimes is null ? default : _userTimes.AsSpan(_userStart[u], _userStart[u + 1] - _userStart[u]);

    /// <summary>The users who rated item <paramref name="i"/>, ascending.</summary>
    public ReadOnlySpan<int> UsersOf(int i) => _itemUsers.AsSpan(_itemStart[i], _itemStart[i + 1] - _itemStart[i]);

    /// <summary>The ratings of item <paramref name="i"/>, aligned with <see cref="UsersOf"/>.</summary>
    public ReadOnlySpan<float> RatingsOfItem(int i) => _itemValues.AsSpan(_itemStart[i], _itemStart[i + 1] - _itemStart[i]);

    public int UserRatingCount(int u) => _userStart[u + 1] - _userStart[u];

    public int ItemRatingCount(int i) => _itemStart[i + 1] - _itemStart[i];

    /// <summary>The rating user u gave item i, or null. Binary search in the user's row.</summary>
    public float? Get(int u, int i)
    {
        int p = ItemsOf(u).BinarySearch(i);
        return p >= 0 ? RatingsOf(u)[p] : null;
    }

    /// <summary>The transposed form; written into <paramref name="intoIndex"/> and <paramref name="intoValues"/> when given (their old contents are overwritten).</summary>
    private static (int[] Start, int[] Index, T[] Values) Transpose<T>(int[] start, int[] index, T[] values, int columns, int[]? intoIndex, T[]? intoValues)
    {
        int[] tStart = new int[columns + 1];
        foreach (int c in index)
        {
            tStart[c + 1]++;
        }

        for (int c = 0; c < columns; c++)
        {
            tStart[c + 1] += tStart[c];
        }

        int[] next = tStart[..^1];
        int[] tIndex = intoIndex ?? new int[index.Length];
        T[] tValues = intoValues ?? new T[index.Length];
        for (int row = 0; row < start.Length - 1; row++)
        {
            for (int p = start[row]; p < start[row + 1]; p++)
            {
                int slot = next[index[p]]++;
                tIndex[slot] = row;
                tValues[slot] = values[p];
            }
        }

        return (tStart, tIndex, tValues);
    }
}
