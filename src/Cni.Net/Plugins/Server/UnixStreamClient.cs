using System.Runtime.InteropServices;
using System.Text;
using Cni.Net.Interop;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Cni.Net.Plugins.Server;

/// <summary>
/// The shim's connection to the plugin server: an AF_UNIX stream socket on plain system calls. System.Net.Sockets, at
/// first use, probes IPv6 support with a socket of its own and starts its asynchronous engine (an epoll thread): a
/// quarter of a shim process that lives for two milliseconds (perf), for one request and one answer.
/// </summary>
internal sealed unsafe class UnixStreamClient : IDisposable
{
    private readonly SafeFdHandle _handle;

    private UnixStreamClient(SafeFdHandle handle) => _handle = handle;

    /// <summary>A connection to <paramref name="path"/>, or null when nothing accepts one there.</summary>
    /// <exception cref="IOException">No socket could be made, or the path does not fit an AF_UNIX address.</exception>
    public static UnixStreamClient? TryConnect(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        sockaddr_un address = default;
        int length = Encoding.UTF8.GetByteCount(path);
        if (length == 0 || length >= 108)
        {
            throw new IOException($"'{path}' does not fit a unix socket address (1 to 107 bytes)");
        }
        address.sun_family = AF_UNIX;
        Encoding.UTF8.GetBytes(path, new Span<byte>(address.sun_path, 108));
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            int error = Marshal.GetLastSystemError();
            throw new IOException($"socket(AF_UNIX) failed: {Errno.Describe(error)} (errno {error})", error);
        }
        var handle = new SafeFdHandle(fd);
        int rc;
        do
        {
            rc = connect(fd, (sockaddr*)&address, (socklen_t)(sizeof(ushort) + length + 1));
        }
        while (rc < 0 && Marshal.GetLastSystemError() == EINTR);
        if (rc < 0)
        {
            // No socket file, refused, not permitted: for the runtime all mean "no server to ask".
            handle.Dispose();
            return null;
        }
        return new UnixStreamClient(handle);
    }

    /// <summary>Sends all of <paramref name="data"/>.</summary>
    /// <exception cref="IOException">The server closed the connection or send(2) failed.</exception>
    public void Send(ReadOnlySpan<byte> data)
    {
        fixed (byte* start = data)
        {
            int done = 0;
            while (done < data.Length)
            {
                // MSG_NOSIGNAL: a server that went away is an error to report, not a SIGPIPE that kills the shim.
                long n = (long)send(_handle.Fd, start + done, (size_t)(data.Length - done), MSG_NOSIGNAL);
                if (n < 0)
                {
                    int error = Marshal.GetLastSystemError();
                    if (error == EINTR)
                    {
                        continue;
                    }
                    throw new IOException($"send to the plugin server failed: {Errno.Describe(error)} (errno {error})", error);
                }
                done += (int)n;
            }
        }
    }

    /// <summary>Receives into <paramref name="buffer"/>: the count received, 0 at the end of the stream.</summary>
    /// <exception cref="IOException">recv(2) failed.</exception>
    public int Receive(Span<byte> buffer)
    {
        fixed (byte* start = buffer)
        {
            while (true)
            {
                long n = (long)recv(_handle.Fd, start, (size_t)buffer.Length, 0);
                if (n >= 0)
                {
                    return (int)n;
                }
                int error = Marshal.GetLastSystemError();
                if (error != EINTR)
                {
                    throw new IOException($"receive from the plugin server failed: {Errno.Describe(error)} (errno {error})", error);
                }
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _handle.Dispose();
}
