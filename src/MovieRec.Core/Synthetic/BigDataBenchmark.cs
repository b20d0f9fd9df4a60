using System.Diagnostics;
using System.Numerics.Tensors;
using MovieRec.Core.Data;
using MovieRec.Core.Models.Factorization;

namespace MovieRec.Core.Synthetic;

/// <summary>One stage of the big-data benchmark: its time, what it allocated, the process's peak memory so far.</summary>
public sealed record BenchStage(string Name, string What, double Seconds, double AllocatedMegabytes, double PeakWorkingSetMegabytes, double? SeedSeconds, string Result);

/// <summary>
/// The seed system's "big data" rows (500,000 synthetic interactions with Polars: generation 2.48 s, aggregation
/// 0.01 s, join and filter 0.02 s, user-item matrix 0.12 s, item similarity 0.14 s, batch prediction 0.06 s), done
/// MovieRec's way on ratings from the fitted generator.
/// </summary>
public static class BigDataBenchmark
{
    /// <summary>The seed's timings at 500,000 interactions, by stage name.</summary>
    public static readonly IReadOnlyDictionary<string, double> SeedSeconds = new Dictionary<string, double>
    {
        ["generation"] = 2.48,
        ["aggregation"] = 0.01,
        ["join and filter"] = 0.02,
        ["user-item matrix"] = 0.12,
        ["item similarity"] = 0.14,
        ["batch prediction"] = 0.06,
    };

    /// <summary>Movies whose pairwise similarities the item-similarity stage computes.</summary>
    public const int SimilarityMovies = 1000;

    /// <summary>Runs every stage on <paramref name="size"/> ratings drawn from <paramref name="generator"/>.</summary>
    public static IReadOnlyList<BenchStage> Run(SyntheticGenerator generator, IReadOnlyList<Movie> catalogue, SynthesisSize size, int seed, Action<BenchStage>? progress = null)
    {
        var stages = new List<BenchStage>();
        bool seedScale = size.Ratings == 500_000;
        BenchStage Stage(string name, string what, Func<string> body)
        {
            long allocated = GC.GetTotalAllocatedBytes(precise: true);
            var clock = Stopwatch.StartNew();
            string result = body();
            double seconds = clock.Elapsed.TotalSeconds;
            double mb = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1e6;
            using var process = Process.GetCurrentProcess();
            var stage = new BenchStage(name, what, seconds, mb, process.PeakWorkingSet64 / 1e6,
                seedScale && SeedSeconds.TryGetValue(name, out double s) ? s : null, result);
            stages.Add(stage);
            progress?.Invoke(stage);
            return stage;
        }

        Rating[] ratings = [];
        Stage("generation", $"{size.Ratings:N0} ratings of {size.Users:N0} users and {size.Movies:N0} movies from the fitted generator, in memory", () =>
        {
            ratings = generator.Generate(size, seed);
            return $"{ratings.Length:N0} ratings";
        });

        // Aggregation: count and mean rating per movie and per user (a group-by over dense ids).
        Stage("aggregation", "ratings count and mean per movie and per user", () =>
        {
            int maxMovie = 0, maxUser = 0;
            foreach (Rating r in ratings)
            {
                maxMovie = Math.Max(maxMovie, r.MovieId);
                maxUser = Math.Max(maxUser, r.UserId);
            }

            int[] movieCount = new int[maxMovie + 1], userCount = new int[maxUser + 1];
            double[] movieSum = new double[maxMovie + 1], userSum = new double[maxUser + 1];
            foreach (Rating r in ratings)
            {
                movieCount[r.MovieId]++;
                movieSum[r.MovieId] += r.Value;
                userCount[r.UserId]++;
                userSum[r.UserId] += r.Value;
            }

            int best = 0;
            double bestMean = double.MinValue;
            for (int m = 0; m < movieCount.Length; m++)
            {
                if (movieCount[m] >= 50 && movieSum[m] / movieCount[m] > bestMean)
                {
                    bestMean = movieSum[m] / movieCount[m];
                    best = m;
                }
            }

            return $"best movie with 50+ ratings: {best} ({bestMean:0.00})";
        });

        Stage("join and filter", "join ratings with the catalogue on movieId (hash join) and keep ratings of 4+ for Drama movies", () =>
        {
            var genres = new Dictionary<int, IReadOnlyList<string>>(catalogue.Count);
            foreach (Movie movie in catalogue)
            {
                genres[movie.MovieId] = movie.Genres;
            }

            var drama = new Dictionary<int, bool>(genres.Count);
            foreach ((int id, IReadOnlyList<string> g) in genres)
            {
                drama[id] = g.Contains("Drama");
            }

            int kept = 0;
            foreach (Rating r in ratings)
            {
                if (r.Value >= 4 && drama.TryGetValue(r.MovieId, out bool isDrama) && isDrama)
                {
                    kept++;
                }
            }

            return $"{kept:N0} ratings kept";
        });

        RatingMatrix matrix = null!;
        Stage("user-item matrix", "RatingMatrix.Build: id maps and user-major plus item-major compressed sparse rows", () =>
        {
            matrix = RatingMatrix.Build(ratings);
            return $"{matrix.UserCount:N0} x {matrix.ItemCount:N0}, {matrix.Count:N0} ratings";
        });

        Stage("item similarity", $"cosine similarity of every pair of the {SimilarityMovies:N0} most rated movies over their users' ratings", () =>
        {
            int[] top = TopItems(matrix, SimilarityMovies);
            int n = top.Length;
            int[] slot = new int[matrix.ItemCount];
            Array.Fill(slot, -1);
            for (int k = 0; k < n; k++)
            {
                slot[top[k]] = k;
            }

            // Users' rows cut down to the chosen movies, sorted by slot; then, per movie, where it sits in each row.
            var rowStart = new int[matrix.UserCount + 1];
            var slots = new List<int>();
            var values = new List<float>();
            var pairs = new List<(int Slot, float Value)>();
            for (int u = 0; u < matrix.UserCount; u++)
            {
                pairs.Clear();
                ReadOnlySpan<int> items = matrix.ItemsOf(u);
                ReadOnlySpan<float> ratingsOf = matrix.RatingsOf(u);
                for (int p = 0; p < items.Length; p++)
                {
                    if (slot[items[p]] >= 0)
                    {
                        pairs.Add((slot[items[p]], ratingsOf[p]));
                    }
                }

                pairs.Sort((x, y) => x.Slot.CompareTo(y.Slot));
                foreach ((int sl, float v) in pairs)
                {
                    slots.Add(sl);
                    values.Add(v);
                }

                rowStart[u + 1] = slots.Count;
            }

            int[] rowSlots = [.. slots];
            float[] rowValues = [.. values];
            var occurrences = new List<int>[n];
            for (int k = 0; k < n; k++)
            {
                occurrences[k] = [];
            }

            for (int q = 0; q < rowSlots.Length; q++)
            {
                occurrences[rowSlots[q]].Add(q);
            }

            int[] rowEnd = new int[rowSlots.Length];
            for (int u = 0; u < matrix.UserCount; u++)
            {
                for (int q = rowStart[u]; q < rowStart[u + 1]; q++)
                {
                    rowEnd[q] = rowStart[u + 1];
                }
            }

            // Row a of the Gram matrix from the rest of each of its users' rows (b >= a): rows are independent, so
            // they run in parallel without sharing anything they write.
            float[] dots = new float[n * n];
            Parallel.ForEach(System.Collections.Concurrent.Partitioner.Create(0, n), range =>
            {
                for (int a = range.Item1; a < range.Item2; a++)
                {
                    Span<float> row = dots.AsSpan(a * n, n);
                    foreach (int q in occurrences[a])
                    {
                        float va = rowValues[q];
                        for (int r = q; r < rowEnd[q]; r++)
                        {
                            row[rowSlots[r]] += va * rowValues[r];
                        }
                    }
                }
            });

            double best = 0;
            for (int a = 0; a < n; a++)
            {
                float na = MathF.Sqrt(dots[(a * n) + a]);
                for (int b = a + 1; b < n; b++)
                {
                    float nb = MathF.Sqrt(dots[(b * n) + b]);
                    if (na > 0 && nb > 0)
                    {
                        best = Math.Max(best, dots[(a * n) + b] / (na * nb));
                    }
                }
            }

            return $"{n * (n - 1) / 2:N0} pairs, highest cosine {best:0.000}";
        });

        // The model is fitted outside the timed stage: the seed's row times predictions only.
        var model = (MatrixFactorizationModel)new SvdTrainer(new SvdOptions { Factors = 32, Epochs = 3, Seed = seed }).Fit(matrix);
        Stage("batch prediction", "predict every (user, movie) pair of the data with a 32-factor svd (fitted beforehand, 3 epochs, not timed)", () =>
        {
            float[] predictions = new float[matrix.Count];
            ReadOnlySpan<int> start = matrix.UserRowStart;
            ReadOnlySpan<int> index = matrix.UserItemIndex;
            for (int u = 0; u < matrix.UserCount; u++)
            {
                for (int p = start[u]; p < start[u + 1]; p++)
                {
                    predictions[p] = model.Estimate(u, index[p]);
                }
            }

            return $"{predictions.Length:N0} predictions, mean {TensorPrimitives.Sum(predictions) / predictions.Length:0.000}";
        });

        return stages;
    }

    private static int[] TopItems(RatingMatrix m, int n)
    {
        int[] order = new int[m.ItemCount];
        int[] counts = new int[m.ItemCount];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
            counts[i] = -m.ItemRatingCount(i);
        }

        Array.Sort(counts, order);
        return order[..Math.Min(n, order.Length)];
    }
}
