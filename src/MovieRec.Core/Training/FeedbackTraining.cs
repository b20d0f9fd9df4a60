using MovieRec.Core.Data;
using MovieRec.Core.Feedback;

namespace MovieRec.Core.Training;

/// <summary>A dataset with the live feedback applied: what the CLI's <c>train --feedback</c> and the service's retrainer learn from.</summary>
public static class FeedbackTraining
{
    /// <summary>
    /// The dataset's ratings with every live change applied (live ratings replace or add, deletions remove), and the
    /// watermark the bundle records: the last change it includes.
    /// </summary>
    public static (MovieLensDataset Dataset, FeedbackWatermarkManifest Watermark) WithLiveRatings(MovieLensDataset dataset, IReadOnlyList<LiveRating> live, string provider)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(live);
        Rating[] merged = LiveOverlay.Apply(dataset.Ratings, live);
        MovieLensDataset withLive = dataset.WithRatings(merged);
        long last = 0;
        int ratings = 0, deleted = 0;
        foreach (LiveRating r in live)
        {
            last = Math.Max(last, r.Sequence);
            if (r.IsDeleted)
            {
                deleted++;
            }
            else
            {
                ratings++;
            }
        }

        return (withLive, new FeedbackWatermarkManifest(provider, last, ratings, deleted, merged.Length - dataset.Ratings.Length));
    }
}
