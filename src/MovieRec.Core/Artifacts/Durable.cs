using System.ComponentModel;
using System.Runtime.InteropServices;

namespace MovieRec.Core.Artifacts;

/// <summary>
/// Forces written files and directory entries to disk, so that after a power loss a renamed pointer never names data
/// that is still only in the page cache. .NET flushes files (<see cref="FileStream.Flush(bool)"/>) but cannot open a
/// directory, so directories are synced through the C library on Linux and macOS (Windows has no directory fsync and
/// makes renames durable itself).
/// </summary>
internal static class Durable
{
    private const int ReadOnly = 0;

    /// <summary>Test hook: every synced path, in order (file or directory).</summary>
    internal static event Action<string>? Synced;

    /// <summary>Flushes a written stream to disk.</summary>
    public static void Sync(FileStream stream)
    {
        stream.Flush(flushToDisk: true);
        Synced?.Invoke(stream.Name);
    }

    /// <summary>Flushes a file already written and closed.</summary>
    public static void SyncFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        Sync(stream);
    }

    /// <summary>Makes the entries of a directory (files created, renamed or removed in it) durable.</summary>
    public static void SyncDirectory(string path)
    {
        string full = Path.GetFullPath(path);
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD())
        {
            int fd = Open(full, ReadOnly);
            if (fd < 0)
            {
                throw new IOException($"Could not open directory {full} to sync it: {new Win32Exception(Marshal.GetLastPInvokeError()).Message}");
            }

            try
            {
                if (FSync(fd) != 0)
                {
                    int error = Marshal.GetLastPInvokeError();

                    // Some file systems cannot sync a directory (EINVAL); there is nothing more to do on those.
                    const int Einval = 22;
                    if (error != Einval)
                    {
                        throw new IOException($"Could not sync directory {full}: {new Win32Exception(error).Message}");
                    }
                }
            }
            finally
            {
                _ = Close(fd);
            }
        }

        Synced?.Invoke(Path.TrimEndingDirectorySeparator(full));
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int FSync(int fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}
