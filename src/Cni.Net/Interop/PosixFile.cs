using System.Runtime.InteropServices;
using System.Text;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Cni.Net.Interop;

/// <summary>
/// The few small-file operations of the host-local store and the result cache as plain syscalls: exact <c>open</c>
/// flags and modes as the reference plugin uses them, and no FileStream, buffer or lock object per file (a FileStream
/// adds an <c>fstatfs</c>, two <c>flock</c>s and an <c>lseek</c> to every small write).
/// </summary>
internal static unsafe class PosixFile
{
    public const int Mode0644 = 0x1A4;

    /// <summary>Creates a file that must not exist, with <paramref name="content"/>.</summary>
    /// <remarks>
    /// The content is written into an unnamed file of the directory (<c>O_TMPFILE</c>) that is then linked in as
    /// <paramref name="path"/>: <c>linkat</c> fails with EEXIST as <c>O_EXCL</c> does, the file appears with its content
    /// or not at all, and a writer killed midway leaves nothing. With create-then-write, a writer killed in between left
    /// an empty reservation that blocked its address and that no DEL matched. Where the file system has no unnamed
    /// files, or no <c>/proc</c> names them, the content goes under a temporary name (<see cref="IsTemporary"/>) linked
    /// in the same way; one a killed writer leaves is removed by the store's next scan (<see cref="Ipam.HostLocalStore"/>).
    /// </remarks>
    /// <returns>false when the file already exists.</returns>
    public static bool TryCreateExclusive(string path, ReadOnlySpan<byte> content)
    {
        string directory = Path.GetDirectoryName(path) ?? ".";
        int fd = Open(directory, O_TMPFILE | O_WRONLY | O_CLOEXEC, Mode0644);
        if (fd < 0)
        {
            int openError = errno;
            return LacksUnnamedFiles(openError)
                ? TryCreateExclusiveThroughTemporary(path, content)
                : throw Failure("create a file in", directory, openError);
        }
        try
        {
            int writeError = WriteAll(fd, content);
            if (writeError != 0)
            {
                throw Failure("write", path, writeError);
            }
            int linkError = LinkIn(UnnamedPath(fd), path);
            if (linkError == 0 || linkError == EEXIST)
            {
                return linkError == 0;
            }
            // No /proc to name the unnamed file by.
            return linkError == ENOENT && Directory.Exists(directory)
                ? TryCreateExclusiveThroughTemporary(path, content)
                : throw Failure("create", path, linkError);
        }
        finally
        {
            _ = close(fd);
        }
    }

    /// <summary><see cref="TryCreateExclusive"/> through a named temporary, where unnamed files cannot be had.</summary>
    internal static bool TryCreateExclusiveThroughTemporary(string path, ReadOnlySpan<byte> content)
    {
        string temp = TemporaryName(path);
        int fd = Open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, Mode0644);
        if (fd < 0)
        {
            throw Failure("create", temp, errno);
        }
        int writeError = WriteAll(fd, content);
        _ = close(fd);
        if (writeError != 0)
        {
            _ = Unlink(temp);
            throw Failure("write", temp, writeError);
        }
        int rc = Syscalls.link(temp, path);
        int error = rc == 0 ? 0 : Marshal.GetLastPInvokeError();
        _ = Unlink(temp);
        if (rc == 0)
        {
            return true;
        }
        if (error == EEXIST)
        {
            return false;
        }
        throw Failure("create", path, error);
    }

    /// <summary>Whether a file name, as a directory entry spells it, is one of <see cref="TryCreateExclusive"/>'s temporaries.</summary>
    public static bool IsTemporary(ReadOnlySpan<byte> fileName) =>
        fileName.Length > TemporarySuffix.Length && fileName[0] == (byte)'.'
        && Ascii.Equals(fileName[^TemporarySuffix.Length..], TemporarySuffix);

    // A suffix no other writer of the store uses (a ".tmp" file there may be anybody's and is left alone).
    private const string TemporarySuffix = ".cni-net-reserving";

    private static string TemporaryName(string path) =>
        Path.Combine(Path.GetDirectoryName(path) ?? ".", $".{Path.GetFileName(path)}.{Environment.ProcessId}{TemporarySuffix}");

    /// <summary>
    /// Makes <paramref name="content"/> the whole of <paramref name="path"/> so that a reader sees the old bytes or the
    /// new ones, never a torn file, and a writer killed midway leaves nothing: the bytes go into an unnamed file of the
    /// directory (<c>O_TMPFILE</c>), which is linked in as <paramref name="path"/>; where the path exists it is linked
    /// as <paramref name="temporary"/> and renamed over it. A <paramref name="temporary"/> left by a writer killed
    /// between those two steps is replaced by the next writer and is the caller's to remove with the file.
    /// </summary>
    /// <returns>false when the directory does not exist (nothing was written).</returns>
    public static bool TryReplace(string path, string temporary, ReadOnlySpan<byte> content, int mode)
    {
        string directory = Path.GetDirectoryName(path) ?? ".";
        int fd = Open(directory, O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
        if (fd < 0)
        {
            int openError = errno;
            if (openError == ENOENT)
            {
                return false;
            }
            // A file system without unnamed files.
            return LacksUnnamedFiles(openError)
                ? TryReplaceThroughTemporary(path, temporary, content, mode)
                : throw Failure("create a file in", directory, openError);
        }
        try
        {
            int error = WriteAll(fd, content);
            if (error != 0)
            {
                throw Failure("write", path, error);
            }
            string unnamed = UnnamedPath(fd);
            if (LinkIn(unnamed, path) is int linkError and not 0)
            {
                if (linkError == ENOENT)
                {
                    // No /proc to name the unnamed file by.
                    return TryReplaceThroughTemporary(path, temporary, content, mode);
                }
                if (linkError != EEXIST)
                {
                    throw Failure("create", path, linkError);
                }
                // Replacing: a complete file under the temporary name (one already there is a killed writer's, or a
                // racing writer's, complete as well), then renamed over the path.
                linkError = LinkIn(unnamed, temporary);
                if (linkError == EEXIST)
                {
                    _ = Unlink(temporary);
                    linkError = LinkIn(unnamed, temporary);
                }
                if (linkError != 0)
                {
                    throw Failure("create", temporary, linkError);
                }
                if (Syscalls.rename(temporary, path) != 0)
                {
                    int renameError = Marshal.GetLastPInvokeError();
                    _ = Unlink(temporary);
                    throw Failure("replace", path, renameError);
                }
            }
            return true;
        }
        finally
        {
            _ = close(fd);
        }
    }

    /// <summary>
    /// <see cref="TryReplace"/> where the file system has no unnamed files: written under
    /// <paramref name="temporary"/> (replacing one a killed writer left) and renamed over the path.
    /// </summary>
    internal static bool TryReplaceThroughTemporary(string path, string temporary, ReadOnlySpan<byte> content, int mode)
    {
        int fd = Open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        if (fd < 0 && errno == EEXIST)
        {
            _ = Unlink(temporary);
            fd = Open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        }
        if (fd < 0)
        {
            int openError = errno;
            return openError == ENOENT ? false : throw Failure("create", temporary, openError);
        }
        int error = WriteAll(fd, content);
        _ = close(fd);
        if (error == 0 && Syscalls.rename(temporary, path) != 0)
        {
            error = Marshal.GetLastPInvokeError();
        }
        if (error != 0)
        {
            _ = Unlink(temporary);
            throw Failure("write", path, error);
        }
        return true;
    }

    // O_TMPFILE is __O_TMPFILE | O_DIRECTORY; __O_TMPFILE has the same value on every architecture .NET runs on.
    private static readonly int O_TMPFILE = 0x400000 | LibC.O_DIRECTORY;
    private const int AtFdCwd = -100;
    private const int AtSymlinkFollow = 0x400;

    // What open(O_TMPFILE) answers where the file system (EOPNOTSUPP) or the kernel (EISDIR, EINVAL) has no unnamed files.
    private static bool LacksUnnamedFiles(int openError) => openError == EOPNOTSUPP || openError == EISDIR || openError == EINVAL;

    // The name /proc gives an unnamed file, which linkat with AT_SYMLINK_FOLLOW links in without CAP_DAC_READ_SEARCH.
    private static string UnnamedPath(int fd) => "/proc/self/fd/" + fd.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <returns>0, or the errno of <c>linkat</c>.</returns>
    private static int LinkIn(string unnamed, string path) =>
        Syscalls.linkat(AtFdCwd, unnamed, AtFdCwd, path, AtSymlinkFollow) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>Makes <paramref name="content"/> the whole of a small file, creating it when missing.</summary>
    /// <remarks>
    /// Written over the old bytes and then cut to length, not truncated first as Go's os.WriteFile does: ext4 (with its
    /// default auto_da_alloc) starts writing a file back when it is closed after a truncation to zero, and the next
    /// truncation waits: 145–167 µs per write on the CI machine's ext4 against 8–10 µs in place, and an exec'd bridge
    /// ADD (which waits for host-local) 0.9 ms faster. A writer killed halfway leaves a torn
    /// address, which readers of <c>last_reserved_ip</c> (ours and the reference's) treat as no address: it is only where
    /// the next search starts.
    /// </remarks>
    public static void Overwrite(string path, ReadOnlySpan<byte> content)
    {
        int fd = Open(path, O_WRONLY | O_CREAT | O_CLOEXEC, Mode0644);
        if (fd < 0)
        {
            throw Failure("open", path, errno);
        }
        // A fresh descriptor writes from offset 0: over the old bytes.
        int error = WriteAll(fd, content);
        if (error == 0 && ftruncate(fd, content.Length) != 0)
        {
            error = errno;
        }
        _ = close(fd);
        if (error != 0)
        {
            throw Failure("write", path, error);
        }
    }

    /// <summary>Reads up to <c>buffer.Length</c> bytes.</summary>
    /// <returns>The byte count, or -1 when the file does not exist.</returns>
    public static int Read(string path, Span<byte> buffer)
    {
        int fd = Open(path, O_RDONLY | O_CLOEXEC, 0);
        if (fd < 0)
        {
            int error = errno;
            if (error == ENOENT)
            {
                return -1;
            }
            throw Failure("open", path, error);
        }
        int total = 0;
        fixed (byte* p = buffer)
        {
            while (total < buffer.Length)
            {
                ssize_t n = read(fd, p + total, buffer.Length - total);
                if (n < 0)
                {
                    int error = errno;
                    if (error == EINTR)
                    {
                        continue;
                    }
                    _ = close(fd);
                    throw Failure("read", path, error);
                }
                if (n == 0)
                {
                    break;
                }
                total += (int)n;
            }
        }
        _ = close(fd);
        return total;
    }

    /// <summary>Reads the last <c>buffer.Length</c> bytes of a file.</summary>
    /// <returns>Whether the file exists, can be read and holds at least that many bytes.</returns>
    public static bool TryReadTail(string path, Span<byte> buffer)
    {
        int fd = Open(path, O_RDONLY | O_CLOEXEC, 0);
        if (fd < 0)
        {
            return false;
        }
        bool complete = false;
        if (lseek(fd, -buffer.Length, SEEK_END) >= 0)
        {
            fixed (byte* p = buffer)
            {
                ssize_t n;
                do
                {
                    n = read(fd, p, buffer.Length);
                }
                while (n < 0 && errno == EINTR);
                complete = n == buffer.Length;
            }
        }
        _ = close(fd);
        return complete;
    }

    /// <summary>Removes a file of <paramref name="directory"/> (from <see cref="OpenDirectory"/>) named as the kernel spells it.</summary>
    /// <returns>false when it did not exist.</returns>
    /// <exception cref="ArgumentException">The name does not end with its NUL.</exception>
    /// <exception cref="IOException">It exists and cannot be removed.</exception>
    public static bool UnlinkAt(int directory, ReadOnlySpan<byte> nameWithNul)
    {
        if (nameWithNul.IsEmpty || nameWithNul[^1] != 0)
        {
            throw new ArgumentException("the name must end with its NUL", nameof(nameWithNul));
        }
        fixed (byte* p = nameWithNul)
        {
            if (Syscalls.unlinkat(directory, p, 0) == 0)
            {
                return true;
            }
        }
        int error = Marshal.GetLastPInvokeError();
        return error == ENOENT ? false : throw Failure("remove", NameOf(nameWithNul), error);
    }

    /// <summary>Opens a directory whose small files <see cref="ReadSmallAt"/> reads.</summary>
    /// <returns>The descriptor; the caller closes it.</returns>
    public static int OpenDirectory(string path)
    {
        int fd = Open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
        return fd >= 0 ? fd : throw Failure("open", path, errno);
    }

    /// <summary>
    /// Reads a small regular file of <paramref name="directory"/> (from <see cref="OpenDirectory"/>): opened relative
    /// to it, so the kernel looks up one name rather than every component of the path, and read once, as a short read
    /// of a regular file is its end. The store's scan reads every reservation this way, with the names
    /// <see cref="DirectoryEntryReader"/> gives.
    /// </summary>
    /// <param name="directory">The directory's descriptor.</param>
    /// <param name="nameWithNul">The file's name in the kernel's spelling, its NUL included.</param>
    /// <param name="buffer">Where the content goes.</param>
    /// <returns>The byte count (<c>buffer.Length</c> when the file may be longer), or -1 when it does not exist or is a directory.</returns>
    /// <exception cref="ArgumentException">The name does not end with its NUL.</exception>
    public static int ReadSmallAt(int directory, ReadOnlySpan<byte> nameWithNul, Span<byte> buffer)
    {
        if (nameWithNul.IsEmpty || nameWithNul[^1] != 0)
        {
            throw new ArgumentException("the name must end with its NUL", nameof(nameWithNul));
        }
        int fd;
        fixed (byte* p = nameWithNul)
        {
            do
            {
                fd = Syscalls.openat(directory, p, O_RDONLY | O_CLOEXEC, 0);
            }
            while (fd < 0 && Marshal.GetLastPInvokeError() == EINTR);
        }
        if (fd < 0)
        {
            int error = Marshal.GetLastPInvokeError();
            return error == ENOENT ? -1 : throw Failure("open", NameOf(nameWithNul), error);
        }
        try
        {
            fixed (byte* p = buffer)
            {
                while (true)
                {
                    ssize_t n = read(fd, p, buffer.Length);
                    if (n >= 0)
                    {
                        return (int)n;
                    }
                    int error = errno;
                    if (error == EISDIR)
                    {
                        // A directory among the files (a file system without d_type, or a symbolic link to one).
                        return -1;
                    }
                    if (error != EINTR)
                    {
                        throw Failure("read", NameOf(nameWithNul), error);
                    }
                }
            }
        }
        finally
        {
            _ = close(fd);
        }
    }

    private static string NameOf(ReadOnlySpan<byte> nameWithNul) =>
        Encoding.UTF8.GetString(nameWithNul.IndexOf((byte)0) is int nul and >= 0 ? nameWithNul[..nul] : nameWithNul);

    /// <summary>Removes a file.</summary>
    /// <returns>false when it did not exist.</returns>
    public static bool Unlink(string path)
    {
        int rc;
        Span<byte> utf8 = stackalloc byte[MaxStackPath];
        fixed (byte* p = ToCString(path, utf8))
        {
            rc = unlink(p);
        }
        if (rc == 0)
        {
            return true;
        }
        int error = errno;
        if (error == ENOENT)
        {
            return false;
        }
        throw Failure("remove", path, error);
    }

    private const int MaxStackPath = 512;

    private static int Open(string path, int flags, int mode)
    {
        Span<byte> utf8 = stackalloc byte[MaxStackPath];
        fixed (byte* p = ToCString(path, utf8))
        {
            int fd;
            do
            {
                fd = open(p, flags, (mode_t)mode);
            }
            while (fd < 0 && errno == EINTR);
            return fd;
        }
    }

    private static Span<byte> ToCString(ReadOnlySpan<char> path, Span<byte> buffer)
    {
        int length = Encoding.UTF8.GetByteCount(path);
        if (length + 1 > buffer.Length)
        {
            buffer = new byte[length + 1];
        }
        Encoding.UTF8.GetBytes(path, buffer);
        buffer[length] = 0;
        return buffer;
    }

    private static int WriteAll(int fd, ReadOnlySpan<byte> content)
    {
        fixed (byte* p = content)
        {
            int done = 0;
            while (done < content.Length)
            {
                ssize_t n = write(fd, p + done, content.Length - done);
                if (n < 0)
                {
                    int error = errno;
                    if (error == EINTR)
                    {
                        continue;
                    }
                    return error;
                }
                done += (int)n;
            }
        }
        return 0;
    }

    private static IOException Failure(string what, string path, int error) =>
        new($"cannot {what} {path}: {Marshal.GetPInvokeErrorMessage(error)}", error);
}
