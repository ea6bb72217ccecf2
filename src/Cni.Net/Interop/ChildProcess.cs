using System.Buffers;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Cni.Net.Interop;

/// <summary>How a <see cref="ChildProcess.Pump"/> ended.</summary>
internal enum ChildOutcome
{
    /// <summary>stdout and stderr reached end of file and the process exited.</summary>
    Finished,

    /// <summary>The timeout passed first.</summary>
    TimedOut,

    /// <summary>The caller's token was cancelled first.</summary>
    Cancelled,

    /// <summary>stdout grew past its limit.</summary>
    TooLarge,
}

/// <summary>
/// The library's one way to start a program (plugins, IPAM delegates, iptables-restore, nft): posix_spawn with an
/// argument vector and a whole environment — never a shell — in a process group of its own, so a timeout, a
/// cancellation or too much output kills everything it started. stdin is fed from memory, stdout collected up to a
/// limit, stderr kept (bounded), all over non-blocking pipes driven by one poll(2) loop on the calling thread: no
/// thread pool, socket engine or timer, which a plugin process would pay for at every exec.
/// </summary>
/// <remarks>
/// The child is spawned by the calling thread, so it starts in that thread's network namespace. Use:
/// <see cref="TryStart"/>, optionally <see cref="FeedStdin"/> and other work, <see cref="Pump"/>, then always
/// <see cref="Finish"/> (closes the pipes, kills the group unless it finished, reaps the process).
/// </remarks>
internal sealed unsafe class ChildProcess : IDisposable
{
    private const int CancellationPollMs = 100;
    private const int SYS_pidfd_open = 434;

    // Not ArrayPool<byte>.Shared: its arrays are cached per thread, and a runtime pumps each child on a thread of its
    // own that ends with the run — what it returned there would never be rented again.
    private static readonly ArrayPool<byte> s_outputPool = ArrayPool<byte>.Create(maxArrayLength: 1024 * 1024, maxArraysPerBucket: 32);

    private readonly ReadOnlyMemory<byte> _stdin;
    private readonly int _maxStdoutBytes;
    private int _stdinFd;
    private int _stdoutFd;
    private int _stderrFd;
    private int _pidFd;
    private int _stdinWritten;
    private bool _exited;
    private ChildExit? _exit;
    private byte[] _stdout = [];
    private int _stdoutLength;

    private ChildProcess(int pid, int stdinFd, int stdoutFd, int stderrFd, ReadOnlyMemory<byte> stdin, int maxStdoutBytes, int maxStderrBytes)
    {
        Pid = pid;
        StartedTimestamp = Stopwatch.GetTimestamp();
        _stdinFd = stdinFd;
        _stdoutFd = stdoutFd;
        _stderrFd = stderrFd;
        _stdin = stdin;
        _maxStdoutBytes = maxStdoutBytes;
        Stderr = new BoundedTextCollector(maxStderrBytes);
        // A pidfd lets the loop wait for the exit too, under the same deadline (Linux 5.3+; without one the exit is
        // awaited after the pipes close).
        _pidFd = (int)ProcessInterop.syscall(SYS_pidfd_open, pid, 0);
    }

    public int Pid { get; }

    /// <summary>When the process was started (<see cref="Stopwatch.GetTimestamp"/>).</summary>
    public long StartedTimestamp { get; }

    /// <summary>What the process wrote to stdout so far (in a pooled buffer: valid until <see cref="Dispose"/>).</summary>
    public ReadOnlyMemory<byte> Stdout => _stdout.AsMemory(0, _stdoutLength);

    /// <summary>What the process wrote to stderr (its first bytes, up to the limit).</summary>
    public BoundedTextCollector Stderr { get; }

    /// <summary>
    /// Starts <paramref name="path"/> (used as given: no PATH search) with argv <c>[path, ..arguments]</c> and exactly
    /// <paramref name="environment"/>, with default signal dispositions and an empty mask (.NET ignores SIGPIPE, and
    /// ignored signals survive exec: the program gets what a shell would give it).
    /// </summary>
    /// <returns>The process, or null with the errno posix_spawn answered (ENOENT, EACCES, ETXTBSY…).</returns>
    /// <exception cref="IOException">No pipe could be made.</exception>
    /// <exception cref="ArgumentException">A string holds a NUL character.</exception>
    public static ChildProcess? TryStart(string path, IReadOnlyList<string> arguments, IReadOnlyList<string> environment,
        ReadOnlyMemory<byte> stdin, int maxStdoutBytes, int maxStderrBytes, out int error)
    {
        using var native = new NativeSpawnArguments(path, arguments, environment);
        // Three pipes: the child reads [0] and writes [3] and [5]; we write [1] and read [2] and [4].
        int* fds = stackalloc int[6];
        new Span<int>(fds, 6).Fill(-1);
        bool started = false;
        try
        {
            for (int i = 0; i < 6; i += 2)
            {
                if (ProcessInterop.pipe2(fds + i, ProcessInterop.O_CLOEXEC) != 0)
                {
                    throw new IOException($"pipe2 failed: errno {Marshal.GetLastPInvokeError()}");
                }
            }
            // Our ends never block: the loop polls them.
            _ = ProcessInterop.fcntl(fds[1], ProcessInterop.F_SETFL, ProcessInterop.O_NONBLOCK);
            _ = ProcessInterop.fcntl(fds[2], ProcessInterop.F_SETFL, ProcessInterop.O_NONBLOCK);
            _ = ProcessInterop.fcntl(fds[4], ProcessInterop.F_SETFL, ProcessInterop.O_NONBLOCK);

            error = ProcessInterop.SpawnInOwnProcessGroup(out int pid, native.Path, native.Argv, native.Envp, fds[0], fds[3], fds[5]);
            if (error != 0)
            {
                return null;
            }
            started = true;
            return new ChildProcess(pid, fds[1], fds[2], fds[4], stdin, maxStdoutBytes, maxStderrBytes);
        }
        finally
        {
            for (int i = 0; i < 6; i++)
            {
                bool childEnd = i is 0 or 3 or 5;
                if (fds[i] >= 0 && (childEnd || !started))
                {
                    _ = Syscalls.close(fds[i]);
                }
            }
        }
    }

    /// <summary>A non-blocking write of what the pipe takes; closes stdin once all of it is written or the process stopped reading.</summary>
    public void FeedStdin()
    {
        ReadOnlySpan<byte> input = _stdin.Span;
        while (_stdinFd >= 0)
        {
            if (_stdinWritten == input.Length)
            {
                CloseIfOpen(ref _stdinFd);
                return;
            }
            long n;
            fixed (byte* p = input)
            {
                n = ProcessInterop.write(_stdinFd, p + _stdinWritten, (nuint)(input.Length - _stdinWritten));
            }
            if (n > 0)
            {
                _stdinWritten += (int)n;
                continue;
            }
            int errno = Marshal.GetLastPInvokeError();
            if (n < 0 && errno == Errno.EINTR)
            {
                continue;
            }
            if (n < 0 && errno != Errno.EAGAIN)
            {
                // The process closed its stdin early (EPIPE): its exit status and output tell the story.
                CloseIfOpen(ref _stdinFd);
            }
            return;
        }
    }

    /// <summary>
    /// Feeds stdin and reads stdout and stderr until both reach end of file and the process exited, or
    /// <paramref name="timeout"/> (from the start; <see cref="Timeout.InfiniteTimeSpan"/> for none) passes, or the
    /// token is cancelled (seen within 100 ms), or stdout outgrows its limit.
    /// </summary>
    /// <exception cref="IOException">poll failed.</exception>
    public ChildOutcome Pump(TimeSpan timeout, CancellationToken cancellationToken)
    {
        Span<byte> scratch = stackalloc byte[4096];
        ProcessInterop.PollFd* fds = stackalloc ProcessInterop.PollFd[4];
        bool unlimited = timeout == Timeout.InfiniteTimeSpan;
        while (_stdoutFd >= 0 || _stderrFd >= 0 || (_pidFd >= 0 && !_exited))
        {
            long remainingMs = unlimited ? int.MaxValue
                : (long)Math.Ceiling((timeout - Stopwatch.GetElapsedTime(StartedTimestamp)).TotalMilliseconds);
            if (remainingMs <= 0)
            {
                return ChildOutcome.TimedOut;
            }
            if (cancellationToken.IsCancellationRequested)
            {
                return ChildOutcome.Cancelled;
            }
            int wait = (int)Math.Min(remainingMs, cancellationToken.CanBeCanceled ? CancellationPollMs : int.MaxValue);
            if (unlimited && !cancellationToken.CanBeCanceled)
            {
                wait = -1;
            }
            int count = 0;
            int stdinSlot = -1, stdoutSlot = -1, stderrSlot = -1, pidSlot = -1;
            if (_stdinFd >= 0)
            {
                stdinSlot = count;
                fds[count++] = new ProcessInterop.PollFd { fd = _stdinFd, events = ProcessInterop.POLLOUT };
            }
            if (_stdoutFd >= 0)
            {
                stdoutSlot = count;
                fds[count++] = new ProcessInterop.PollFd { fd = _stdoutFd, events = ProcessInterop.POLLIN };
            }
            if (_stderrFd >= 0)
            {
                stderrSlot = count;
                fds[count++] = new ProcessInterop.PollFd { fd = _stderrFd, events = ProcessInterop.POLLIN };
            }
            if (_pidFd >= 0 && !_exited)
            {
                pidSlot = count;
                fds[count++] = new ProcessInterop.PollFd { fd = _pidFd, events = ProcessInterop.POLLIN };
            }
            int ready = ProcessInterop.poll(fds, (ulong)count, wait);
            if (ready < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.EINTR)
                {
                    continue;
                }
                throw new IOException($"poll failed: errno {errno}");
            }
            if (stdinSlot >= 0 && fds[stdinSlot].revents != 0)
            {
                FeedStdin();
            }
            if (stdoutSlot >= 0 && fds[stdoutSlot].revents != 0)
            {
                int n = ReadSome(ref _stdoutFd, StdoutSpace());
                if (n > 0)
                {
                    _stdoutLength += n;
                    if (_stdoutLength > _maxStdoutBytes)
                    {
                        return ChildOutcome.TooLarge;
                    }
                }
            }
            if (stderrSlot >= 0 && fds[stderrSlot].revents != 0)
            {
                int n = ReadSome(ref _stderrFd, scratch);
                if (n > 0)
                {
                    Stderr.Append(scratch[..n]);
                }
            }
            if (pidSlot >= 0 && fds[pidSlot].revents != 0)
            {
                // Exited (not yet reaped: Finish does that).
                _exited = true;
            }
        }
        return ChildOutcome.Finished;
    }

    /// <summary>
    /// Closes the pipes, kills the process group unless <paramref name="outcome"/> is <see cref="ChildOutcome.Finished"/>,
    /// and reaps the process.
    /// </summary>
    public ChildExit Finish(ChildOutcome outcome)
    {
        if (_exit is { } reaped)
        {
            return reaped;
        }
        CloseIfOpen(ref _stdinFd);
        CloseIfOpen(ref _stdoutFd);
        CloseIfOpen(ref _stderrFd);
        if (outcome != ChildOutcome.Finished)
        {
            KillGroup();
        }
        ChildExit exit = ChildExit.FromWaitStatus(WaitForExit(Pid));
        _exit = exit;
        CloseIfOpen(ref _pidFd);
        return exit;
    }

    /// <summary>Runs to the end on the calling thread: <see cref="Pump"/>, then <see cref="Finish"/>.</summary>
    public ChildOutcome RunToEnd(TimeSpan timeout, CancellationToken cancellationToken, out ChildExit exit)
    {
        ChildOutcome outcome = ChildOutcome.Finished;
        try
        {
            FeedStdin();
            outcome = Pump(timeout, cancellationToken);
        }
        catch
        {
            outcome = ChildOutcome.Cancelled;
            throw;
        }
        finally
        {
            exit = Finish(outcome);
        }
        return outcome;
    }

    /// <summary>Returns the stdout buffer to the pool; <see cref="Stdout"/> is empty after.</summary>
    public void Dispose()
    {
        byte[] buffer = _stdout;
        _stdout = [];
        _stdoutLength = 0;
        if (buffer.Length > 0)
        {
            s_outputPool.Return(buffer);
        }
    }

    /// <summary>Room for the next read of stdout: at least 4 KiB, in a pooled buffer that doubles as output arrives.</summary>
    private Span<byte> StdoutSpace()
    {
        if (_stdout.Length - _stdoutLength < 4096)
        {
            byte[] larger = s_outputPool.Rent(Math.Max(16 * 1024, _stdout.Length * 2));
            _stdout.AsSpan(0, _stdoutLength).CopyTo(larger);
            if (_stdout.Length > 0)
            {
                s_outputPool.Return(_stdout);
            }
            _stdout = larger;
        }
        return _stdout.AsSpan(_stdoutLength);
    }

    // The process leads its own process group (POSIX_SPAWN_SETPGROUP), so -pid reaches everything it started. A group
    // id is never reused while any member lives, and the leader is not reaped yet, so this cannot hit another process.
    private void KillGroup() => _ = ProcessInterop.kill(-Pid, ProcessInterop.SIGKILL);

    private static int WaitForExit(int pid)
    {
        int status;
        while (ProcessInterop.waitpid(pid, &status, 0) < 0)
        {
            if (Marshal.GetLastPInvokeError() != Errno.EINTR)
            {
                // ECHILD: someone else reaped it; report it as a failure rather than hang.
                return 0xff00;
            }
        }
        return status;
    }

    /// <summary>One read; closes the descriptor at end of file or on an error other than EINTR/EAGAIN.</summary>
    private static int ReadSome(ref int fd, Span<byte> target)
    {
        long n;
        fixed (byte* p = target)
        {
            n = ProcessInterop.read(fd, p, (nuint)target.Length);
        }
        if (n > 0)
        {
            return (int)n;
        }
        if (n < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Errno.EINTR || errno == Errno.EAGAIN)
            {
                return 0;
            }
        }
        CloseIfOpen(ref fd);
        return 0;
    }

    private static void CloseIfOpen(ref int fd)
    {
        if (fd >= 0)
        {
            _ = Syscalls.close(fd);
            fd = -1;
        }
    }
}
