namespace MovieRec.Core.Data;

/// <summary>
/// Passes a file's bytes through and fails with a <c>file:line</c> error as soon as one line grows past
/// <see cref="MaxLineBytes"/>, so a hostile file (a gigabyte of NULs, a run of digits without a line break) costs one
/// buffer, not its size, before the reader stops. Counting the line breaks is a vectorized search over bytes already read.
/// </summary>
internal sealed class LineCappedStream(Stream inner, string path, int maxLineBytes = LineCappedStream.MaxLineBytes) : Stream
{
    /// <summary>The longest line any MovieLens reader accepts; real rows are well under 1 KiB.</summary>
    public const int MaxLineBytes = 64 * 1024;

    private long _line = 1;
    private long _lineLength;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>The error for a line longer than <paramref name="maxLineBytes"/>.</summary>
    public static MovieLensDataException TooLong(string path, long line, int maxLineBytes = MaxLineBytes) =>
        new($"{path}:{line}: line is longer than {maxLineBytes / 1024} KiB, so this is not a MovieLens file " +
            "(a binary file, or one with its line breaks stripped?).");

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int read = inner.Read(buffer);
        ReadOnlySpan<byte> rest = buffer[..read];
        while (!rest.IsEmpty)
        {
            int newline = rest.IndexOf((byte)'\n');
            if (newline < 0)
            {
                _lineLength += rest.Length;
                break;
            }

            _lineLength += newline;
            Check();
            _line++;
            _lineLength = 0;
            rest = rest[(newline + 1)..];
        }

        Check();
        return read;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private void Check()
    {
        // A CR before the LF is part of the line break, not of the line.
        if (_lineLength > maxLineBytes + 1)
        {
            throw TooLong(path, _line, maxLineBytes);
        }
    }
}
