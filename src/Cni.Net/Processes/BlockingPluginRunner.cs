using System.Buffers;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.ExceptionServices;
using System.Text;
using System.Threading.Tasks.Sources;
using Cni.Net.Spec;
using Microsoft.Extensions.Logging;
using Cni.Net.Interop;

namespace Cni.Net.Processes;

/// <summary>
/// Runs a delegated plugin (IPAM) from inside a plugin process on the calling thread: posix_spawn into a process
/// group of its own, then one poll(2) loop that writes stdin and drains stdout and stderr, and waitpid. The same
/// contract as <see cref="PluginProcessRunner"/> (timeout and oversized output kill the group, bounded stderr,
/// ETXTBSY retries, the same log events) without the thread pool, the socket engine, timers and extra threads that
/// the asynchronous runner starts — a plugin process would pay for them at every exec.
/// </summary>
internal static unsafe class BlockingPluginRunner
{
    private const int StderrLimit = 64 * 1024;
    private const int MaxSpawnAttempts = 8;
    private const int CancellationPollMs = 100;

    /// <summary>Runs the plugin to its end and returns what <paramref name="handler"/> makes of its output.</summary>
    public static T Run<T>(PluginLaunch launch, PluginOutputHandler<T> handler, ILogger logger, CancellationToken cancellationToken) =>
        Start(launch, handler, logger, cancellationToken).GetResult(0);

    /// <summary>
    /// Starts the plugin and hands it as much of stdin as the pipe takes, then returns: the caller may do other work
    /// while the plugin runs. The first await of the returned operation (or <see cref="PendingPlugin{T}.GetResult"/>)
    /// finishes the run on the calling thread. It must be awaited, or the plugin is never reaped.
    /// </summary>
    public static PendingPlugin<T> Start<T>(PluginLaunch launch, PluginOutputHandler<T> handler, ILogger logger,
        CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Spawned process = SpawnWithRetry(launch, logger, cancellationToken);
        var pending = new PendingPlugin<T>(process, launch, handler, logger, cancellationToken);
        pending.FeedStdin();
        return pending;
    }

    internal enum Outcome
    {
        Finished,
        TimedOut,
        Cancelled,
        TooLarge,
    }

    /// <summary>A started delegated plugin; finishing it (stdin, stdout, stderr, exit) happens on first use.</summary>
    internal sealed class PendingPlugin<T> : IValueTaskSource<T>, IValueTaskSource
    {
        private readonly Spawned _process;
        private readonly PluginLaunch _launch;
        private readonly PluginOutputHandler<T> _handler;
        private readonly ILogger _logger;
        private readonly CancellationToken _cancellationToken;
        private readonly long _started;
        private readonly ArrayBufferWriter<byte> _stdout = new(4096);
        private readonly BoundedTextCollector _stderr = new(StderrLimit);
        private int _stdinWritten;
        private bool _finished;
        private T _result = default!;
        private ExceptionDispatchInfo? _failure;

        public PendingPlugin(Spawned process, PluginLaunch launch, PluginOutputHandler<T> handler, ILogger logger,
            CancellationToken cancellationToken)
        {
            _process = process;
            _launch = launch;
            _handler = handler;
            _logger = logger;
            _cancellationToken = cancellationToken;
            _started = Stopwatch.GetTimestamp();
            ProcessLog.PluginStarted(logger, launch.PluginType, launch.PluginPath, process.Pid);
        }

        public ValueTask<T> AsValueTask() => new(this, 0);

        public ValueTask AsValueTaskWithoutResult() => new(this, 0);

        public T GetResult(short token)
        {
            Finish();
            _failure?.Throw();
            return _result;
        }

        void IValueTaskSource.GetResult(short token) => GetResult(token);

        public ValueTaskSourceStatus GetStatus(short token)
        {
            Finish();
            return _failure is null ? ValueTaskSourceStatus.Succeeded
                : _failure.SourceException is OperationCanceledException ? ValueTaskSourceStatus.Canceled
                : ValueTaskSourceStatus.Faulted;
        }

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        {
            ArgumentNullException.ThrowIfNull(continuation);
            Finish();
            continuation(state);
        }

        /// <summary>A non-blocking write of what the pipe takes; closes stdin once all of it is written or the plugin stopped reading.</summary>
        internal void FeedStdin()
        {
            ReadOnlySpan<byte> input = _launch.Stdin.Span;
            while (_process.StdinFd >= 0)
            {
                if (_stdinWritten == input.Length)
                {
                    CloseIfOpen(ref _process.StdinFd);
                    return;
                }
                long n;
                fixed (byte* p = input)
                {
                    n = ProcessInterop.write(_process.StdinFd, p + _stdinWritten, (nuint)(input.Length - _stdinWritten));
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
                    // The plugin closed its stdin early (EPIPE): its exit status and output tell the story.
                    CloseIfOpen(ref _process.StdinFd);
                }
                return;
            }
        }

        private void Finish()
        {
            if (_finished)
            {
                return;
            }
            _finished = true;
            try
            {
                _result = Complete();
            }
#pragma warning disable CA1031 // every failure is handed to whoever awaits the operation
            catch (Exception e)
#pragma warning restore CA1031
            {
                _failure = ExceptionDispatchInfo.Capture(e);
            }
        }

        private T Complete()
        {
            Outcome outcome;
            try
            {
                outcome = Pump();
            }
            finally
            {
                CloseIfOpen(ref _process.StdinFd);
                CloseIfOpen(ref _process.StdoutFd);
                CloseIfOpen(ref _process.StderrFd);
            }
            if (outcome != Outcome.Finished)
            {
                KillGroup(_process.Pid);
            }
            PluginExit exit = Decode(WaitForExit(_process.Pid));
            switch (outcome)
            {
                case Outcome.TooLarge:
                    ProcessLog.PluginOutputTooLarge(_logger, _launch.PluginType, _launch.MaxOutputBytes);
                    throw new CniException(CniErrorCode.IOFailure,
                        $"plugin '{_launch.PluginType}' wrote more than {_launch.MaxOutputBytes} bytes to stdout; its process group was killed",
                        _stderr.ToString());
                case Outcome.Cancelled:
                    throw new OperationCanceledException(_cancellationToken);
                case Outcome.TimedOut:
                    ProcessLog.PluginTimedOut(_logger, _launch.PluginType, _launch.Timeout.TotalSeconds, _process.Pid);
                    throw new CniException(CniErrorCode.IOFailure,
                        $"plugin '{_launch.PluginType}' did not finish within {_launch.Timeout.TotalSeconds:0.###} s; its process group was killed",
                        _stderr.ToString(), new TimeoutException());
            }
            string errText = _stderr.ToString();
            TimeSpan elapsed = Stopwatch.GetElapsedTime(_started);
            ProcessLog.PluginFinished(_logger, _launch.PluginType, _process.Pid, exit, elapsed);
            if (errText.Length > 0)
            {
                ProcessLog.PluginStderr(_logger, _launch.PluginType, errText);
            }
            return _handler(exit, new ReadOnlySequence<byte>(_stdout.WrittenMemory), errText);
        }

        /// <summary>Feeds stdin and reads stdout and stderr until both reach end of file, the deadline or too much output.</summary>
        private Outcome Pump()
        {
            Span<byte> scratch = stackalloc byte[4096];
            ProcessInterop.PollFd* fds = stackalloc ProcessInterop.PollFd[3];
            while (_process.StdoutFd >= 0 || _process.StderrFd >= 0)
            {
                long remainingMs = (long)Math.Ceiling((_launch.Timeout - Stopwatch.GetElapsedTime(_started)).TotalMilliseconds);
                if (remainingMs <= 0)
                {
                    return Outcome.TimedOut;
                }
                if (_cancellationToken.IsCancellationRequested)
                {
                    return Outcome.Cancelled;
                }
                int wait = (int)Math.Min(remainingMs, _cancellationToken.CanBeCanceled ? CancellationPollMs : int.MaxValue);
                int count = 0;
                int stdinSlot = -1, stdoutSlot = -1, stderrSlot = -1;
                if (_process.StdinFd >= 0)
                {
                    stdinSlot = count;
                    fds[count++] = new ProcessInterop.PollFd { fd = _process.StdinFd, events = ProcessInterop.POLLOUT };
                }
                if (_process.StdoutFd >= 0)
                {
                    stdoutSlot = count;
                    fds[count++] = new ProcessInterop.PollFd { fd = _process.StdoutFd, events = ProcessInterop.POLLIN };
                }
                if (_process.StderrFd >= 0)
                {
                    stderrSlot = count;
                    fds[count++] = new ProcessInterop.PollFd { fd = _process.StderrFd, events = ProcessInterop.POLLIN };
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
                    Span<byte> target = _stdout.GetSpan(16 * 1024);
                    int n = ReadSome(ref _process.StdoutFd, target);
                    if (n > 0)
                    {
                        _stdout.Advance(n);
                        if (_stdout.WrittenCount > _launch.MaxOutputBytes)
                        {
                            return Outcome.TooLarge;
                        }
                    }
                }
                if (stderrSlot >= 0 && fds[stderrSlot].revents != 0)
                {
                    int n = ReadSome(ref _process.StderrFd, scratch);
                    if (n > 0)
                    {
                        _stderr.Append(scratch[..n]);
                    }
                }
            }
            return Outcome.Finished;
        }
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

    private static PluginExit Decode(int status) => ProcessInterop.WIfExited(status)
        ? new PluginExit(ProcessInterop.WExitStatus(status), 0)
        : new PluginExit(-1, ProcessInterop.WTermSig(status));

    // The plugin leads its own process group, so -pid reaches everything it started.
    private static void KillGroup(int pid) => _ = ProcessInterop.kill(-pid, ProcessInterop.SIGKILL);

    private static void CloseIfOpen(ref int fd)
    {
        if (fd >= 0)
        {
            _ = Syscalls.close(fd);
            fd = -1;
        }
    }

    private static Spawned SpawnWithRetry(PluginLaunch launch, ILogger logger, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            Spawned? process = Spawn(launch, out int error);
            if (process is not null)
            {
                return process;
            }
            if (error == Errno.ETXTBSY && attempt < MaxSpawnAttempts)
            {
                // The binary is still open for writing (being installed or copied); libcni retries the same way.
                ProcessLog.PluginBusy(logger, launch.PluginPath, attempt);
                if (cancellationToken.WaitHandle.WaitOne(10 << attempt))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }
                continue;
            }
            throw new CniException(CniErrorCode.IOFailure,
                $"cannot execute plugin '{launch.PluginType}' at {launch.PluginPath}: {Marshal.GetPInvokeErrorMessage(error)}",
                $"errno {error}");
        }
    }

    private static Spawned? Spawn(PluginLaunch launch, out int error)
    {
        using var arguments = new NativeSpawnArguments(launch.PluginPath, launch.Environment);
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

            error = ProcessInterop.SpawnInOwnProcessGroup(out int pid, arguments.Path, arguments.Argv, arguments.Envp, fds[0], fds[3], fds[5]);
            if (error != 0)
            {
                return null;
            }
            started = true;
            return new Spawned(pid, fds[1], fds[2], fds[4]);
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

    internal sealed class Spawned(int pid, int stdinFd, int stdoutFd, int stderrFd)
    {
        public int Pid { get; } = pid;

        public int StdinFd = stdinFd;

        public int StdoutFd = stdoutFd;

        public int StderrFd = stderrFd;
    }
}
