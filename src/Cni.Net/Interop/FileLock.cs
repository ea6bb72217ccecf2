using System.Runtime.InteropServices;
using System.Text;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Cni.Net.Interop;

/// <summary>
/// An exclusive <c>flock(2)</c> on a lock file, held until disposed. The reference plugin (go-filemutex) locks the
/// same file the same way, so the two serialise against each other; POSIX <c>fcntl</c> locks would not.
/// </summary>
internal sealed unsafe partial class FileLock : IDisposable
{
    // Go's filemutex creates the file with these permissions; keeping them leaves an identical directory behind.
    private const int LockFileMode = 0x1E8; // 0750
    private const int LOCK_EX = 2;
    private const int LOCK_UN = 8;

    private int _fd;

    private FileLock(int fd) => _fd = fd;

    public static FileLock Acquire(string path)
    {
        int byteCount = Encoding.UTF8.GetByteCount(path);
        Span<byte> utf8 = byteCount < 512 ? stackalloc byte[byteCount + 1] : new byte[byteCount + 1];
        Encoding.UTF8.GetBytes(path, utf8);
        utf8[byteCount] = 0;
        int fd;
        fixed (byte* p = utf8)
        {
            do
            {
                fd = open(p, O_CREAT | O_RDONLY | O_CLOEXEC, (mode_t)LockFileMode);
            }
            while (fd < 0 && errno == EINTR);
        }
        if (fd < 0)
        {
            throw new IOException($"cannot open lock file {path}: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
        int rc;
        do
        {
            rc = Syscalls.flock(fd, LOCK_EX);
        }
        while (rc < 0 && Marshal.GetLastPInvokeError() == EINTR);
        if (rc < 0)
        {
            int error = Marshal.GetLastPInvokeError();
            _ = close(fd);
            throw new IOException($"cannot lock {path}: {Marshal.GetPInvokeErrorMessage(error)}");
        }
        return new FileLock(fd);
    }

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            // Closing the descriptor drops the lock as well; unlocking first keeps the order obvious.
            _ = Syscalls.flock(fd, LOCK_UN);
            _ = close(fd);
        }
    }
}
