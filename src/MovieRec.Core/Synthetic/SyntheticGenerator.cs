using System.Globalization;
using System.Numerics.Tensors;
using System.Text;
using System.Text.Json;
using MovieRec.Core.Data;
using MovieRec.Core.Evaluation;
using MovieRec.Core.Models;
using MovieRec.Core.Models.Factorization;

namespace MovieRec.Core.Synthetic;

/// <summary>How much to generate.</summary>
public sealed record SynthesisSize(long Ratings, int Users, int Movies);

/// <summary>What one generation wrote.</summary>
public sealed record SynthesisResult(string Folder, SynthesisSize Size, bool RealMovies, double FitSeconds, double GenerateSeconds);

/// <summary>
/// A ratings generator fitted to a real dataset. It reproduces what matters to recommenders:
/// <list type="bullet">
/// <item>users: activity (ratings per user), first-rating time and active span, rating tendency (bias), taste
/// (latent factors) and noisiness, drawn jointly from a Gaussian copula fitted to the real users, so the long tail of
/// activity and its links to bias and taste carry over while no real user is copied;</item>
/// <item>movies: with the source's number of movies, the real catalogue (ids, titles, genres) with its popularity,
/// and its fitted bias and factors plus a little noise (movies are public; users are what must stay private); with
/// another number, movies drawn from a copula over popularity, bias and factors, with generated titles;</item>
/// <item>ratings: each user picks distinct movies by popularity; the value is
/// mu + b_u + b_i + p_u . q_i + noise (the noise fitted to held-out residuals, scaled per user), mapped onto the
/// rating levels by thresholds chosen so the levels keep the real frequencies; the time lies in the user's span.</item>
/// </list>
/// Deterministic per seed: each user draws from its own stream, so threads do not change the output. Writing streams
/// block by block, so memory stays bounded whatever the number of ratings.
/// </summary>
public sealed class SyntheticGenerator
{
    /// <summary>Latent factors of the fitted factorization.</summary>
    public const int Factors = 16;

    private const int UserBlock = 1024;
    private const int UserFixedColumns = 4; // count, first timestamp, span, noise scale; then bias and factors
    private const double RealMovieNoise = 0.1; // noise on a real movie's bias and factors, in column standard deviations

    private readonly GaussianCopula _userCopula;
    private readonly GaussianCopula _itemCopula;
    private readonly float[] _levels;
    private readonly double[] _levelShares;
    private readonly int[] _realItemIds;
    private readonly double[] _realItemCounts;
    private readonly float[] _realItemBias;
    private readonly float[] _realItemFactors;
    private readonly double[] _itemColumnStd;
    private readonly IReadOnlyList<Movie> _movies;

    private SyntheticGenerator(string sourceName, MovieLensFormat sourceFormat, long sourceRatings, int sourceUsers, float mu, double noise,
        GaussianCopula userCopula, GaussianCopula itemCopula, float[] levels, double[] levelShares, int[] realItemIds, double[] realItemCounts,
        float[] realItemBias, float[] realItemFactors, double[] itemColumnStd, IReadOnlyList<Movie> movies)
    {
        SourceName = sourceName;
        SourceFormat = sourceFormat;
        SourceRatings = sourceRatings;
        SourceUsers = sourceUsers;
        Mu = mu;
        Noise = noise;
        _userCopula = userCopula;
        _itemCopula = itemCopula;
        _levels = levels;
        _levelShares = levelShares;
        _realItemIds = realItemIds;
        _realItemCounts = realItemCounts;
        _realItemBias = realItemBias;
        _realItemFactors = realItemFactors;
        _itemColumnStd = itemColumnStd;
        _movies = movies;
    }

    public string SourceName { get; }

    public MovieLensFormat SourceFormat { get; }

    public long SourceRatings { get; }

    public int SourceUsers { get; }

    /// <summary>Movies with at least one rating in the source.</summary>
    public int SourceMovies => _realItemIds.Length;

    public float Mu { get; }

    /// <summary>Standard deviation of the rating noise: the fitted model's RMSE on a 10% holdout of the source.</summary>
    public double Noise { get; }

    /// <summary>The rating levels (e.g. 0.5, 1, ..., 5) and their shares in the source.</summary>
    public IReadOnlyList<(float Level, double Share)> Levels => [.. _levels.Select((l, k) => (l, _levelShares[k]))];

    /// <summary>Fits the generator to a dataset: a 16-factor biased factorization, then copulas over users and movies.</summary>
    public static SyntheticGenerator Fit(MovieLensDataset source, int seed = 42)
    {
        Rating[] ratings = source.Ratings;
        if (ratings.Length < 10)
        {
            throw new ArgumentException($"'{source.Folder}' has {ratings.Length} ratings; fitting a generator needs at least 10.", nameof(source));
        }

        RatingMatrix matrix = RatingMatrix.Build(ratings);
        var svd = new SvdOptions { Factors = Factors, Epochs = 40, Seed = seed };
        var single = new TrainingOptions { Threads = 1 };

        // Noise: what the model cannot explain on ratings it did not see.
        DataSplit holdout = Splitters.Holdout(ratings, 0.1, seed);
        var heldOutModel = (MatrixFactorizationModel)new SvdTrainer(svd).Fit(RatingMatrix.Build(holdout.Train), single);
        double squared = 0;
        foreach (Rating r in holdout.Test)
        {
            double d = heldOutModel.Predict(r.UserId, r.MovieId).Rating - r.Value;
            squared += d * d;
        }

        double noise = holdout.Test.Length > 0 ? Math.Sqrt(squared / holdout.Test.Length) : 0.5;
        var model = (MatrixFactorizationModel)new SvdTrainer(svd).Fit(matrix, single);

        // Rating levels and their shares.
        var levelCounts = new SortedDictionary<float, long>();
        foreach (Rating r in ratings)
        {
            levelCounts[r.Value] = levelCounts.GetValueOrDefault(r.Value) + 1;
        }

        float[] levels = [.. levelCounts.Keys];
        double[] shares = [.. levelCounts.Values.Select(c => (double)c / ratings.Length)];

        // Users: count, first time, span, noise scale, bias, factors.
        long[] first = new long[matrix.UserCount], last = new long[matrix.UserCount];
        Array.Fill(first, long.MaxValue);
        Array.Fill(last, long.MinValue);
        foreach (Rating r in ratings)
        {
            int u = matrix.Users.IndexOf(r.UserId);
            first[u] = Math.Min(first[u], r.Timestamp);
            last[u] = Math.Max(last[u], r.Timestamp);
        }

        int userColumns = UserFixedColumns + 1 + Factors;
        double[][] users = NewColumns(userColumns, matrix.UserCount);
        double globalResidual = 0;
        double[] userResidual = new double[matrix.UserCount];
        for (int u = 0; u < matrix.UserCount; u++)
        {
            ReadOnlySpan<int> items = matrix.ItemsOf(u);
            ReadOnlySpan<float> values = matrix.RatingsOf(u);
            double sum = 0;
            for (int p = 0; p < items.Length; p++)
            {
                double d = model.Estimate(u, items[p]) - values[p];
                sum += d * d;
            }

            globalResidual += sum;
            userResidual[u] = Math.Sqrt(sum / Math.Max(1, items.Length));
        }

        globalResidual = Math.Sqrt(globalResidual / matrix.Count);
        for (int u = 0; u < matrix.UserCount; u++)
        {
            users[0][u] = matrix.UserRatingCount(u);
            users[1][u] = first[u];
            users[2][u] = last[u] - first[u];
            users[3][u] = globalResidual > 0 ? userResidual[u] / globalResidual : 1.0;
            users[4][u] = model.UserBias(u);
            ReadOnlySpan<float> p = model.UserFactors(u);
            for (int f = 0; f < Factors; f++)
            {
                users[5 + f][u] = p[f];
            }
        }

        // Movies: count, bias, factors.
        double[][] items2 = NewColumns(1 + 1 + Factors, matrix.ItemCount);
        int[] realIds = new int[matrix.ItemCount];
        double[] realCounts = new double[matrix.ItemCount];
        float[] realBias = new float[matrix.ItemCount];
        float[] realFactors = new float[matrix.ItemCount * Factors];
        for (int i = 0; i < matrix.ItemCount; i++)
        {
            realIds[i] = matrix.Items.RawId(i);
            realCounts[i] = matrix.ItemRatingCount(i);
            realBias[i] = model.ItemBias(i);
            model.ItemFactors(i).CopyTo(realFactors.AsSpan(i * Factors, Factors));
            items2[0][i] = realCounts[i];
            items2[1][i] = realBias[i];
            for (int f = 0; f < Factors; f++)
            {
                items2[2 + f][i] = realFactors[(i * Factors) + f];
            }
        }

        double[] itemStd = new double[1 + Factors];
        for (int c = 0; c < itemStd.Length; c++)
        {
            itemStd[c] = StandardDeviation(items2[1 + c]);
        }

        return new SyntheticGenerator(source.Name, source.Format, ratings.Length, matrix.UserCount, model.GlobalMean, noise,
            GaussianCopula.Fit(users), GaussianCopula.Fit(items2), levels, shares, realIds, realCounts, realBias, realFactors, itemStd, source.Movies);
    }

    /// <summary>
    /// The size to generate: users default to the source's number (or, with only a ratings count, to that count over
    /// the source's mean ratings per user), movies to the source's rated movies, ratings to the source's mean per user.
    /// </summary>
    public SynthesisSize Resolve(long? ratings, int? users, int? movies)
    {
        double meanPerUser = (double)SourceRatings / SourceUsers;
        int u = users ?? (ratings is long r ? (int)Math.Max(1, Math.Round(r / meanPerUser)) : SourceUsers);
        int m = movies ?? SourceMovies;
        long n = ratings ?? (long)Math.Round(meanPerUser * u);
        if (u <= 0 || m <= 0 || n <= 0)
        {
            throw new ArgumentException("--ratings, --users and --movies must be positive.");
        }

        long capacity = (long)u * MaxPerUser(m);
        if (n > capacity)
        {
            throw new ArgumentException(
                $"{n:N0} ratings do not fit {u:N0} users x {m:N0} movies: a user rates at most 90% of the movies ({MaxPerUser(m):N0}), so at most {capacity:N0} ratings.");
        }

        if (n < u)
        {
            throw new ArgumentException($"{n:N0} ratings are fewer than {u:N0} users; every user rates at least one movie.");
        }

        return new SynthesisSize(n, u, m);
    }

    /// <summary>Generates ratings in memory (users numbered from <paramref name="firstUserId"/>), in user order.</summary>
    public Rating[] Generate(SynthesisSize size, int seed, int firstUserId = 1)
    {
        Population population = Populate(size, seed, firstUserId);
        var result = new Rating[size.Ratings];
        int blocks = population.BlockCount;
        long offset = 0;
        var slot = new BlockSlot(size.Movies);
        for (int b = 0; b < blocks; b++)
        {
            int count = population.Fill(b, slot);
            slot.Ratings.AsSpan(0, count).CopyTo(result.AsSpan((int)offset));
            offset += count;
        }

        return result;
    }

    /// <summary>
    /// Writes a MovieLens folder (ratings.csv, movies.csv, synthetic.json) into <paramref name="folder"/>, streaming
    /// the ratings block by block. <paramref name="threads"/> 0 uses every core; the output is the same for any value.
    /// </summary>
    public SynthesisResult Write(string folder, SynthesisSize size, int seed, int threads = 0, double fitSeconds = 0)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Directory.CreateDirectory(folder);
        Population population = Populate(size, seed, 1);
        int workers = threads > 0 ? threads : Environment.ProcessorCount;
        int wave = Math.Max(1, workers * 2);
        var slots = new BlockSlot[wave];
        for (int s = 0; s < wave; s++)
        {
            slots[s] = new BlockSlot(size.Movies);
        }

        string ratingsPath = Path.Combine(folder, "ratings.csv");
        string staged = ratingsPath + ".tmp";
        using (var stream = new FileStream(staged, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            stream.Write("userId,movieId,rating,timestamp\n"u8);
            for (int start = 0; start < population.BlockCount; start += wave)
            {
                int count = Math.Min(wave, population.BlockCount - start);
                Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = workers }, s =>
                {
                    int n = population.Fill(start + s, slots[s]);
                    slots[s].Format(n, _levels);
                });
                for (int s = 0; s < count; s++)
                {
                    stream.Write(slots[s].Text.AsSpan(0, slots[s].TextLength));
                }
            }

            stream.Flush(flushToDisk: true);
        }

        File.Move(staged, ratingsPath, overwrite: true);
        WriteMovies(Path.Combine(folder, "movies.csv"), size, seed);
        WriteProvenance(Path.Combine(folder, "synthetic.json"), size, seed, population.RealMovies);
        return new SynthesisResult(folder, size, population.RealMovies, fitSeconds, clock.Elapsed.TotalSeconds);
    }

    private static int MaxPerUser(int movies) => Math.Max(1, movies * 9 / 10);

    private static double[][] NewColumns(int columns, int rows)
    {
        double[][] result = new double[columns][];
        for (int c = 0; c < columns; c++)
        {
            result[c] = new double[rows];
        }

        return result;
    }

    private static double StandardDeviation(double[] values)
    {
        double mean = values.Average();
        double sum = 0;
        foreach (double v in values)
        {
            sum += (v - mean) * (v - mean);
        }

        return Math.Sqrt(sum / Math.Max(1, values.Length - 1));
    }

    private Population Populate(SynthesisSize size, int seed, int firstUserId)
    {
        int k = Factors;
        bool realMovies = size.Movies == SourceMovies;

        // Movies.
        int m = size.Movies;
        int[] itemIds = new int[m];
        double[] weights = new double[m];
        float[] itemBias = new float[m];
        float[] itemFactors = new float[m * k];
        Span<double> draw = stackalloc double[Math.Max(_userCopula.Dimensions, _itemCopula.Dimensions)];
        for (int i = 0; i < m; i++)
        {
            SplitMix random = SplitMix.For(seed, 2, i);
            if (realMovies)
            {
                itemIds[i] = _realItemIds[i];
                weights[i] = _realItemCounts[i];
                itemBias[i] = _realItemBias[i] + (float)(RealMovieNoise * _itemColumnStd[0] * random.NextGaussian());
                for (int f = 0; f < k; f++)
                {
                    itemFactors[(i * k) + f] = _realItemFactors[(i * k) + f] + (float)(RealMovieNoise * _itemColumnStd[1 + f] * random.NextGaussian());
                }
            }
            else
            {
                _itemCopula.Sample(ref random, draw);
                itemIds[i] = i + 1;
                weights[i] = Math.Max(0.5, draw[0]);
                itemBias[i] = (float)draw[1];
                for (int f = 0; f < k; f++)
                {
                    itemFactors[(i * k) + f] = (float)draw[2 + f];
                }
            }
        }

        // Users.
        int u = size.Users;
        double[] wanted = new double[u];
        long[] first = new long[u];
        long[] span = new long[u];
        float[] noiseScale = new float[u];
        float[] userBias = new float[u];
        float[] userFactors = new float[u * k];
        for (int v = 0; v < u; v++)
        {
            SplitMix random = SplitMix.For(seed, 1, v);
            _userCopula.Sample(ref random, draw);
            wanted[v] = Math.Max(1e-3, draw[0]);
            first[v] = (long)Math.Round(draw[1]);
            span[v] = Math.Max(0, (long)Math.Round(draw[2]));
            noiseScale[v] = (float)Math.Max(0, draw[3]);
            userBias[v] = (float)draw[4];
            for (int f = 0; f < k; f++)
            {
                userFactors[(v * k) + f] = (float)draw[5 + f];
            }
        }

        int[] counts = Apportion(wanted, size.Ratings, MaxPerUser(m), seed);
        var population = new Population(this, seed, firstUserId, realMovies, itemIds, new AliasTable(weights), itemBias, itemFactors,
            counts, first, span, noiseScale, userBias, userFactors);
        population.Thresholds = FitThresholds(population, counts, seed);
        return population;
    }

    /// <summary>Integer ratings per user, proportional to <paramref name="wanted"/>, each in [1, cap], summing to <paramref name="total"/>.</summary>
    private static int[] Apportion(double[] wanted, long total, int cap, int seed)
    {
        double sum = wanted.Sum();
        int[] counts = new int[wanted.Length];
        long assigned = 0;
        double[] remainder = new double[wanted.Length];
        for (int v = 0; v < wanted.Length; v++)
        {
            double target = wanted[v] * total / sum;
            counts[v] = Math.Clamp((int)Math.Floor(target), 1, cap);
            remainder[v] = target - counts[v];
            assigned += counts[v];
        }

        // Hand out (or take back) the difference, largest remainders first, then round-robin within the bounds.
        int[] order = new int[wanted.Length];
        for (int v = 0; v < order.Length; v++)
        {
            order[v] = v;
        }

        double[] keys = [.. remainder.Select(r => -r)];
        Array.Sort(keys, order);
        var random = SplitMix.For(seed, 4, 0);
        while (assigned != total)
        {
            bool progressed = false;
            foreach (int v in assigned < total ? order : Enumerable.Reverse(order))
            {
                if (assigned < total && counts[v] < cap)
                {
                    counts[v]++;
                    assigned++;
                    progressed = true;
                }
                else if (assigned > total && counts[v] > 1)
                {
                    counts[v]--;
                    assigned--;
                    progressed = true;
                }

                if (assigned == total)
                {
                    break;
                }
            }

            if (!progressed)
            {
                throw new InvalidOperationException("The ratings cannot be spread over the users within the bounds.");
            }

            for (int j = order.Length - 1; j > 0; j--)
            {
                int swap = random.NextInt(j + 1);
                (order[j], order[swap]) = (order[swap], order[j]);
            }
        }

        return counts;
    }

    /// <summary>
    /// Cut points on the latent score so the levels come out with the source's shares: scores of a pilot sample of
    /// (user, movie) pairs drawn as the generator draws them, cut at the cumulative shares.
    /// </summary>
    private double[] FitThresholds(Population population, int[] counts, int seed)
    {
        double[] userWeights = [.. counts.Select(c => (double)c)];
        var users = new AliasTable(userWeights);
        int pilot = 200_000;
        double[] scores = new double[pilot];
        var random = SplitMix.For(seed, 5, 0);
        for (int p = 0; p < pilot; p++)
        {
            int v = users.Sample(ref random);
            int i = population.Items.Sample(ref random);
            scores[p] = population.Score(v, i, ref random);
        }

        Array.Sort(scores);
        double[] cuts = new double[_levels.Length - 1];
        double cumulative = 0;
        for (int l = 0; l < cuts.Length; l++)
        {
            cumulative += _levelShares[l];
            cuts[l] = scores[Math.Clamp((int)Math.Round(cumulative * pilot) - 1, 0, pilot - 1)];
        }

        return cuts;
    }

    /// <summary>
    /// The movies a generation of <paramref name="size"/> writes to movies.csv: the source's whole catalogue when the
    /// movies are the real ones, else movies 1..N titled "Synthetic movie N (year)" with the genres and year of a
    /// random real movie.
    /// </summary>
    public IReadOnlyList<Movie> Catalogue(SynthesisSize size, int seed)
    {
        if (size.Movies == SourceMovies)
        {
            var byId = new SortedDictionary<int, Movie>();
            foreach (Movie movie in _movies)
            {
                byId.TryAdd(movie.MovieId, movie);
            }

            foreach (int id in _realItemIds)
            {
                byId.TryAdd(id, new Movie(id, $"Movie {id}", null, []));
            }

            return [.. byId.Values];
        }

        Movie[] catalogue = [.. _movies];
        var result = new Movie[size.Movies];
        for (int i = 0; i < result.Length; i++)
        {
            SplitMix random = SplitMix.For(seed, 6, i);
            Movie? model = catalogue.Length > 0 ? catalogue[random.NextInt(catalogue.Length)] : null;
            string year = model?.Year is int y ? string.Create(CultureInfo.InvariantCulture, $" ({y})") : string.Empty;
            result[i] = new Movie(i + 1, $"Synthetic movie {i + 1}{year}", model?.Year, model?.Genres ?? []);
        }

        return result;
    }

    private void WriteMovies(string path, SynthesisSize size, int seed)
    {
        using (var writer = new StreamWriter(path + ".tmp", append: false, new UTF8Encoding(false)))
        {
            writer.Write("movieId,title,genres\n");
            foreach (Movie movie in Catalogue(size, seed))
            {
                WriteMovie(writer, movie.MovieId, movie.Title, movie.Genres);
            }
        }

        File.Move(path + ".tmp", path, overwrite: true);
    }

    private static void WriteMovie(StreamWriter writer, int id, string title, IReadOnlyList<string> genres)
    {
        string quoted = title.Contains(',', StringComparison.Ordinal) || title.Contains('"', StringComparison.Ordinal)
            ? "\"" + title.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
            : title;
        string genreText = genres.Count == 0 ? "(no genres listed)" : string.Join('|', genres);
        writer.Write(string.Create(CultureInfo.InvariantCulture, $"{id},{quoted},{genreText}\n"));
    }

    private void WriteProvenance(string path, SynthesisSize size, int seed, bool realMovies)
    {
        var provenance = new
        {
            generator = "movierec data synth",
            source = SourceName,
            sourceRatings = SourceRatings,
            sourceUsers = SourceUsers,
            sourceMovies = SourceMovies,
            seed,
            ratings = size.Ratings,
            users = size.Users,
            movies = size.Movies,
            realMovies,
            factors = Factors,
            noise = Noise,
            levels = _levels.Select((l, k) => new { level = l, share = _levelShares[k] }),
        };
        File.WriteAllText(path, JsonSerializer.Serialize(provenance, new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>The sampled users and movies of one generation; fills blocks of users' ratings.</summary>
    private sealed class Population(SyntheticGenerator owner, int seed, int firstUserId, bool realMovies, int[] itemIds, AliasTable items,
        float[] itemBias, float[] itemFactors, int[] counts, long[] first, long[] span, float[] noiseScale, float[] userBias, float[] userFactors)
    {
        public int Seed { get; } = seed;

        public bool RealMovies { get; } = realMovies;

        public ReadOnlySpan<int> ItemIds => itemIds;

        public AliasTable Items { get; } = items;

        public double[] Thresholds { get; set; } = [];

        public int BlockCount => (counts.Length + UserBlock - 1) / UserBlock;

        public double Score(int v, int i, ref SplitMix random) =>
            owner.Mu + userBias[v] + itemBias[i]
            + TensorPrimitives.Dot(userFactors.AsSpan(v * Factors, Factors), itemFactors.AsSpan(i * Factors, Factors))
            + (owner.Noise * noiseScale[v] * random.NextGaussian());

        /// <summary>Generates the ratings of block <paramref name="block"/>'s users into the slot; returns how many.</summary>
        public int Fill(int block, BlockSlot slot)
        {
            int from = block * UserBlock, to = Math.Min(counts.Length, from + UserBlock);
            long needed = 0;
            for (int v = from; v < to; v++)
            {
                needed += counts[v];
            }

            slot.Ensure((int)needed);
            int n = 0;
            int movies = itemIds.Length;
            float[] levels = owner._levels;
            double[] cuts = Thresholds;
            for (int v = from; v < to; v++)
            {
                SplitMix random = SplitMix.For(Seed, 3, v);
                int want = counts[v];
                int stamp = v + 1;
                Span<int> chosen = slot.Chosen.AsSpan(0, want);
                for (int c = 0; c < want; c++)
                {
                    int i = -1;
                    for (int attempt = 0; attempt < 32; attempt++)
                    {
                        int candidate = Items.Sample(ref random);
                        if (slot.Stamp[candidate] != stamp)
                        {
                            i = candidate;
                            break;
                        }
                    }

                    if (i < 0)
                    {
                        // The popular movies are taken: the next free movie from a random place.
                        i = random.NextInt(movies);
                        while (slot.Stamp[i] == stamp)
                        {
                            i = i + 1 == movies ? 0 : i + 1;
                        }
                    }

                    slot.Stamp[i] = stamp;
                    chosen[c] = i;
                }

                // Movie order within a user, as MovieLens files are sorted (and the loader's fast path expects).
                chosen.Sort();
                int userId = firstUserId + v;
                for (int c = 0; c < want; c++)
                {
                    int i = chosen[c];
                    double score = Score(v, i, ref random);
                    int level = 0;
                    while (level < cuts.Length && score > cuts[level])
                    {
                        level++;
                    }

                    long time = first[v] + (long)(span[v] * random.NextDouble());
                    slot.Ratings[n] = new Rating(userId, itemIds[i], levels[level], time);
                    slot.Levels[n] = (byte)level;
                    n++;
                }
            }

            return n;
        }
    }

    /// <summary>Per-worker buffers, reused from block to block.</summary>
    private sealed class BlockSlot(int movies)
    {
        public int[] Stamp { get; } = new int[movies];

        public int[] Chosen { get; } = new int[Math.Max(1, MaxPerUser(movies))];

        public Rating[] Ratings { get; private set; } = [];

        public byte[] Levels { get; private set; } = [];

        public byte[] Text { get; private set; } = [];

        public int TextLength { get; private set; }

        public void Ensure(int ratings)
        {
            if (Ratings.Length < ratings)
            {
                Ratings = new Rating[ratings];
                Levels = new byte[ratings];
            }
        }

        /// <summary>Formats the first <paramref name="n"/> ratings as CSV lines into <see cref="Text"/>.</summary>
        public void Format(int n, float[] levels)
        {
            const int MaxLine = 11 + 1 + 11 + 1 + 8 + 1 + 20 + 1;
            if (Text.Length < n * MaxLine)
            {
                Text = new byte[n * MaxLine];
            }

            byte[][] levelText = new byte[levels.Length][];
            for (int l = 0; l < levels.Length; l++)
            {
                levelText[l] = Encoding.ASCII.GetBytes(levels[l].ToString("0.0", CultureInfo.InvariantCulture));
            }

            Span<byte> text = Text;
            int at = 0;
            for (int r = 0; r < n; r++)
            {
                Rating rating = Ratings[r];
                rating.UserId.TryFormat(text[at..], out int written, default, CultureInfo.InvariantCulture);
                at += written;
                text[at++] = (byte)',';
                rating.MovieId.TryFormat(text[at..], out written, default, CultureInfo.InvariantCulture);
                at += written;
                text[at++] = (byte)',';
                levelText[Levels[r]].CopyTo(text[at..]);
                at += levelText[Levels[r]].Length;
                text[at++] = (byte)',';
                rating.Timestamp.TryFormat(text[at..], out written, default, CultureInfo.InvariantCulture);
                at += written;
                text[at++] = (byte)'\n';
            }

            TextLength = at;
        }
    }
}
