using System.Buffers;
using System.Globalization;
using System.Text;
using CsvHelper;

namespace MovieRec.Core.Data;

/// <summary>
/// One delimited MovieLens file read through CsvHelper, with typed field access whose errors name the file, line,
/// column and text. CSV files use RFC 4180 quoting; the tab, '|' and '::' files of the older releases have no quoting.
/// </summary>
internal sealed class DelimitedFile : IDisposable
{
    /// <summary>The longest line any MovieLens reader accepts (see <see cref="LineCappedStream"/>).</summary>
    public const int MaxLineBytes = LineCappedStream.MaxLineBytes;

    /// <summary>The read size of <see cref="DetectEncoding"/>.</summary>
    internal const int EncodingProbeBytes = 1 << 16;

    // A quoted field may span lines; a record is capped too (an unclosed quote must not swallow the file).
    private const int MaxRecordBytes = 4 * MaxLineBytes;

    private readonly CsvReader _reader;
    private readonly string[] _columnNames;

    private DelimitedFile(string path, CsvReader reader, string[] columnNames)
    {
        Path = path;
        _reader = reader;
        _columnNames = columnNames;
    }

    public string Path { get; }

    /// <summary>The 1-based line of the current record.</summary>
    public long Line => _reader.LineNumber;

    public int FieldCount => _reader.FieldCount;

    /// <summary>Opens a UTF-8 CSV file with a header row; columns are looked up by name (case-insensitive), optional ones give -1.</summary>
    public static DelimitedFile OpenCsv(string path, IReadOnlyList<string> required, IReadOnlyList<string> optional, out int[] columnIndex, bool skipMalformed, Action<string>? onMalformed) =>
        OpenCsv(path, Encoding.UTF8, required, optional, out columnIndex, skipMalformed, onMalformed);

    /// <summary>Opens a CSV file in <paramref name="encoding"/> (see <see cref="DetectEncoding"/>) with a header row.</summary>
    public static DelimitedFile OpenCsv(string path, Encoding encoding, IReadOnlyList<string> required, IReadOnlyList<string> optional, out int[] columnIndex, bool skipMalformed, Action<string>? onMalformed)
    {
        CsvReaderOptions options = BaseOptions(skipMalformed, onMalformed, path) with
        {
            Separator = ',',
            HasHeader = true,
            Mode = CsvMode.Rfc4180,
            Encoding = encoding.CodePage == Encoding.UTF8.CodePage ? null : encoding,
        };
        CsvReader reader = CsvReader.Create(OpenCapped(path), options, leaveOpen: false);
        try
        {
            reader.ReadHeader();
            columnIndex = new int[required.Count + optional.Count];
            for (int c = 0; c < required.Count; c++)
            {
                if (!reader.TryGetFieldIndex(required[c], out columnIndex[c]))
                {
                    string found = string.Join(",", reader.Headers.ToArray());
                    throw new MovieLensDataException($"{path}:1: the header has no '{required[c]}' column (header: '{found}').");
                }
            }

            for (int c = 0; c < optional.Count; c++)
            {
                columnIndex[required.Count + c] = reader.TryGetFieldIndex(optional[c], out int index) ? index : -1;
            }

            return new DelimitedFile(path, reader, [.. required, .. optional]);
        }
        catch (CsvFormatException e)
        {
            reader.Dispose();
            throw Malformed(path, e);
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    /// <summary>Opens a header-less file whose columns are known by position.</summary>
    public static DelimitedFile OpenPositional(string path, string separator, Encoding encoding, IReadOnlyList<string> columnNames, bool skipMalformed, Action<string>? onMalformed)
    {
        CsvReaderOptions options = BaseOptions(skipMalformed, onMalformed, path) with
        {
            HasHeader = false,
            Mode = CsvMode.NoEscape,
            Encoding = encoding.CodePage == Encoding.UTF8.CodePage ? null : encoding,
        };
        Stream stream = OpenCapped(path);
        if (separator.Length == 1)
        {
            options = options with { Separator = separator[0] };
        }
        else
        {
            stream = new CsvSeparatorStream(stream, separator);
        }

        return new DelimitedFile(path, CsvReader.Create(stream, options, leaveOpen: false), [.. columnNames]);
    }

    /// <summary>
    /// UTF-8 unless the bytes are not valid UTF-8, then Latin-1 (ml-100k's u.item and ml-1m's .dat files are Latin-1, and
    /// so are some hand-made movies.csv files); every byte is a Latin-1 character, so nothing is ever replaced. Reads the
    /// file once in blocks, stopping at the first invalid byte.
    /// </summary>
    public static Encoding DetectEncoding(string path)
    {
        using FileStream stream = OpenStream(path);
        byte[] bytes = new byte[EncodingProbeBytes + 4];
        char[] chars = new char[bytes.Length];
        int carried = 0;
        int read;
        while ((read = stream.Read(bytes, carried, EncodingProbeBytes)) > 0)
        {
            int length = carried + read;
            OperationStatus status = System.Text.Unicode.Utf8.ToUtf16(bytes.AsSpan(0, length), chars, out int used, out _, replaceInvalidSequences: false, isFinalBlock: false);
            if (status == OperationStatus.InvalidData)
            {
                return Encoding.Latin1;
            }

            // A character cut by the block boundary is completed by the next read.
            carried = length - used;
            bytes.AsSpan(used, carried).CopyTo(bytes);
        }

        return carried == 0 ? Encoding.UTF8 : Encoding.Latin1;
    }

    public bool Read()
    {
        try
        {
            if (!_reader.Read())
            {
                return false;
            }

            // The stream stops single long lines; this catches a long record of many lines that CsvHelper had buffered.
            if (_reader.RawRecord.Length > MaxRecordBytes)
            {
                throw new MovieLensDataException($"{Path}:{Line}: record is longer than {MaxRecordBytes / 1024} KiB (an unclosed quote?).");
            }

            return true;
        }
        catch (CsvFormatException e)
        {
            throw Malformed(Path, e);
        }
    }

    public bool IsEmpty(int index) => index < 0 || index >= _reader.FieldCount || _reader.GetSpan(index).Trim(" \t"u8).IsEmpty;

    public int Int(int index)
    {
        ReadOnlySpan<byte> span = Field(index);
        if (!int.TryParse(span, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value))
        {
            throw Error(index, span.IsEmpty ? "value is missing" : "not a whole number");
        }

        return value;
    }

    public long Long(int index)
    {
        ReadOnlySpan<byte> span = Field(index);
        if (!long.TryParse(span, NumberStyles.Integer, CultureInfo.InvariantCulture, out long value))
        {
            throw Error(index, span.IsEmpty ? "value is missing" : "not a whole number");
        }

        return value;
    }

    public float Float(int index)
    {
        ReadOnlySpan<byte> span = Field(index);
        if (!float.TryParse(span, NumberStyles.Float, CultureInfo.InvariantCulture, out float value) || !float.IsFinite(value))
        {
            throw Error(index, span.IsEmpty ? "value is missing" : "not a number");
        }

        return value;
    }

    public string Text(int index) => index >= 0 && index < _reader.FieldCount ? _reader.GetString(index) : string.Empty;

    /// <summary>An error about field <paramref name="index"/> of the current record.</summary>
    public MovieLensDataException Error(int index, string problem)
    {
        string column = index >= 0 && index < _columnNames.Length ? _columnNames[index] : $"#{index + 1}";
        return MovieLensDataException.ForField(Path, Line, column, Text(index), problem);
    }

    /// <summary>An error about the current record as a whole.</summary>
    public MovieLensDataException RowError(string problem) =>
        new($"{Path}:{Line}: {problem} (text: '{Encoding.UTF8.GetString(_reader.RawRecord)}')");

    public void Dispose() => _reader.Dispose();

    private ReadOnlySpan<byte> Field(int index)
    {
        if (index >= _reader.FieldCount)
        {
            throw Error(index, "value is missing (the row has too few fields)");
        }

        return _reader.GetSpan(index).Trim(" \t"u8);
    }

    /// <summary>The file's bytes, failing at the first line longer than <see cref="MaxLineBytes"/>.</summary>
    public static Stream OpenCapped(string path) => new LineCappedStream(OpenStream(path), path);

    private static FileStream OpenStream(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, FileOptions.SequentialScan);

    private static CsvReaderOptions BaseOptions(bool skipMalformed, Action<string>? onMalformed, string path) => new()
    {
        TrackLineNumbers = true,
        MaxRecordSize = MaxRecordBytes,
        SkipEmptyLines = true,
        DetectSeparatorHint = false,
        MalformedData = skipMalformed ? CsvMalformedDataHandling.Skip : CsvMalformedDataHandling.Throw,
        OnMalformedRecord = skipMalformed && onMalformed is not null
            ? record => onMalformed($"{path}: record {record.RecordNumber}: malformed quoting ({record.Reason})")
            : null,
    };

    private static MovieLensDataException Malformed(string path, CsvFormatException e) =>
        new($"{path}:{(e.LineNumber > 0 ? e.LineNumber : e.RecordNumber)}: malformed row: {e.Message}", e);
}
