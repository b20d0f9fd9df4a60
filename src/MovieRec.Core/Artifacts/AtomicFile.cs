namespace MovieRec.Core.Artifacts;

/// <summary>
/// Writes a file so that readers see the old content or the new, never a half-written one, and (file and directory
/// synced) so that after a power loss it holds the old content or the new, never an empty or partial file.
/// </summary>
public static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string? folder = Path.GetDirectoryName(full);
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }

        string temp = $"{full}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                Durable.Sync(stream);
            }

            File.Move(temp, full, overwrite: true);
            if (folder is not null)
            {
                Durable.SyncDirectory(folder);
            }
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    public static void WriteAllText(string path, string text) =>
        Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, leaveOpen: true);
            writer.Write(text);
        });
}
