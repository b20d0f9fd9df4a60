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
    private readonly uint[]? _userTimes;

    private RatingMatrix(IdMap users, IdMap items, int[] userStart, int[] userItems, float[] userValues)
        : this(users, items, userStart, userItems, userValues, Transpose(userStart, userItems, userValues, items.Count, null, null))
    {
    }

    private RatingMatrix(IdMap users, IdMap items, int[] userStart, int[] userItems, float[] userValues, (int[] Start, int[] Index, float[] Values) itemMajor,
        (uint[] Offsets, long Origin)? userTimes = null)
    {
        Users = users;
        _userTimes = userTimes?.Offsets;
        TimeOrigin = userTimes?.Origin ?? 0;
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

    /// <summary>
    /// Whether the matrix holds the ratings' timestamps: it does when built from ratings with any nonzero one that span
    /// at most 2^32 seconds (136 years); a matrix read back from a saved model holds none.
    /// </summary>
    public bool HasTimestamps => _userTimes is not null;

    /// <summary>The earliest timestamp (Unix seconds) when <see cref="HasTimestamps"/>: <see cref="TimesOf"/> counts from it.</summary>
    public long TimeOrigin { get; }

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
        foreach (Rating r in ratings)
        {
            int slot = next[itemOf.Of(r.MovieId)]++;
            itemUsers[slot] = userOf.Of(r.UserId);
            itemValues[slot] = r.Value;
        }

        (int[] userStart, int[] userItems, float[] userValues) = Transpose(itemStart, itemUsers, itemValues, users.Count, null, null);
        (uint[] Offsets, long Origin)? userTimes = Timestamps(ratings, userStart, userItems, userOf, itemOf);
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
    /// Each rating's timestamp as seconds after the earliest, at its place in the user-major rows (4 bytes a rating);
    /// null when every timestamp is 0 or they span more than 2^32 seconds.
    /// </summary>
    private static (uint[] Offsets, long Origin)? Timestamps(ReadOnlySpan<Rating> ratings, int[] userStart, int[] userItems, IdLookup userOf, IdLookup itemOf)
    {
        bool timed = false;
        long min = long.MaxValue, max = long.MinValue;
        foreach (Rating r in ratings)
        {
            timed |= r.Timestamp != 0;
            min = Math.Min(min, r.Timestamp);
            max = Math.Max(max, r.Timestamp);
        }

        if (!timed || (UInt128)(Int128)max - (UInt128)(Int128)min > uint.MaxValue)
        {
            return null;
        }

        uint[] offsets = new uint[ratings.Length];
        foreach (Rating r in ratings)
        {
            int u = userOf.Of(r.UserId);
            int p = Array.BinarySearch(userItems, userStart[u], userStart[u + 1] - userStart[u], itemOf.Of(r.MovieId));
            offsets[p] = (uint)(r.Timestamp - min);
        }

        return (offsets, min);
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
    /// The timestamps of user <paramref name="u"/>'s ratings as seconds after <see cref="TimeOrigin"/>, aligned with
    /// <see cref="ItemsOf"/>; empty when the matrix holds none (<see cref="HasTimestamps"/>).
    /// </summary>
    public ReadOnlySpan<uint> TimesOf(int u) => _userTimes is null ? default : _userTimes.AsSpan(_userStart[u], _userStart[u + 1] - _userStart[u]);

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
    private static (int[] Start, int[] Index, float[] Values) Transpose(int[] start, int[] index, float[] values, int columns, int[]? intoIndex, float[]? intoValues)
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
        float[] tValues = intoValues ?? new float[index.Length];
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
