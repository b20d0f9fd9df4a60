using System.Globalization;
using Microsoft.Win32.SafeHandles;

namespace MovieRec.Core.Data;

/// <summary>
/// The fast reader of a plain MovieLens <c>ratings.csv</c> (header <c>userId,movieId,rating[,timestamp]</c>, then one
/// unquoted row per line of digits, a number and digits): it counts the rows first so the result is one exactly sized
/// array (no growing list, no copy), and parses ranges of the file on every core straight into that array. Anything
/// else in the file (quotes, spaces, blank or long lines, empty or signed fields, a rating outside the scale, another
/// header) makes it give up and return null, and the general reader (<see cref="MovieLensLoader"/>) reads the file with
/// its exact per-line messages. Both readers give the same ratings for a plain file (tested).
/// </summary>
internal static class PlainRatingsCsv
{
    /// <summary>Lines longer than this are left to the general reader.</summary>
    private const int MaxLine = 256;

    private const int BlockBytes = 1 << 20;

    /// <summary>Files below this size are parsed on one thread.</summary>
    private const long ParallelMinBytes = 8L << 20;

    /// <summary>The ratings of a plain file in file order, or null when the file is not plain (or not readable as such).</summary>
    public static Rating[]? TryRead(string path, RatingScale scale, int? threads = null, long parallelMinBytes = ParallelMinBytes)
    {
        using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
        long length = RandomAccess.GetLength(handle);
        if (ReadHeader(handle, length) is not (long dataStart, bool hasTimestamp))
        {
            return null;
        }

        int parts = length < parallelMinBytes ? 1 : Math.Clamp(threads ?? Environment.ProcessorCount, 1, 16);
        long[] bounds = Bounds(handle, dataStart, length, parts);
        if (bounds.Length == 0)
        {
            return null;
        }

        parts = bounds.Length - 1;
        long[] rows = new long[parts];
        var options = new ParallelOptions { MaxDegreeOfParallelism = parts };
        Parallel.For(0, parts, options, p => rows[p] = CountRows(handle, bounds[p], bounds[p + 1]));
        long total = rows.Sum();
        if (total is 0 or > int.MaxValue)
        {
            return null;
        }

        Rating[] ratings = GC.AllocateUninitializedArray<Rating>((int)total);
        int[] start = new int[parts];
        for (int p = 1; p < parts; p++)
        {
            start[p] = start[p - 1] + (int)rows[p - 1];
        }

        bool[] ok = new bool[parts];
        Parallel.For(0, parts, options, p =>
            ok[p] = ParseRange(handle, bounds[p], bounds[p + 1], ratings.AsSpan(start[p], (int)rows[p]), hasTimestamp, scale));
        return ok.All(x => x) ? ratings : null;
    }

    /// <summary>Parses one data line (without its line break); false when it is not a plain row.</summary>
    internal static bool TryParseLine(ReadOnlySpan<byte> line, bool hasTimestamp, RatingScale scale, out Rating rating)
    {
        rating = default;
        if (!line.IsEmpty && line[^1] == (byte)'\r')
        {
            line = line[..^1];
        }

        int pos = 0;
        if (!Digits(line, ref pos, 9, out long user) || !Expect(line, ref pos, (byte)',')
            || !Digits(line, ref pos, 9, out long movie) || !Expect(line, ref pos, (byte)','))
        {
            return false;
        }

        int end = line[pos..].IndexOf((byte)',');
        end = end < 0 ? line.Length : pos + end;
        if (!TryRating(line[pos..end], out float value) || !scale.Contains(value))
        {
            return false;
        }

        pos = end;
        long timestamp = 0;
        if (hasTimestamp && (!Expect(line, ref pos, (byte)',') || !Digits(line, ref pos, 18, out timestamp)))
        {
            return false;
        }

        if (pos != line.Length)
        {
            return false;
        }

        rating = new Rating((int)user, (int)movie, value, timestamp);
        return true;
    }

    private static bool TryRating(ReadOnlySpan<byte> field, out float value)
    {
        // Whole and half stars exactly, without the general parser; anything else through float.TryParse as the general reader does.
        if (field.Length == 1 && IsDigit(field[0]))
        {
            value = field[0] - '0';
            return true;
        }

        if (field.Length == 3 && IsDigit(field[0]) && field[1] == '.' && field[2] is (byte)'0' or (byte)'5')
        {
            value = field[0] - '0' + (field[2] == '5' ? 0.5f : 0f);
            return true;
        }

        value = 0;
        foreach (byte b in field)
        {
            if (!IsDigit(b) && b != '.')
            {
                return false;
            }
        }

        return field.Length > 0 && float.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && float.IsFinite(value);
    }

    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;

    private static bool Expect(ReadOnlySpan<byte> line, ref int pos, byte c)
    {
        if (pos < line.Length && line[pos] == c)
        {
            pos++;
            return true;
        }

        return false;
    }

    private static bool Digits(ReadOnlySpan<byte> line, ref int pos, int maxDigits, out long value)
    {
        value = 0;
        int first = pos;
        while (pos < line.Length && IsDigit(line[pos]))
        {
            value = (value * 10) + (line[pos] - '0');
            pos++;
        }

        int n = pos - first;
        return n > 0 && n <= maxDigits;
    }

    /// <summary>The offset after the header line and whether it names a timestamp column, or null for another header.</summary>
    private static (long DataStart, bool HasTimestamp)? ReadHeader(SafeFileHandle handle, long length)
    {
        byte[] buffer = new byte[Math.Min(length, MaxLine)];
        int read = RandomAccess.Read(handle, buffer, 0);
        ReadOnlySpan<byte> head = buffer.AsSpan(0, read);
        int newline = head.IndexOf((byte)'\n');
        if (newline < 0)
        {
            return null;
        }

        ReadOnlySpan<byte> header = head[..newline];
        int skip = header.StartsWith("\uFEFF"u8) ? 3 : 0;
        header = header[skip..];
        if (!header.IsEmpty && header[^1] == (byte)'\r')
        {
            header = header[..^1];
        }

        string text = System.Text.Encoding.ASCII.GetString(header);
        return text.Equals("userId,movieId,rating,timestamp", StringComparison.OrdinalIgnoreCase) ? (newline + 1, true)
            : text.Equals("userId,movieId,rating", StringComparison.OrdinalIgnoreCase) ? (newline + 1, false)
            : null;
    }

    /// <summary>Range starts at line starts: part p covers [bounds[p], bounds[p + 1]). Empty when a line is too long to find its end.</summary>
    private static long[] Bounds(SafeFileHandle handle, long dataStart, long length, int parts)
    {
        var bounds = new List<long> { dataStart };
        byte[] window = new byte[MaxLine];
        for (int p = 1; p < parts; p++)
        {
            long guess = dataStart + ((length - dataStart) * p / parts);
            if (guess <= bounds[^1])
            {
                continue;
            }

            int read = RandomAccess.Read(handle, window, guess - 1);
            int newline = window.AsSpan(0, read).IndexOf((byte)'\n');
            if (newline < 0)
            {
                if (read < window.Length)
                {
                    break;
                }

                return [];
            }

            long next = guess + newline;
            if (next >= length)
            {
                break;
            }

            if (next > bounds[^1])
            {
                bounds.Add(next);
            }
        }

        bounds.Add(length);
        return [.. bounds];
    }

    /// <summary>The lines of a range: its line breaks, plus one for a last line without a break at the end of the file.</summary>
    private static long CountRows(SafeFileHandle handle, long from, long to)
    {
        byte[] buffer = new byte[BlockBytes];
        long rows = 0;
        byte last = (byte)'\n';
        for (long offset = from; offset < to;)
        {
            int read = RandomAccess.Read(handle, buffer.AsSpan(0, (int)Math.Min(buffer.Length, to - offset)), offset);
            if (read <= 0)
            {
                break;
            }

            rows += buffer.AsSpan(0, read).Count((byte)'\n');
            last = buffer[read - 1];
            offset += read;
        }

        return last == '\n' ? rows : rows + 1;
    }

    private static bool ParseRange(SafeFileHandle handle, long from, long to, Span<Rating> output, bool hasTimestamp, RatingScale scale)
    {
        byte[] buffer = new byte[BlockBytes + MaxLine];
        int carry = 0;
        int row = 0;
        long offset = from;
        while (true)
        {
            int read = offset < to
                ? RandomAccess.Read(handle, buffer.AsSpan(carry, (int)Math.Min(BlockBytes, to - offset)), offset)
                : 0;
            offset += read;
            int filled = carry + read;
            bool end = read == 0;
            ReadOnlySpan<byte> data = buffer.AsSpan(0, filled);
            int lineStart = 0;
            while (true)
            {
                int newline = data[lineStart..].IndexOf((byte)'\n');
                if (newline < 0)
                {
                    break;
                }

                if (row >= output.Length || !TryParseLine(data.Slice(lineStart, newline), hasTimestamp, scale, out output[row]))
                {
                    return false;
                }

                row++;
                lineStart += newline + 1;
            }

            carry = filled - lineStart;
            if (carry > MaxLine)
            {
                return false;
            }

            if (end)
            {
                if (carry > 0)
                {
                    if (row >= output.Length || !TryParseLine(data.Slice(lineStart, carry), hasTimestamp, scale, out output[row]))
                    {
                        return false;
                    }

                    row++;
                }

                return row == output.Length;
            }

            data.Slice(lineStart, carry).CopyTo(buffer);
        }
    }
}
