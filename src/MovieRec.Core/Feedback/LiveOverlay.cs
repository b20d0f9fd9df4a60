using MovieRec.Core.Data;

namespace MovieRec.Core.Feedback;

/// <summary>Dataset ratings overlaid with live ones: a live rating replaces the dataset's, a tombstone removes it.</summary>
public static class LiveOverlay
{
    /// <summary>A user's merged ratings as raw (movie id, rating, is live) triples, by movie id.</summary>
    public static IReadOnlyList<(int MovieId, float Rating, bool Live)> Merge(RatingMatrix data, int userId, IReadOnlyList<LiveRating>? live)
    {
        ArgumentNullException.ThrowIfNull(data);
        var merged = new SortedDictionary<int, (float, bool)>();
        int u = data.Users.IndexOf(userId);
        if (u >= 0)
        {
            ReadOnlySpan<int> items = data.ItemsOf(u);
            ReadOnlySpan<float> values = data.RatingsOf(u);
            for (int k = 0; k < items.Length; k++)
            {
                merged[data.Items.RawId(items[k])] = (values[k], false);
            }
        }

        if (live is not null)
        {
            foreach (LiveRating r in live)
            {
                if (r.Rating is float value)
                {
                    merged[r.MovieId] = (value, true);
                }
                else
                {
                    merged.Remove(r.MovieId);
                }
            }
        }

        return [.. merged.Select(p => (p.Key, p.Value.Item1, p.Value.Item2))];
    }

    /// <summary>
    /// The dataset's ratings with every live change applied (what a retrain learns from): live ratings replace or add,
    /// tombstones remove. Live timestamps are kept.
    /// </summary>
    public static Rating[] Apply(IReadOnlyList<Rating> data, IReadOnlyList<LiveRating> live)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(live);
        var latest = new Dictionary<(int, int), LiveRating>(live.Count);
        foreach (LiveRating r in live)
        {
            if (!latest.TryGetValue((r.UserId, r.MovieId), out LiveRating? held) || held.Sequence < r.Sequence)
            {
                latest[(r.UserId, r.MovieId)] = r;
            }
        }

        var result = new List<Rating>(data.Count + latest.Count);
        foreach (Rating r in data)
        {
            if (!latest.ContainsKey((r.UserId, r.MovieId)))
            {
                result.Add(r);
            }
        }

        foreach (LiveRating r in latest.Values)
        {
            if (r.Rating is float value)
            {
                result.Add(new Rating(r.UserId, r.MovieId, value, r.Timestamp));
            }
        }

        return [.. result];
    }
}

/// <summary>
/// The live feedback a bundle was trained with (its manifest's <c>feedback</c>): the provider, the last change included
/// (the watermark: every change with a sequence number up to it is in the bundle), live ratings and deletions applied,
/// and the net change in the number of training ratings.
/// </summary>
public sealed record FeedbackWatermarkManifest(string Provider, long LastSequence, int LiveRatings, int DeletedRatings, int NetAddedRatings);
