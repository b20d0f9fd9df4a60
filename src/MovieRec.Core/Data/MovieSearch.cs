using System.Globalization;
using System.Text;

namespace MovieRec.Core.Data;

/// <summary>A movie found by <see cref="MovieSearch"/> and how well it matched (higher is better).</summary>
public sealed record MovieMatch(Movie Movie, double Score);

/// <summary>
/// Title search that ranks by relevance, the one behind <c>GET /movies?query=</c>, the page and the CLI.
/// It reads MovieLens titles the way people type them: "Godfather, The (1972)" is indexed as "the godfather",
/// the year in brackets is a separate field that a four-digit query word matches, alternative titles in brackets
/// ("Seven (a.k.a. Se7en)") match too, accents and punctuation are ignored, the last query word may be a prefix
/// (type-ahead), and a word of four or more letters may have a typo (one edit; two from eight letters, with
/// swapped neighbours counted as one edit). Ties go to the more-rated movie, then the lower id.
/// Built once per catalogue; immutable and thread-safe.
/// </summary>
public sealed class MovieSearch
{
    private static readonly string[] Articles =
    [
        "the", "a", "an", "les", "le", "la", "l'", "il", "el", "los", "las", "der", "die", "das", "den", "det", "de",
        "lo", "i", "gli", "un", "une", "o", "os", "as",
    ];

    private static readonly HashSet<string> StopWords = new(StringComparer.Ordinal) { "the", "a", "an", "of", "and", "&" };

    private readonly Entry[] _entries;

    /// <param name="movies">The catalogue.</param>
    /// <param name="popularity">How many ratings a movie has, for ordering equally good matches; null for none.</param>
    public MovieSearch(IEnumerable<Movie> movies, Func<int, int>? popularity = null)
    {
        ArgumentNullException.ThrowIfNull(movies);
        _entries = [.. movies.Select(m => Index(m, popularity?.Invoke(m.MovieId) ?? 0))];
    }

    public int Count => _entries.Length;

    /// <summary>Movies matching <paramref name="query"/>, best first, that pass <paramref name="filter"/>.</summary>
    public IReadOnlyList<MovieMatch> Search(string query, Func<Movie, bool>? filter = null, int limit = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(query);
        ParsedQuery q = ParseQuery(query);
        if (q.Words.Length == 0 && q.Year is null)
        {
            return [];
        }

        var matches = new List<(Entry Entry, double Score)>();
        foreach (Entry entry in _entries)
        {
            if (filter is not null && !filter(entry.Movie))
            {
                continue;
            }

            double score = Score(q, entry);
            if (score > 0)
            {
                matches.Add((entry, score));
            }
        }

        matches.Sort(static (a, b) =>
        {
            int byScore = b.Score.CompareTo(a.Score);
            if (byScore != 0)
            {
                return byScore;
            }

            int byPopularity = b.Entry.Popularity.CompareTo(a.Entry.Popularity);
            return byPopularity != 0 ? byPopularity : a.Entry.Movie.MovieId.CompareTo(b.Entry.Movie.MovieId);
        });
        return [.. matches.Take(limit).Select(m => new MovieMatch(m.Entry.Movie, Math.Round(m.Score, 4)))];
    }

    /// <summary>The best match for a title as a person types it, or null when nothing matches.</summary>
    public Movie? Best(string query) => Search(query, limit: 1) is [MovieMatch best] ? best.Movie : null;

    /// <summary>A title's searchable form: "Godfather, The (1972)" gives "the godfather".</summary>
    public static string NormalizeTitle(string title) => string.Join(' ', Index(new Movie(0, title, null, []), 0).Words);

    private static double Score(ParsedQuery q, Entry entry)
    {
        int? year = entry.Movie.Year ?? entry.TitleYear;
        // "2001" is a year to most queries and a title word of "2001: A Space Odyssey".
        bool yearMatched = q.Year is int wanted && (year == wanted || Array.IndexOf(entry.Words, q.YearText) >= 0);
        if (q.Words.Length == 0)
        {
            // The number as a title word beats the number as a year.
            return Array.IndexOf(entry.Words, q.YearText) >= 0 ? 2 : year == q.Year ? 1 : 0;
        }

        double total = 0, weight = 0;
        int titleWordsUsed = 0;
        for (int w = 0; w < q.Words.Length; w++)
        {
            string word = q.Words[w];
            bool last = w == q.Words.Length - 1;
            bool stop = StopWords.Contains(word);
            double best = 0;
            foreach (string t in entry.Words)
            {
                best = Math.Max(best, WordScore(word, t, last));
            }

            if (best > 0 && !stop)
            {
                titleWordsUsed++;
            }

            foreach (string t in entry.AltWords)
            {
                best = Math.Max(best, 0.9 * WordScore(word, t, last));
            }

            if (best == 0 && !stop)
            {
                return 0;
            }

            double wordWeight = stop ? 0.25 : 1;
            total += wordWeight * best;
            weight += wordWeight;
        }

        if (q.Year is not null && !yearMatched)
        {
            // A year that does not match is a strong sign of another movie (a remake), not a veto.
            total *= 0.6;
        }

        double quality = total / weight;
        double coverage = Math.Min(1, (double)titleWordsUsed / Math.Max(1, entry.ContentWords));
        double exact = q.Text == entry.Text ? 1 : 0;
        double startsWith = exact == 0 && entry.Text.StartsWith(q.Text, StringComparison.Ordinal) ? 1 : 0;
        return (10 * quality) + (2 * coverage) + (3 * exact) + startsWith + (yearMatched ? 2 : 0);
    }

    private static double WordScore(string query, string title, bool last)
    {
        if (query == title)
        {
            return 1;
        }

        if (title.StartsWith(query, StringComparison.Ordinal) && (last || query.Length >= 3))
        {
            return 0.85;
        }

        int allowed = query.Length >= 8 ? 2 : query.Length >= 4 ? 1 : 0;
        if (allowed == 0 || Math.Abs(query.Length - title.Length) > allowed)
        {
            return 0;
        }

        int distance = EditDistance(query, title, allowed);
        return distance <= allowed ? (distance == 1 ? 0.75 : 0.6) : 0;
    }

    /// <summary>Optimal string alignment distance (Levenshtein plus adjacent swaps), stopping early past <paramref name="max"/>.</summary>
    internal static int EditDistance(string a, string b, int max)
    {
        int n = a.Length, m = b.Length;
        var d = new int[n + 1, m + 1];
        for (int i = 0; i <= n; i++)
        {
            d[i, 0] = i;
        }

        for (int j = 0; j <= m; j++)
        {
            d[0, j] = j;
        }

        for (int i = 1; i <= n; i++)
        {
            int rowMin = int.MaxValue;
            for (int j = 1; j <= m; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                int v = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    v = Math.Min(v, d[i - 2, j - 2] + 1);
                }

                d[i, j] = v;
                rowMin = Math.Min(rowMin, v);
            }

            if (rowMin > max)
            {
                return max + 1;
            }
        }

        return d[n, m];
    }

    private static Entry Index(Movie movie, int popularity)
    {
        string title = movie.Title.Trim();
        int? titleYear = null;

        // Trailing "(1972)" is the year.
        if (title.Length >= 6 && title[^1] == ')' && title[^6] == '(' &&
            int.TryParse(title.AsSpan(title.Length - 5, 4), NumberStyles.None, CultureInfo.InvariantCulture, out int y))
        {
            titleYear = y;
            title = title[..^6].TrimEnd();
        }

        // Other bracketed parts are alternative titles: "Seven (a.k.a. Se7en)", "Cité des enfants perdus, La".
        var alternatives = new List<string>();
        int open;
        while (title.EndsWith(')') && (open = title.LastIndexOf(" (", StringComparison.Ordinal)) > 0)
        {
            alternatives.Add(title[(open + 2)..^1]);
            title = title[..open].TrimEnd();
        }

        string main = MoveArticle(title);
        string[] words = Words(main);
        string[] alt = [.. alternatives.SelectMany(a => Words(MoveArticle(a.Replace("a.k.a.", "", StringComparison.OrdinalIgnoreCase))))];
        return new Entry(movie, words, alt, string.Join(' ', words), titleYear, popularity, words.Count(w => !StopWords.Contains(w)));
    }

    // "Godfather, The" -> "The Godfather"; "Cité des enfants perdus, La" -> "La Cité des enfants perdus".
    private static string MoveArticle(string title)
    {
        int comma = title.LastIndexOf(", ", StringComparison.Ordinal);
        if (comma > 0)
        {
            string tail = title[(comma + 2)..].Trim();
            foreach (string article in Articles)
            {
                if (tail.Equals(article, StringComparison.OrdinalIgnoreCase))
                {
                    return article.EndsWith('\'') ? tail + title[..comma] : tail + " " + title[..comma];
                }
            }
        }

        return title;
    }

    private static ParsedQuery ParseQuery(string query)
    {
        // "Godfather, The (1972)" typed as in the catalogue reads the same as "the godfather 1972".
        string trimmed = query.Trim();
        if (trimmed.Length >= 6 && trimmed[^1] == ')' && trimmed[^6] == '(')
        {
            trimmed = string.Concat(MoveArticle(trimmed[..^6].TrimEnd()), " ", trimmed.AsSpan(trimmed.Length - 5, 4));
        }
        else
        {
            trimmed = MoveArticle(trimmed);
        }

        var words = new List<string>();
        int? year = null;
        foreach (string word in Words(trimmed))
        {
            if (year is null && word.Length == 4 && int.TryParse(word, NumberStyles.None, CultureInfo.InvariantCulture, out int y) && y is >= 1870 and <= 2100)
            {
                year = y;
                continue;
            }

            words.Add(word);
        }

        return new ParsedQuery([.. words], year, string.Join(' ', words));
    }

    /// <summary>Lower-case words of letters and digits, accents removed; an apostrophe joins ("schindler's" -> "schindlers").</summary>
    private static string[] Words(string text)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        foreach (char raw in text)
        {
            char c = Fold(char.ToLowerInvariant(raw));
            if (char.IsLetterOrDigit(c))
            {
                word.Append(c);
            }
            else if (c is '\'' or '’' or '.')
            {
                // "schindler's" -> "schindlers", "s.w.a.t." -> "swat".
            }
            else if (c == '&')
            {
                Flush();
                words.Add("and");
            }
            else
            {
                Flush();
            }
        }

        Flush();
        return [.. words];

        void Flush()
        {
            if (word.Length > 0)
            {
                words.Add(word.ToString());
                word.Clear();
            }
        }
    }

    // Latin letters with accents to their base letter; InvariantGlobalization rules out string.Normalize here.
    private static char Fold(char c) => c switch
    {
        'à' or 'á' or 'â' or 'ã' or 'ä' or 'å' or 'ā' => 'a',
        'ç' or 'č' or 'ć' => 'c',
        'è' or 'é' or 'ê' or 'ë' or 'ē' or 'ě' => 'e',
        'ì' or 'í' or 'î' or 'ï' => 'i',
        'ñ' or 'ń' => 'n',
        'ò' or 'ó' or 'ô' or 'õ' or 'ö' or 'ø' or 'ō' => 'o',
        'ù' or 'ú' or 'û' or 'ü' or 'ů' => 'u',
        'ý' or 'ÿ' => 'y',
        'š' or 'ś' => 's',
        'ž' or 'ź' or 'ż' => 'z',
        'ß' => 's',
        'ł' => 'l',
        'æ' => 'a',
        _ => c,
    };

    private sealed record Entry(Movie Movie, string[] Words, string[] AltWords, string Text, int? TitleYear, int Popularity, int ContentWords);

    private sealed record ParsedQuery(string[] Words, int? Year, string Text)
    {
        public string? YearText { get; } = Year?.ToString(CultureInfo.InvariantCulture);
    }
}
