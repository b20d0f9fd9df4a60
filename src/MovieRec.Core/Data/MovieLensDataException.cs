namespace MovieRec.Core.Data;

/// <summary>
/// A dataset could not be read. Where the problem is in one row, <see cref="FilePath"/>, <see cref="Line"/>,
/// <see cref="Column"/> and <see cref="Text"/> say where, and the message names them all.
/// </summary>
public sealed class MovieLensDataException : Exception
{
    public MovieLensDataException(string message)
        : base(message)
    {
    }

    public MovieLensDataException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public MovieLensDataException()
    {
    }

    private MovieLensDataException(string message, string filePath, long line, string column, string text)
        : base(message)
    {
        FilePath = filePath;
        Line = line;
        Column = column;
        Text = text;
    }

    public string? FilePath { get; }

    public long? Line { get; }

    public string? Column { get; }

    public string? Text { get; }

    /// <summary>An error in one field of one row.</summary>
    public static MovieLensDataException ForField(string filePath, long line, string column, string text, string problem) =>
        new($"{filePath}:{line}: column '{column}': {problem} (text: '{Shorten(text)}')", filePath, line, column, text);

    private static string Shorten(string text) => text.Length <= 80 ? text : string.Concat(text.AsSpan(0, 77), "...");
}
