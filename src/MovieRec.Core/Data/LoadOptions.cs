namespace MovieRec.Core.Data;

/// <summary>How strictly a dataset is read.</summary>
public sealed record LoadOptions
{
    public static readonly LoadOptions Default = new();

    /// <summary>Skip malformed rows (and report them) instead of stopping at the first one.</summary>
    public bool SkipInvalid { get; init; }

    /// <summary>How many skipped rows the report quotes.</summary>
    public int MaxReportedProblems { get; init; } = 5;

    /// <summary>Read the ratings file (false: only the catalogue, tags and links, for split files that bring their own ratings).</summary>
    public bool IncludeRatings { get; init; } = true;

    /// <summary>Read the catalogue, tags and links too (only ratings when false).</summary>
    public bool IncludeMetadata { get; init; } = true;

    /// <summary>Keep a binary copy of large parsed ratings files (see <see cref="RatingsCache"/>) and load from it while the file is unchanged.</summary>
    public bool UseCache { get; init; } = true;

    /// <summary>Ratings files smaller than this are always parsed (they parse in well under a second).</summary>
    public long CacheMinBytes { get; init; } = 64L << 20;

    /// <summary>Where the cache lives (null: $MOVIEREC_CACHE, else ~/.cache/movierec).</summary>
    public string? CacheFolder { get; init; }
}

/// <summary>What happened while reading: rows skipped, duplicates dropped.</summary>
public sealed class LoadReport
{
    private readonly List<string> _problems = [];
    private readonly List<string> _warnings = [];

    public int SkippedRows { get; private set; }

    /// <summary>(user, movie) pairs rated more than once; only the latest rating by timestamp is kept.</summary>
    public int DuplicateRatings { get; internal set; }

    /// <summary>The ratings came from <see cref="RatingsCache"/> (the file is unchanged since it was last parsed).</summary>
    public bool RatingsFromCache { get; internal set; }

    /// <summary>The first few skipped rows, as error messages.</summary>
    public IReadOnlyList<string> Problems => _problems;

    /// <summary>Rows read but overridden by a rule (a movie listed twice keeps its last row), each naming the file and lines; the first few.</summary>
    public IReadOnlyList<string> Warnings => _warnings;

    /// <summary>How many warnings there were, quoted in <see cref="Warnings"/> or not.</summary>
    public int WarningCount { get; private set; }

    internal void AddWarning(string warning, int maxReported)
    {
        WarningCount++;
        if (_warnings.Count < maxReported)
        {
            _warnings.Add(warning);
        }
    }

    internal void AddSkipped(MovieLensDataException problem, int maxReported)
    {
        SkippedRows++;
        if (_problems.Count < maxReported)
        {
            _problems.Add(problem.Message);
        }
    }

    internal void Merge(LoadReport other, int maxReported)
    {
        SkippedRows += other.SkippedRows;
        WarningCount += other.WarningCount;
        foreach (string w in other._warnings)
        {
            if (_warnings.Count < maxReported)
            {
                _warnings.Add(w);
            }
        }

        DuplicateRatings += other.DuplicateRatings;
        foreach (string p in other._problems)
        {
            if (_problems.Count < maxReported)
            {
                _problems.Add(p);
            }
        }
    }
}
