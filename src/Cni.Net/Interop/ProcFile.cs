using System.Text;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Cni.Net.Interop;

/// <summary>
/// Small pseudo-files (<c>/proc/sys/net/…</c>, <c>/proc/net/psched</c>) read and written with one open, one read or
/// write and one close. A FileStream would add a stat, a shared flock and its buffering to each of the handful a
/// plugin touches per run.
/// </summary>
internal static unsafe class ProcFile
{
    private const int MaxLength = 4096;

    /// <summary>The file's text (UTF-8, at most 4 KiB).</summary>
    /// <exception cref="FileNotFoundException">It does not exist.</exception>
    /// <exception cref="UnauthorizedAccessException">Permission denied.</exception>
    /// <exception cref="IOException">open or read failed otherwise.</exception>
    public static string ReadText(string path)
    {
        int fd = Open(path, O_RDONLY | O_CLOEXEC);
        byte* buffer = stackalloc byte[MaxLength];
        int total = 0;
        try
        {
            while (total < MaxLength)
            {
                ssize_t n = read(fd, buffer + total, MaxLength - total);
                if ((long)n < 0)
                {
                    int error = errno;
                    if (error == EINTR)
                    {
                        continue;
                    }
                    throw Failure("read", path, error);
                }
                if ((long)n == 0)
                {
                    break;
                }
                total += (int)n;
            }
        }
        finally
        {
            _ = close(fd);
        }
        return Encoding.UTF8.GetString(buffer, total);
    }

    /// <summary>Writes <paramref name="content"/> to an existing file in one write (as a sysctl expects it).</summary>
    /// <returns>0, or the errno of a refused write (EINVAL for a value the kernel does not accept).</returns>
    /// <exception cref="FileNotFoundException">It does not exist.</exception>
    /// <exception cref="UnauthorizedAccessException">Permission denied.</exception>
    /// <exception cref="IOException">open failed otherwise.</exception>
    public static int WriteExisting(string path, ReadOnlySpan<byte> content)
    {
        int fd = Open(path, O_WRONLY | O_CLOEXEC);
        try
        {
            fixed (byte* p = content)
            {
                while (true)
                {
                    ssize_t n = write(fd, p, content.Length);
                    if ((long)n >= 0)
                    {
                        return (long)n == content.Length ? 0 : EIO;
                    }
                    int error = errno;
                    if (error != EINTR)
                    {
                        return error;
                    }
                }
            }
        }
        finally
        {
            _ = close(fd);
        }
    }

    /// <summary>The text of an errno, as in <c>Invalid argument</c>.</summary>
    public static string Describe(int error) => System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(error);

    private static int Open(string path, int flags)
    {
        int length = Encoding.UTF8.GetByteCount(path);
        Span<byte> utf8 = length < 1024 ? stackalloc byte[length + 1] : new byte[length + 1];
        Encoding.UTF8.GetBytes(path, utf8);
        utf8[length] = 0;
        fixed (byte* p = utf8)
        {
            while (true)
            {
                int fd = open(p, flags, 0);
                if (fd >= 0)
                {
                    return fd;
                }
                int error = errno;
                if (error != EINTR)
                {
                    throw Failure("open", path, error);
                }
            }
        }
    }

    private static Exception Failure(string call, string path, int error)
    {
        if (error == ENOENT || error == ENOTDIR)
        {
            return new FileNotFoundException($"{path} does not exist", path);
        }
        if (error == EACCES || error == EPERM)
        {
            return new UnauthorizedAccessException($"{call} {path}: {Describe(error)}");
        }
        return new IOException($"{call} {path}: {Describe(error)}", error);
    }
}
