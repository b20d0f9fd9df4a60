using MovieRec.Core.Data;
using MovieRec.Core.Evaluation;
using MovieRec.Core.Models;
using MovieRec.Core.Models.Factorization;

namespace MovieRec.Core.Synthetic;

/// <summary>One fidelity measure: a distance between real and synthetic (0 is identical) or a correlation.</summary>
public sealed record FidelityMeasure(string Name, string Statistic, double Value, string Meaning);

/// <summary>Train on real vs train on synthetic, both tested on the same held-out real ratings.</summary>
public sealed record UtilityReport(string Model, double RealRmse, double RealMae, double SyntheticRmse, double SyntheticMae,
    double MeanRmse, int TestRatings, string Method);

/// <summary>How close synthetic users come to real ones, against how close real users come to each other.</summary>
public sealed record PrivacyReport(
    double MedianDcrSynthetic, double MedianDcrRealToReal, double FifthPercentileDcrSynthetic, double FifthPercentileDcrRealToReal,
    double ShareCloserThanRealFifthPercentile, int ExactProfileCopies, int SyntheticUsersChecked, double MembershipInferenceAuc, string MembershipMethod);

/// <summary>The whole report of <c>movierec data compare</c>. Utility and privacy are null where they do not apply, with the reason.</summary>
public sealed record ComparisonReport(
    string Real, string Synthetic, long RealRatings, long SyntheticRatings, int RealUsers, int SyntheticUsers, int RealMovies, int SyntheticMovies,
    double SharedMovieShare, IReadOnlyList<FidelityMeasure> Fidelity, UtilityReport? Utility, PrivacyReport? Privacy, IReadOnlyList<string> Notes);

/// <summary>Options of a comparison.</summary>
public sealed record ComparisonOptions
{
    public int Seed { get; init; } = 42;

    /// <summary>The model trained for utility (a factorization model, so real test users can be folded in).</summary>
    public string Model { get; init; } = "svd";

    /// <summary>Most-rated movies whose pairwise similarities are compared.</summary>
    public int TopMovies { get; init; } = 200;

    /// <summary>Users sampled on each side for distances to closest records.</summary>
    public int PrivacySample { get; init; } = 500;

    /// <summary>Skip the membership-inference refit (it fits the generator again on half the real users).</summary>
    public bool MembershipInference { get; init; } = true;
}

/// <summary>
/// Fidelity, utility and privacy of a synthetic dataset against the real one it imitates (see the README's
/// "Synthetic data" section for what each number means).
/// </summary>
public static class SyntheticComparison
{
    public static ComparisonReport Compare(MovieLensDataset real, MovieLensDataset synthetic, ComparisonOptions? options = null)
    {
        options ??= new ComparisonOptions();
        var notes = new List<string>();
        RatingMatrix r = RatingMatrix.Build(real.Ratings);
        RatingMatrix s = RatingMatrix.Build(synthetic.Ratings);
        int shared = 0;
        foreach (int id in s.Items.RawIds)
        {
            if (r.Items.Contains(id))
            {
                shared++;
            }
        }

        double sharedShare = s.ItemCount == 0 ? 0 : (double)shared / s.ItemCount;
        bool sameMovies = sharedShare >= 0.5;
        List<FidelityMeasure> fidelity = Fidelity(r, s, real.Ratings, synthetic.Ratings, sameMovies, options);
        UtilityReport? utility = null;
        PrivacyReport? privacy = null;
        if (sameMovies)
        {
            utility = Utility(real.Ratings, synthetic.Ratings, options);
            privacy = Privacy(real, r, s, options);
        }
        else
        {
            notes.Add($"Only {sharedShare:P0} of the synthetic movies are movies of the real dataset (generated with another --movies): " +
                "utility (train synthetic, test real) and distances between user profiles need the same movies, so they are left out.");
        }

        return new ComparisonReport(real.Name, synthetic.Name, real.Ratings.Length, synthetic.Ratings.Length, r.UserCount, s.UserCount,
            r.ItemCount, s.ItemCount, sharedShare, fidelity, utility, privacy, notes);
    }

    /// <summary>Two-sample Kolmogorov-Smirnov statistic: the largest gap between the empirical CDFs.</summary>
    public static double KolmogorovSmirnov(double[] a, double[] b)
    {
        if (a.Length == 0 || b.Length == 0)
        {
            return double.NaN;
        }

        double[] x = (double[])a.Clone(), y = (double[])b.Clone();
        Array.Sort(x);
        Array.Sort(y);
        int i = 0, j = 0;
        double d = 0;
        while (i < x.Length && j < y.Length)
        {
            double v = Math.Min(x[i], y[j]);
            while (i < x.Length && x[i] <= v)
            {
                i++;
            }

            while (j < y.Length && y[j] <= v)
            {
                j++;
            }

            d = Math.Max(d, Math.Abs(((double)i / x.Length) - ((double)j / y.Length)));
        }

        return d;
    }

    /// <summary>Total variation distance between two discrete distributions given as counts per key.</summary>
    public static double TotalVariation<TKey>(IReadOnlyDictionary<TKey, long> a, IReadOnlyDictionary<TKey, long> b)
        where TKey : notnull
    {
        double na = a.Values.Sum(), nb = b.Values.Sum();
        double tv = 0;
        foreach (TKey key in a.Keys.Union(b.Keys))
        {
            tv += Math.Abs((a.GetValueOrDefault(key) / na) - (b.GetValueOrDefault(key) / nb));
        }

        return tv / 2;
    }

    /// <summary>
    /// Area under the ROC curve of scores for positives against negatives (ties count half): the chance a random
    /// positive scores above a random negative.
    /// </summary>
    public static double Auc(double[] positives, double[] negatives)
    {
        if (positives.Length == 0 || negatives.Length == 0)
        {
            return double.NaN;
        }

        double[] neg = (double[])negatives.Clone();
        Array.Sort(neg);
        double sum = 0;
        foreach (double p in positives)
        {
            int below = LowerBound(neg, p);
            int upTo = UpperBound(neg, p);
            sum += below + (0.5 * (upTo - below));
        }

        return sum / ((double)positives.Length * neg.Length);
    }

    private static int LowerBound(double[] sorted, double v)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] < v)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private static int UpperBound(double[] sorted, double v)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] <= v)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private static List<FidelityMeasure> Fidelity(RatingMatrix r, RatingMatrix s, Rating[] real, Rating[] synthetic, bool sameMovies, ComparisonOptions options)
    {
        var list = new List<FidelityMeasure>
        {
            new("rating levels", "TV distance", TotalVariation(Levels(real), Levels(synthetic)),
                "total variation between the shares of each rating value (0 identical, 1 disjoint)"),
            new("ratings per user", "KS", KolmogorovSmirnov(Relative(UserCounts(r)), Relative(UserCounts(s))),
                "Kolmogorov-Smirnov distance between the users' activity, each count over its dataset's mean (shape of the long tail)"),
            new("ratings per movie", "KS", KolmogorovSmirnov(Relative(ItemCounts(r)), Relative(ItemCounts(s))),
                "KS distance between the rated movies' popularity, each count over its dataset's mean"),
            new("user mean rating", "KS", KolmogorovSmirnov(UserMeans(r), UserMeans(s)), "KS distance between the users' mean ratings (rating tendencies)"),
            new("movie mean rating (5+ ratings)", "KS", KolmogorovSmirnov(ItemMeans(r, 5), ItemMeans(s, 5)), "KS distance between the movies' mean ratings"),
            new("timestamps", "KS", KolmogorovSmirnov(Times(real), Times(synthetic)), "KS distance between the rating times"),
        };

        // Co-rating structure among the most rated movies of each side.
        int top = options.TopMovies;
        double[] realCo = PairSimilarities(r, TopItems(r, top), centred: false);
        double[] synthCo = PairSimilarities(s, TopItems(s, top), centred: false);
        list.Add(new("co-rating similarity, top movies", "KS", KolmogorovSmirnov(realCo, synthCo),
            $"KS distance between the cosine similarities of who-rated-what over all pairs of each side's {top} most rated movies " +
            $"(mean real {Mean(realCo):0.000}, synthetic {Mean(synthCo):0.000})"));
        if (sameMovies)
        {
            // The same pairs of real movies on both sides: does the synthetic data say the same movies go together?
            int[] realTop = TopItems(r, top);
            int[] synthOfReal = [.. realTop.Select(i => s.Items.IndexOf(r.Items.RawId(i)))];
            int[] both = [.. Enumerable.Range(0, realTop.Length).Where(k => synthOfReal[k] >= 0)];
            int[] realIdx = [.. both.Select(k => realTop[k])], synthIdx = [.. both.Select(k => synthOfReal[k])];
            list.Add(new("co-rating similarity, same pairs", "Pearson r", Pearson(PairSimilarities(r, realIdx, false), PairSimilarities(s, synthIdx, false)),
                $"correlation, over pairs of the {realIdx.Length} most rated real movies, of their co-rating cosine in real and synthetic data (1: same structure)"));
            list.Add(new("taste similarity, same pairs", "Pearson r", Pearson(PairSimilarities(r, realIdx, true), PairSimilarities(s, synthIdx, true)),
                "the same over adjusted cosine (ratings minus each user's mean): do users who like one movie like the other, in both?"));
        }

        return list;
    }

    private static UtilityReport Utility(Rating[] real, Rating[] synthetic, ComparisonOptions options)
    {
        DataSplit split = Splitters.Holdout(real, 0.2, options.Seed);
        var single = new TrainingOptions { Threads = 1 };
        float[] actual = [.. split.Test.Select(t => t.Value)];
        IRecommenderModel onReal = ModelRegistry.Create(options.Model, options.Seed).Fit(RatingMatrix.Build(split.Train), single);
        float[] realPredicted = [.. split.Test.Select(t => onReal.Predict(t.UserId, t.MovieId).Rating)];

        // The synthetic users are nobody, so real test users are folded into the model trained on synthetic data from
        // their real training ratings: the model contributes what it learnt about movies, the user's history the rest.
        IRecommenderModel onSynthetic = ModelRegistry.Create(options.Model, options.Seed).Fit(RatingMatrix.Build(synthetic), single);
        float[] synthPredicted = new float[split.Test.Length];
        string method;
        if (onSynthetic is MatrixFactorizationModel factorization)
        {
            method = "train on real: direct predictions; train on synthetic: each real test user folded in from their real training ratings";
            var history = new Dictionary<int, List<(int, float)>>();
            foreach (Rating t in split.Train)
            {
                if (!history.TryGetValue(t.UserId, out List<(int, float)>? list))
                {
                    history[t.UserId] = list = [];
                }

                list.Add((t.MovieId, t.Value));
            }

            var folded = new Dictionary<int, FoldedInUser>();
            for (int k = 0; k < split.Test.Length; k++)
            {
                Rating t = split.Test[k];
                if (!folded.TryGetValue(t.UserId, out FoldedInUser? user))
                {
                    folded[t.UserId] = user = factorization.FoldIn(history.TryGetValue(t.UserId, out List<(int, float)>? h) ? h : []);
                }

                synthPredicted[k] = user.Predict(t.MovieId) ?? factorization.Predict(t.UserId, t.MovieId).Rating;
            }
        }
        else
        {
            method = "direct predictions (the model cannot fold users in: real test users fall back to the movie baselines learnt from synthetic data)";
            for (int k = 0; k < split.Test.Length; k++)
            {
                synthPredicted[k] = onSynthetic.Predict(split.Test[k].UserId, split.Test[k].MovieId).Rating;
            }
        }

        float mean = (float)split.Train.Average(t => t.Value);
        float[] meanPredicted = new float[actual.Length];
        Array.Fill(meanPredicted, mean);
        return new UtilityReport(options.Model, RatingMetrics.Rmse(realPredicted, actual), RatingMetrics.Mae(realPredicted, actual),
            RatingMetrics.Rmse(synthPredicted, actual), RatingMetrics.Mae(synthPredicted, actual), RatingMetrics.Rmse(meanPredicted, actual),
            split.Test.Length, method);
    }

    private static PrivacyReport Privacy(MovieLensDataset real, RatingMatrix r, RatingMatrix s, ComparisonOptions options)
    {
        var random = new Random(options.Seed);
        var realProfiles = new ProfileIndex(r);

        // Synthetic to closest real user; real to closest other real user.
        int[] synthSample = Sample(s.UserCount, options.PrivacySample, random);
        double[] dcrSynth = [.. synthSample.Select(u => realProfiles.Closest(Profile(s, u, r.Items), exclude: -1))];
        int[] realSample = Sample(r.UserCount, options.PrivacySample, random);
        double[] dcrReal = [.. realSample.Select(u => realProfiles.Closest(Profile(r, u, r.Items), exclude: u))];
        double realP5 = Percentile(dcrReal, 0.05);
        double closer = dcrSynth.Count(d => d < realP5) / (double)Math.Max(1, dcrSynth.Length);

        // Exact copies: a synthetic user whose (movie, rating) set is a real user's.
        var realKeys = new HashSet<string>();
        for (int u = 0; u < r.UserCount; u++)
        {
            realKeys.Add(ProfileKey(r, u));
        }

        int copies = 0;
        for (int u = 0; u < s.UserCount; u++)
        {
            copies += realKeys.Contains(ProfileKey(s, u)) ? 1 : 0;
        }

        (double auc, string method) = options.MembershipInference
            ? MembershipInference(real, r, options)
            : (double.NaN, "skipped");
        return new PrivacyReport(Median(dcrSynth), Median(dcrReal), Percentile(dcrSynth, 0.05), realP5, closer, copies, synthSample.Length, auc, method);
    }

    /// <summary>
    /// The attack: fit the generator on half the real users (the members), generate as many, and guess that the real
    /// users closest to a synthetic user were members. AUC 0.5 means the attacker cannot tell members from the others.
    /// </summary>
    private static (double Auc, string Method) MembershipInference(MovieLensDataset real, RatingMatrix r, ComparisonOptions options)
    {
        var random = new Random(options.Seed + 1);
        int[] users = [.. r.Users.RawIds];
        random.Shuffle(users);
        var members = users.Take(users.Length / 2).ToHashSet();
        Rating[] memberRatings = [.. real.Ratings.Where(t => members.Contains(t.UserId))];
        MovieLensDataset memberSet = SyntheticExperiments.WithRatings(real, memberRatings);
        SyntheticGenerator generator = SyntheticGenerator.Fit(memberSet, options.Seed);
        RatingMatrix synthetic = RatingMatrix.Build(generator.Generate(generator.Resolve(null, null, null), options.Seed));
        var index = new ProfileIndex(synthetic);
        int[] sample = Sample(r.UserCount, 2 * options.PrivacySample, random);
        var inScores = new List<double>();
        var outScores = new List<double>();
        foreach (int u in sample)
        {
            double score = -index.Closest(Profile(r, u, synthetic.Items), exclude: -1);
            (members.Contains(r.Users.RawId(u)) ? inScores : outScores).Add(score);
        }

        return (Auc([.. inScores], [.. outScores]),
            $"generator refitted on {members.Count} of {users.Length} real users (seed {options.Seed}); score = minus the distance to the closest synthetic user; {inScores.Count} members, {outScores.Count} others");
    }

    /// <summary>User u of <paramref name="m"/> as (index in <paramref name="target"/>'s movies, rating) pairs; movies the target lacks are dropped.</summary>
    private static (int Item, float Value)[] Profile(RatingMatrix m, int u, IdMap target)
    {
        ReadOnlySpan<int> items = m.ItemsOf(u);
        ReadOnlySpan<float> values = m.RatingsOf(u);
        var result = new List<(int, float)>(items.Length);
        for (int p = 0; p < items.Length; p++)
        {
            int i = target.IndexOf(m.Items.RawId(items[p]));
            if (i >= 0)
            {
                result.Add((i, values[p]));
            }
        }

        return [.. result];
    }

    private static string ProfileKey(RatingMatrix m, int u)
    {
        var text = new System.Text.StringBuilder();
        ReadOnlySpan<int> items = m.ItemsOf(u);
        ReadOnlySpan<float> values = m.RatingsOf(u);
        for (int p = 0; p < items.Length; p++)
        {
            text.Append(m.Items.RawId(items[p])).Append(':').Append(values[p].ToString(System.Globalization.CultureInfo.InvariantCulture)).Append(';');
        }

        return text.ToString();
    }

    /// <summary>Cosine distance from a profile to every user of a matrix, through its item-major rows.</summary>
    private sealed class ProfileIndex
    {
        private readonly RatingMatrix _m;
        private readonly double[] _norms;
        private readonly double[] _dots;

        public ProfileIndex(RatingMatrix m)
        {
            _m = m;
            _norms = new double[m.UserCount];
            for (int u = 0; u < m.UserCount; u++)
            {
                double sum = 0;
                foreach (float v in m.RatingsOf(u))
                {
                    sum += v * v;
                }

                _norms[u] = Math.Sqrt(sum);
            }

            _dots = new double[m.UserCount];
        }

        /// <summary>The smallest 1 - cosine between the profile and a user other than <paramref name="exclude"/>.</summary>
        public double Closest((int Item, float Value)[] profile, int exclude)
        {
            Array.Clear(_dots);
            double norm = 0;
            foreach ((int item, float value) in profile)
            {
                norm += value * value;
                ReadOnlySpan<int> users = _m.UsersOf(item);
                ReadOnlySpan<float> values = _m.RatingsOfItem(item);
                for (int p = 0; p < users.Length; p++)
                {
                    _dots[users[p]] += value * values[p];
                }
            }

            norm = Math.Sqrt(norm);
            double best = 1.0;
            for (int u = 0; u < _dots.Length; u++)
            {
                if (u != exclude && _dots[u] > 0 && norm > 0)
                {
                    best = Math.Min(best, 1.0 - (_dots[u] / (norm * _norms[u])));
                }
            }

            return Math.Max(0, best);
        }
    }

    private static int[] Sample(int n, int max, Random random)
    {
        int[] all = [.. Enumerable.Range(0, n)];
        random.Shuffle(all);
        return all[..Math.Min(max, n)];
    }

    private static Dictionary<float, long> Levels(Rating[] ratings)
    {
        var counts = new Dictionary<float, long>();
        foreach (Rating t in ratings)
        {
            counts[t.Value] = counts.GetValueOrDefault(t.Value) + 1;
        }

        return counts;
    }

    private static double[] UserCounts(RatingMatrix m) => [.. Enumerable.Range(0, m.UserCount).Select(u => (double)m.UserRatingCount(u))];

    private static double[] ItemCounts(RatingMatrix m) => [.. Enumerable.Range(0, m.ItemCount).Select(i => (double)m.ItemRatingCount(i))];

    private static double[] Relative(double[] values)
    {
        double mean = values.Length == 0 ? 1 : values.Average();
        return [.. values.Select(v => v / mean)];
    }

    private static double[] UserMeans(RatingMatrix m)
    {
        double[] result = new double[m.UserCount];
        for (int u = 0; u < m.UserCount; u++)
        {
            result[u] = MeanOf(m.RatingsOf(u));
        }

        return result;
    }

    private static double[] ItemMeans(RatingMatrix m, int minimum)
    {
        var result = new List<double>();
        for (int i = 0; i < m.ItemCount; i++)
        {
            if (m.ItemRatingCount(i) >= minimum)
            {
                result.Add(MeanOf(m.RatingsOfItem(i)));
            }
        }

        return [.. result];
    }

    private static double[] Times(Rating[] ratings)
    {
        // Every 8th rating of a large file is plenty for a KS distance.
        int step = Math.Max(1, ratings.Length / 200_000);
        var result = new List<double>();
        for (int k = 0; k < ratings.Length; k += step)
        {
            result.Add(ratings[k].Timestamp);
        }

        return [.. result];
    }

    private static double MeanOf(ReadOnlySpan<float> values)
    {
        double sum = 0;
        foreach (float v in values)
        {
            sum += v;
        }

        return values.Length == 0 ? 0 : sum / values.Length;
    }

    private static double Mean(double[] values) => values.Length == 0 ? double.NaN : values.Average();

    private static int[] TopItems(RatingMatrix m, int n)
    {
        int[] order = [.. Enumerable.Range(0, m.ItemCount)];
        return [.. order.OrderByDescending(m.ItemRatingCount).ThenBy(i => i).Take(n)];
    }

    /// <summary>
    /// Cosine similarity of every pair of the given movies' columns: binary (who rated both) or, with
    /// <paramref name="centred"/>, adjusted cosine over ratings minus each user's mean.
    /// </summary>
    private static double[] PairSimilarities(RatingMatrix m, int[] items, bool centred)
    {
        double[] userMean = centred ? UserMeans(m) : [];
        int n = items.Length;
        var columns = new Dictionary<int, double>[n];
        double[] norms = new double[n];
        for (int k = 0; k < n; k++)
        {
            columns[k] = [];
            ReadOnlySpan<int> users = m.UsersOf(items[k]);
            ReadOnlySpan<float> values = m.RatingsOfItem(items[k]);
            for (int p = 0; p < users.Length; p++)
            {
                double v = centred ? values[p] - userMean[users[p]] : 1.0;
                columns[k][users[p]] = v;
                norms[k] += v * v;
            }

            norms[k] = Math.Sqrt(norms[k]);
        }

        double[] result = new double[n * (n - 1) / 2];
        int at = 0;
        for (int a = 0; a < n; a++)
        {
            for (int b = a + 1; b < n; b++)
            {
                (Dictionary<int, double> small, Dictionary<int, double> large) = columns[a].Count <= columns[b].Count ? (columns[a], columns[b]) : (columns[b], columns[a]);
                double dot = 0;
                foreach ((int user, double v) in small)
                {
                    if (large.TryGetValue(user, out double w))
                    {
                        dot += v * w;
                    }
                }

                result[at++] = norms[a] > 0 && norms[b] > 0 ? dot / (norms[a] * norms[b]) : 0;
            }
        }

        return result;
    }

    private static double Pearson(double[] x, double[] y)
    {
        if (x.Length != y.Length || x.Length < 2)
        {
            return double.NaN;
        }

        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (int k = 0; k < x.Length; k++)
        {
            sxy += (x[k] - mx) * (y[k] - my);
            sxx += (x[k] - mx) * (x[k] - mx);
            syy += (y[k] - my) * (y[k] - my);
        }

        return sxx > 0 && syy > 0 ? sxy / Math.Sqrt(sxx * syy) : double.NaN;
    }

    private static double Median(double[] values) => Percentile(values, 0.5);

    private static double Percentile(double[] values, double p)
    {
        if (values.Length == 0)
        {
            return double.NaN;
        }

        double[] sorted = (double[])values.Clone();
        Array.Sort(sorted);
        double position = p * (sorted.Length - 1);
        int lo = (int)position;
        int hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + ((sorted[hi] - sorted[lo]) * (position - lo));
    }
}
