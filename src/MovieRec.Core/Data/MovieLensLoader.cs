using System.Text;
using System.Text.RegularExpressions;

namespace MovieRec.Core.Data;

/// <summary>
/// Reads a MovieLens dataset folder in any of the layouts GroupLens has published (see <see cref="MovieLensFormat"/>),
/// and single ratings files such as train/test splits.
/// </summary>
public static partial class MovieLensLoader
{
    /// <summary>Environment variable naming the default dataset folder.</summary>
    public const string DataEnvironmentVariable = "MOVIEREC_DATA";

    private static readonly string[] RatingColumns = ["userId", "movieId", "rating"];
    private static readonly string[] TimestampColumn = ["timestamp"];
    private static readonly string[] PositionalRatingColumns = ["userId", "movieId", "rating", "timestamp"];

    // ml-100k's u.genre, for folders that lack it.
    private static readonly string[] Ml100kGenres =
    [
        "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama", "Fantasy",
        "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
    ];

    /// <summary>The format of a dataset folder, from the ratings file it holds.</summary>
    public static MovieLensFormat DetectFormat(string folder)
    {
        if (!Directory.Exists(folder))
        {
            throw new MovieLensDataException(
                $"Dataset folder '{folder}' does not exist. Fetch one with 'movierec data fetch ml-latest-small', " +
                $"or point MovieRec at a MovieLens folder with the folder argument or {DataEnvironmentVariable}.");
        }

        if (TryDetectFormat(folder) is MovieLensFormat format)
        {
            return format;
        }

        throw new MovieLensDataException(
            $"'{folder}' is not a MovieLens dataset folder: it has none of ratings.csv (ml-latest, ml-25m, ...), " +
            "u.data (ml-100k) or ratings.dat (ml-1m, ml-10m).");
    }

    /// <summary>The format whose ratings file the folder holds, or null (checked in the order of <see cref="MovieLensFormat"/>).</summary>
    public static MovieLensFormat? TryDetectFormat(string folder)
    {
        foreach (MovieLensFormat format in Enum.GetValues<MovieLensFormat>())
        {
            if (File.Exists(Path.Combine(folder, RatingsFileName(format))))
            {
                return format;
            }
        }

        return null;
    }

    /// <summary>The ratings file of a format's folder.</summary>
    public static string RatingsFileName(MovieLensFormat format) => format switch
    {
        MovieLensFormat.Csv => "ratings.csv",
        MovieLensFormat.Ml100k => "u.data",
        _ => "ratings.dat",
    };

    /// <summary>The rating scale a format declares.</summary>
    public static RatingScale ScaleOf(MovieLensFormat format) =>
        format == MovieLensFormat.Ml100k ? RatingScale.WholeStars : RatingScale.HalfStars;

    /// <summary>Reads a whole dataset folder.</summary>
    public static MovieLensDataset Load(string folder, LoadOptions? options = null)
    {
        options ??= LoadOptions.Default;
        MovieLensFormat format = DetectFormat(folder);
        RatingScale scale = ScaleOf(format);
        var report = new LoadReport();
        var files = new List<string>();

        string ratingsPath = Path.Combine(folder, RatingsFileName(format));
        Rating[] ratings = [];
        if (options.IncludeRatings)
        {
            files.Add(ratingsPath);
            ratings = RatingsCache.LoadOrParse(ratingsPath, options, report, () => LoadRatings(ratingsPath, scale, options, report));
        }

        IReadOnlyList<Movie> movies = [];
        IReadOnlyList<Tag> tags = [];
        IReadOnlyList<MovieLink> links = [];
        if (options.IncludeMetadata)
        {
            switch (format)
            {
                case MovieLensFormat.Csv:
                    movies = ReadIfExists(folder, "movies.csv", files, p => ReadCsvMovies(p, options, report)) ?? [];
                    tags = ReadIfExists(folder, "tags.csv", files, p => ReadCsvTags(p, options, report)) ?? [];
                    links = ReadIfExists(folder, "links.csv", files, p => ReadCsvLinks(p, options, report)) ?? [];
                    break;
                case MovieLensFormat.Ml100k:
                    string[] genres = ReadIfExists(folder, "u.genre", files, ReadMl100kGenres) ?? Ml100kGenres;
                    movies = ReadIfExists(folder, "u.item", files, p => ReadMl100kMovies(p, genres, options, report)) ?? [];
                    break;
                default:
                    movies = ReadIfExists(folder, "movies.dat", files, p => ReadDatMovies(p, options, report)) ?? [];
                    tags = ReadIfExists(folder, "tags.dat", files, p => ReadDatTags(p, options, report)) ?? [];
                    break;
            }
        }

        return new MovieLensDataset
        {
            Folder = folder,
            Name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder))),
            Format = format,
            Scale = scale,
            Ratings = ratings,
            Movies = movies,
            Tags = tags,
            Links = links,
            Report = report,
            Files = files,
        };
    }

    /// <summary>
    /// Reads one ratings file, detecting its layout from the first line: '::' (ml-1m/10m), tab (ml-100k), else CSV
    /// (with a header naming userId, movieId, rating and optionally timestamp, or without a header in that order).
    /// Duplicate (user, movie) pairs keep the latest rating by timestamp.
    /// </summary>
    public static Rating[] LoadRatings(string path, RatingScale scale, LoadOptions? options = null, LoadReport? report = null)
    {
        options ??= LoadOptions.Default;
        report ??= new LoadReport();
        if (!File.Exists(path))
        {
            throw new MovieLensDataException($"Ratings file '{path}' does not exist.");
        }

        string firstLine = FirstLine(path);
        bool csvWithHeader = !firstLine.Contains("::", StringComparison.Ordinal) && !firstLine.Contains('\t', StringComparison.Ordinal)
            && firstLine.Length > 0 && !char.IsAsciiDigit(firstLine.TrimStart('\uFEFF', ' ')[0]);
        if (csvWithHeader && PlainRatingsCsv.TryRead(path, scale) is Rating[] plain)
        {
            return RemoveDuplicates(plain, report);
        }

        var ratings = new List<Rating>();
        if (firstLine.Contains("::", StringComparison.Ordinal))
        {
            ReadPositionalRatings(path, "::", scale, options, report, ratings);
        }
        else if (firstLine.Contains('\t', StringComparison.Ordinal))
        {
            ReadPositionalRatings(path, "\t", scale, options, report, ratings);
        }
        else if (firstLine.Length > 0 && !char.IsAsciiDigit(firstLine.TrimStart('\uFEFF', ' ')[0]))
        {
            ReadCsvRatings(path, scale, options, report, ratings);
        }
        else
        {
            ReadPositionalRatings(path, ",", scale, options, report, ratings);
        }

        if (ratings.Count == 0)
        {
            throw new MovieLensDataException(
                report.SkippedRows > 0
                    ? $"Ratings file '{path}' has no valid ratings: all {report.SkippedRows} rows were invalid."
                    : $"Ratings file '{path}' has no ratings.");
        }

        Rating[] result = [.. ratings];
        return RemoveDuplicates(result, report);
    }

    /// <summary>Parses the release year at the end of a title such as "Toy Story (1995)" or "Fawlty Towers (1975-1979)".</summary>
    public static int? ParseYear(string title)
    {
        Match match = YearPattern().Match(title);
        return match.Success ? int.Parse(match.Groups[1].ValueSpan, provider: null) : null;
    }

    [GeneratedRegex(@"\((\d{4})(?:\s*[-–]\s*(?:\d{4})?\s*)?\)\s*$")]
    private static partial Regex YearPattern();

    private static T? ReadIfExists<T>(string folder, string name, List<string> files, Func<string, T> read)
        where T : class
    {
        string path = Path.Combine(folder, name);
        if (!File.Exists(path))
        {
            return null;
        }

        files.Add(path);
        return read(path);
    }

    private static string FirstLine(string path)
    {
        // Capped, so format detection of a file without line breaks reads one line's worth, not the file.
        using var reader = new StreamReader(DelimitedFile.OpenCapped(path), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            if (line.Trim().Length > 0)
            {
                return line;
            }
        }

        return string.Empty;
    }

    /// <summary>Runs <paramref name="readRow"/> on every record, skipping and reporting bad rows when asked to.</summary>
    private static void ForEachRow(DelimitedFile file, LoadOptions options, LoadReport report, Action<DelimitedFile> readRow)
    {
        using (file)
        {
            while (file.Read())
            {
                try
                {
                    readRow(file);
                }
                catch (MovieLensDataException e) when (options.SkipInvalid)
                {
                    report.AddSkipped(e, options.MaxReportedProblems);
                }
            }
        }
    }

    private static Action<string> MalformedSink(LoadOptions options, LoadReport report) =>
        message => report.AddSkipped(new MovieLensDataException(message), options.MaxReportedProblems);

    private static void ReadCsvRatings(string path, RatingScale scale, LoadOptions options, LoadReport report, List<Rating> ratings)
    {
        DelimitedFile file = DelimitedFile.OpenCsv(path, RatingColumns, TimestampColumn, out int[] col, options.SkipInvalid, MalformedSink(options, report));
        ForEachRow(file, options, report, f => ratings.Add(ReadRating(f, col[0], col[1], col[2], col[3], scale)));
    }

    private static void ReadPositionalRatings(string path, string separator, RatingScale scale, LoadOptions options, LoadReport report, List<Rating> ratings)
    {
        DelimitedFile file = DelimitedFile.OpenPositional(path, separator, Encoding.UTF8, PositionalRatingColumns, options.SkipInvalid, MalformedSink(options, report));
        ForEachRow(file, options, report, f => ratings.Add(ReadRating(f, 0, 1, 2, f.FieldCount > 3 ? 3 : -1, scale)));
    }

    private static Rating ReadRating(DelimitedFile f, int userColumn, int movieColumn, int ratingColumn, int timestampColumn, RatingScale scale)
    {
        int user = f.Int(userColumn);
        int movie = f.Int(movieColumn);
        float value = f.Float(ratingColumn);
        if (!scale.Contains(value))
        {
            throw f.Error(ratingColumn, $"rating is outside the rating scale {scale}");
        }

        long timestamp = timestampColumn >= 0 && !f.IsEmpty(timestampColumn) ? f.Long(timestampColumn) : 0;
        return new Rating(user, movie, value, timestamp);
    }

    private static List<Movie> ReadCsvMovies(string path, LoadOptions options, LoadReport report)
    {
        var movies = new List<(Movie, int, long)>();
        DelimitedFile file = DelimitedFile.OpenCsv(path, DelimitedFile.DetectEncoding(path), ["movieId", "title"], ["genres"], out int[] col, options.SkipInvalid, MalformedSink(options, report));
        ForEachRow(file, options, report, f => movies.Add(Row(f, MakeMovie(f.Int(col[0]), f.Text(col[1]), null, SplitGenres(f.Text(col[2]))))));
        return KeepLastPerMovie(path, movies, options, report);
    }

    private static List<Movie> ReadDatMovies(string path, LoadOptions options, LoadReport report)
    {
        var movies = new List<(Movie, int, long)>();
        DelimitedFile file = DelimitedFile.OpenPositional(path, "::", DelimitedFile.DetectEncoding(path), ["movieId", "title", "genres"], options.SkipInvalid, MalformedSink(options, report));
        ForEachRow(file, options, report, f => movies.Add(Row(f, MakeMovie(f.Int(0), f.Text(1), null, SplitGenres(f.Text(2))))));
        return KeepLastPerMovie(path, movies, options, report);
    }

    private static string[] ReadMl100kGenres(string path)
    {
        var genres = new SortedDictionary<int, string>();
        DelimitedFile file = DelimitedFile.OpenPositional(path, "|", Encoding.Latin1, ["genre", "index"], skipMalformed: false, onMalformed: null);
        ForEachRow(file, LoadOptions.Default, new LoadReport(), f => genres[f.Int(1)] = f.Text(0));
        return [.. genres.Values];
    }

    private static List<Movie> ReadMl100kMovies(string path, string[] genreNames, LoadOptions options, LoadReport report)
    {
        const int FirstGenre = 5;
        string[] names = ["movieId", "title", "releaseDate", "videoReleaseDate", "imdbUrl", .. genreNames];
        var movies = new List<(Movie, int, long)>();
        DelimitedFile file = DelimitedFile.OpenPositional(path, "|", DelimitedFile.DetectEncoding(path), names, options.SkipInvalid, MalformedSink(options, report));
        ForEachRow(file, options, report, f =>
        {
            var genres = new List<string>();
            for (int g = 0; g < genreNames.Length && FirstGenre + g < f.FieldCount; g++)
            {
                int flag = f.Int(FirstGenre + g);
                if (flag is not (0 or 1))
                {
                    throw f.Error(FirstGenre + g, "genre flag must be 0 or 1");
                }

                // 'unknown' is ml-100k's way of saying no genre, like ml-latest's "(no genres listed)".
                if (flag == 1 && genreNames[g] != "unknown")
                {
                    genres.Add(genreNames[g]);
                }
            }

            string release = f.Text(2).Trim();
            int? releaseYear = release.Length >= 4 && int.TryParse(release.AsSpan(release.Length - 4), out int y) ? y : null;
            movies.Add(Row(f, MakeMovie(f.Int(0), f.Text(1), releaseYear, genres)));
        });
        return KeepLastPerMovie(path, movies, options, report);
    }

    private static List<Tag> ReadCsvTags(string path, LoadOptions options, LoadReport report)
    {
        var tags = new List<Tag>();
        DelimitedFile file = DelimitedFile.OpenCsv(path, DelimitedFile.DetectEncoding(path), ["userId", "movieId", "tag"], TimestampColumn, out int[] col, options.SkipInvalid, MalformedSink(options, report));
        ForEachRow(file, options, report, f => tags.Add(new Tag(f.Int(col[0]), f.Int(col[1]), f.Text(col[2]), col[3] >= 0 && !f.IsEmpty(col[3]) ? f.Long(col[3]) : 0)));
        return tags;
    }

    private static List<Tag> ReadDatTags(string path, LoadOptions options, LoadReport report)
    {
        var tags = new List<Tag>();
        DelimitedFile file = DelimitedFile.OpenPositional(path, "::", DelimitedFile.DetectEncoding(path), ["userId", "movieId", "tag", "timestamp"], options.SkipInvalid, MalformedSink(options, report));
        ForEachRow(file, options, report, f => tags.Add(new Tag(f.Int(0), f.Int(1), f.Text(2), f.IsEmpty(3) ? 0 : f.Long(3))));
        return tags;
    }

    private static List<MovieLink> ReadCsvLinks(string path, LoadOptions options, LoadReport report)
    {
        var links = new List<(MovieLink, int, long)>();
        DelimitedFile file = DelimitedFile.OpenCsv(path, DelimitedFile.DetectEncoding(path), ["movieId", "imdbId"], ["tmdbId"], out int[] col, options.SkipInvalid, MalformedSink(options, report));
        ForEachRow(file, options, report, f =>
        {
            var link = new MovieLink(f.Int(col[0]), f.Text(col[1]), col[2] >= 0 && !f.IsEmpty(col[2]) ? f.Int(col[2]) : null);
            links.Add((link, link.MovieId, f.Line));
        });
        return KeepLastPerMovie(path, links, options, report);
    }

    private static (Movie Movie, int MovieId, long Line) Row(DelimitedFile f, Movie movie) => (movie, movie.MovieId, f.Line);

    /// <summary>
    /// One row per movie id: a later row replaces an earlier one (as an edit appended to the file would), with a
    /// warning per repeated id naming the file and its lines. Without this rule a catalogue with a repeated row made
    /// bundles that could not be loaded.
    /// </summary>
    private static List<T> KeepLastPerMovie<T>(string path, List<(T Item, int MovieId, long Line)> rows, LoadOptions options, LoadReport report)
    {
        var last = new Dictionary<int, int>(rows.Count);
        Dictionary<int, List<long>>? repeated = null;
        for (int i = 0; i < rows.Count; i++)
        {
            int id = rows[i].MovieId;
            if (last.TryGetValue(id, out int previous))
            {
                repeated ??= [];
                if (!repeated.TryGetValue(id, out List<long>? lines))
                {
                    repeated[id] = lines = [rows[previous].Line];
                }

                lines.Add(rows[i].Line);
            }

            last[id] = i;
        }

        var kept = new List<T>(last.Count);
        for (int i = 0; i < rows.Count; i++)
        {
            if (last[rows[i].MovieId] == i)
            {
                kept.Add(rows[i].Item);
            }
        }

        if (repeated is not null)
        {
            foreach ((int id, List<long> lines) in repeated.OrderBy(r => r.Value[0]))
            {
                string listed = lines.Count == 2
                    ? $"{lines[0]} and {lines[1]}"
                    : $"{string.Join(", ", lines.Take(lines.Count - 1))} and {lines[^1]}";
                report.AddWarning($"{path}: movie {id} is on lines {listed}; kept line {lines[^1]}", options.MaxReportedProblems);
            }
        }

        return kept;
    }

    private static Movie MakeMovie(int id, string title, int? fallbackYear, IReadOnlyList<string> genres)
    {
        string trimmed = title.Trim();
        return new Movie(id, trimmed, ParseYear(trimmed) ?? fallbackYear, genres);
    }

    private static string[] SplitGenres(string genres)
    {
        string trimmed = genres.Trim();
        if (trimmed.Length == 0 || trimmed == "(no genres listed)")
        {
            return [];
        }

        return trimmed.Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    private static long Key(Rating rating) => ((long)rating.UserId << 32) | (uint)rating.MovieId;

    /// <summary>Keeps one rating per (user, movie): the latest by timestamp, the later row on a tie.</summary>
    private static Rating[] RemoveDuplicates(Rating[] ratings, LoadReport report)
    {
        // MovieLens files are sorted by user then movie, so this is the common case, checked without allocating.
        bool sorted = true;
        for (int r = 1; r < ratings.Length && sorted; r++)
        {
            sorted = Key(ratings[r]) > Key(ratings[r - 1]);
        }

        if (sorted)
        {
            return ratings;
        }

        long[] keys = new long[ratings.Length];
        for (int r = 0; r < ratings.Length; r++)
        {
            keys[r] = Key(ratings[r]);
        }

        int[] order = new int[ratings.Length];
        for (int r = 0; r < order.Length; r++)
        {
            order[r] = r;
        }

        Array.Sort(keys, order);
        bool[] drop = new bool[ratings.Length];
        int duplicates = 0;
        for (int s = 0; s < keys.Length;)
        {
            int e = s + 1;
            while (e < keys.Length && keys[e] == keys[s])
            {
                e++;
            }

            if (e - s > 1)
            {
                int keep = order[s];
                for (int t = s + 1; t < e; t++)
                {
                    int candidate = order[t];
                    bool later = ratings[candidate].Timestamp > ratings[keep].Timestamp
                        || (ratings[candidate].Timestamp == ratings[keep].Timestamp && candidate > keep);
                    if (later)
                    {
                        keep = candidate;
                    }
                }

                for (int t = s; t < e; t++)
                {
                    if (order[t] != keep)
                    {
                        drop[order[t]] = true;
                        duplicates++;
                    }
                }
            }

            s = e;
        }

        if (duplicates == 0)
        {
            return ratings;
        }

        report.DuplicateRatings += duplicates;
        var kept = new Rating[ratings.Length - duplicates];
        int k = 0;
        for (int r = 0; r < ratings.Length; r++)
        {
            if (!drop[r])
            {
                kept[k++] = ratings[r];
            }
        }

        return kept;
    }
}
