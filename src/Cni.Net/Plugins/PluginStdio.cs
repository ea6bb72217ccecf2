using System.Buffers;
using Cni.Net.Interop;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Cni.Net.Plugins;

/// <summary>
/// The plugin's stdin and stdout as plain file descriptors 0 and 1. <see cref="Console"/> streams would set up the
/// terminal and signal handling (a thread, a pipe, SIGINT/SIGQUIT/SIGCONT handlers) and the console encodings on
/// first use — work a plugin that reads one document and writes one never needs.
/// </summary>
internal static unsafe class PluginStdio
{
    private const int StdinFd = 0;
    private const int StdoutFd = 1;

    /// <summary>Reads stdin to its end.</summary>
    /// <exception cref="IOException">read(2) failed.</exception>
    public static byte[] ReadStdin()
    {
        if (StandardDescriptors.WasClosedAtStart(StdinFd))
        {
            // Now /dev/null, which would read as an empty config: report what the process was given.
            throw new IOException($"reading stdin failed: errno {EBADF}", EBADF);
        }
        var buffer = new ArrayBufferWriter<byte>(16 * 1024);
        while (true)
        {
            // Whatever room is left: asking for 16 KiB again after a short config's first read would double the
            // buffer (a second, zeroed allocation and a copy) only to read the end of the stream into it.
            Span<byte> free = buffer.GetSpan();
            ssize_t n;
            fixed (byte* p = free)
            {
                n = read(StdinFd, p, free.Length);
            }
            if ((long)n < 0)
            {
                int error = errno;
                if (error == EINTR)
                {
                    continue;
                }
                throw new IOException($"reading stdin failed: errno {error}", error);
            }
            if ((long)n == 0)
            {
                return buffer.WrittenSpan.ToArray();
            }
            buffer.Advance((int)n);
        }
    }

    /// <summary>Writes all of <paramref name="data"/> to stdout.</summary>
    /// <exception cref="IOException">write(2) failed (EPIPE when the runtime closed its end).</exception>
    public static void WriteStdout(ReadOnlySpan<byte> data)
    {
        if (StandardDescriptors.WasClosedAtStart(StdoutFd))
        {
            throw new IOException($"writing stdout failed: errno {EBADF}", EBADF);
        }
        fixed (byte* start = data)
        {
            int done = 0;
            while (done < data.Length)
            {
                ssize_t n = write(StdoutFd, start + done, data.Length - done);
                if ((long)n < 0)
                {
                    int error = errno;
                    if (error == EINTR)
                    {
                        continue;
                    }
                    throw new IOException($"writing stdout failed: errno {error}", error);
                }
                done += (int)n;
            }
        }
    }
}
