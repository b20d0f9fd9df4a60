using System.Text;
using MovieRec.Cli;
using MovieRec.Core.Data;
using Spectre.Console;

namespace MovieRec.Core.Tests.Data;

/// <summary>Files that are not what they claim: long lines, NULs, odd encodings. Each fails clearly or reads right.</summary>
public sealed class HostileFileTests : IDisposable
{
    private const int Cap = DelimitedFile.MaxLineBytes;
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_ratings_file_of_nuls_fails_at_line_1_saying_the_line_is_too_long()
    {
        string path = Path.Combine(_dir.Path, "ratings.csv");
        using (FileStream f = File.Create(path))
        {
            f.SetLength(4 * Cap); // a sparse file of NULs without a line break, as `truncate -s` makes
        }

        var e = Assert.Throws<MovieLensDataException>(() => MovieLensLoader.Load(_dir.Path));

        Assert.Contains($"{path}:1:", e.Message, StringComparison.Ordinal);
        Assert.Contains("64 KiB", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Data_info_on_a_nul_file_prints_one_error_line_and_exits_1()
    {
        using (FileStream f = File.Create(Path.Combine(_dir.Path, "ratings.csv")))
        {
            f.SetLength(4 * Cap);
        }

        using var output = new StringWriter();
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, Interactive = InteractionSupport.No });
        console.Profile.Width = 400;

        Assert.Equal(1, CliApp.Run(["data", "info", _dir.Path], console));
        Assert.Contains("ratings.csv:1: line is longer than 64 KiB", output.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ratings.csv", "userId,movieId,rating,timestamp\n1,1,4.0,5\n", "\n2,1,3.0,6\n")]
    [InlineData("u.data", "1\t1\t4\t5\n", "\n2\t1\t3\t6\n")]
    [InlineData("ratings.dat", "1::1::4::5\n", "\n2::1::3::6\n")]
    public void A_long_line_after_the_first_fails_at_its_line_in_every_ratings_format(string file, string head, string tail)
    {
        // Line 2 (or 3 with a header) is a run of digits longer than the cap: it must not be read whole.
        string path = _dir.Write(file, head + "1" + new string('0', 2 * Cap) + tail);
        int line = head.Count(c => c == '\n') + 1;

        var e = Assert.Throws<MovieLensDataException>(() => MovieLensLoader.Load(_dir.Path));

        Assert.Contains($"{path}:{line}: line is longer than 64 KiB", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_long_title_in_movies_csv_fails_at_its_line()
    {
        _dir.Write("ratings.csv", "userId,movieId,rating\n1,1,4.0\n");
        string movies = _dir.Write("movies.csv", "movieId,title,genres\n1,Heat (1995),Action\n2,\"" + new string('x', 2 * Cap) + "\",Drama\n");

        var e = Assert.Throws<MovieLensDataException>(() => MovieLensLoader.Load(_dir.Path));

        Assert.Contains($"{movies}:3: line is longer than 64 KiB", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_long_line_fails_even_when_invalid_rows_are_skipped()
    {
        string path = _dir.Write("ratings.csv", "userId,movieId,rating\n1,1,4.0\n" + new string('9', 2 * Cap) + "\n2,1,3.0\n");

        var e = Assert.Throws<MovieLensDataException>(() => MovieLensLoader.Load(_dir.Path, new LoadOptions { SkipInvalid = true }));

        Assert.Contains($"{path}:3: line is longer than 64 KiB", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_split_file_with_a_long_first_line_fails_at_line_1()
    {
        string path = _dir.Write("a.train", new string('1', 2 * Cap) + "\t1\t4\t5\n");

        var e = Assert.Throws<MovieLensDataException>(() => MovieLensLoader.LoadRatings(path, RatingScale.HalfStars));

        Assert.Contains($"{path}:1: line is longer than 64 KiB", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Lines_just_under_the_cap_still_read()
    {
        _dir.Write("ratings.csv", "userId,movieId,rating\n1,1,4.0\n");
        string title = new('x', Cap - 100);
        _dir.Write("movies.csv", $"movieId,title,genres\n1,\"{title}\",Drama\n");

        Assert.Equal(title, Assert.Single(MovieLensLoader.Load(_dir.Path).Movies).Title);
    }

    [Fact]
    public void Encoding_detection_reads_in_blocks_and_sees_invalid_utf8_anywhere()
    {
        // A two-byte character cut by the block boundary is still valid UTF-8.
        byte[] prefix = Encoding.ASCII.GetBytes(new string('a', DelimitedFile.EncodingProbeBytes - 1));
        string straddling = Path.Combine(_dir.Path, "straddling.dat");
        File.WriteAllBytes(straddling, [.. prefix, .. "\u00e9 (1990)::Drama\n"u8.ToArray()]);
        Assert.Equal(Encoding.UTF8.CodePage, DelimitedFile.DetectEncoding(straddling).CodePage);

        // Valid UTF-8 for several blocks, then one Latin-1 byte near the end; and a file cut inside a character.
        string late = Path.Combine(_dir.Path, "late.dat");
        File.WriteAllBytes(late, [.. prefix, .. prefix, .. prefix, .. "Cr"u8.ToArray(), 0xE8, .. "me::Drama\n"u8.ToArray()]);
        Assert.Equal(Encoding.Latin1.CodePage, DelimitedFile.DetectEncoding(late).CodePage);
        string cut = Path.Combine(_dir.Path, "cut.dat");
        File.WriteAllBytes(cut, [.. prefix, 0xC3]);
        Assert.Equal(Encoding.Latin1.CodePage, DelimitedFile.DetectEncoding(cut).CodePage);
    }
}
