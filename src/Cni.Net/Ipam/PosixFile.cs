using System.Runtime.InteropServices;
using System.Text;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Cni.Net.Ipam;

/// <summary>
/// The few small-file operations of the store as plain syscalls: exact <c>open</c> flags and modes as the
/// reference plugin uses them, and no FileStream, buffer or lock object per reservation file.
/// </summary>
internal static unsafe class PosixFile
{
    public const int Mode0644 = 0x1A4;

    /// <summary>Creates a file that must not exist (<c>O_EXCL</c>) and writes <paramref name="content"/>.</summary>
    /// <returns>false when the file already exists.</returns>
    public static bool TryCreateExclusive(string path, ReadOnlySpan<byte> content)
    {
        int fd = Open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, Mode0644);
        if (fd < 0)
        {
            int error = errno;
            if (error == EEXIST)
            {
                return false;
            }
            throw Failure("create", path, error);
        }
        int writeError = WriteAll(fd, content);
        _ = close(fd);
        if (writeError != 0)
        {
            // A half-written reservation would block the address for good; the reference removes it too.
            _ = Unlink(path);
            throw Failure("write", path, writeError);
        }
        return true;
    }

    /// <summary>Creates or truncates a file and writes <paramref name="content"/> (as Go's os.WriteFile).</summary>
    public static void Write(string path, ReadOnlySpan<byte> content)
    {
        int fd = Open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, Mode0644);
        if (fd < 0)
        {
            throw Failure("open", path, errno);
        }
        int writeError = WriteAll(fd, content);
        _ = close(fd);
        if (writeError != 0)
        {
            throw Failure("write", path, writeError);
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

    private static Span<byte> ToCString(string path, Span<byte> buffer)
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
