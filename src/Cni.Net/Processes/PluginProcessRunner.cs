using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Cni.Net.Spec;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using Cni.Net.Interop;

namespace Cni.Net.Processes;

/// <summary>
/// Runs a plugin binary: argv is only the plugin path (never a shell), the environment is given whole, the config goes
/// to stdin, stdout is read through a <see cref="PipeReader"/> and handed to the caller's parser as a
/// <see cref="ReadOnlySequence{T}"/>, stderr is collected (bounded). The plugin starts in a process group of its own,
/// so a timeout or a cancellation kills everything it started, not just the plugin.
/// </summary>
internal static class PluginProcessRunner
{
    private const int StderrLimit = 64 * 1024;
    private const int MaxSpawnAttempts = 8;

    public static async ValueTask<T> RunAsync<T>(PluginLaunch launch, PluginOutputHandler<T> handler, ILogger logger,
        CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        SpawnedProcess process = await SpawnWithRetryAsync(launch, logger, cancellationToken).ConfigureAwait(false);
        long started = Stopwatch.GetTimestamp();
        ProcessLog.PluginStarted(logger, launch.PluginType, launch.PluginPath, process.Pid);

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(launch.Timeout);
        var stderr = new BoundedTextCollector(StderrLimit);
        var stdoutStream = new NetworkStream(process.Stdout, ownsSocket: true);
        PipeReader stdout = PipeReader.Create(stdoutStream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, leaveOpen: false));
        var stderrStream = new NetworkStream(process.Stderr, ownsSocket: true);

        Task<int> exitTask = Task.Factory.StartNew(static state => WaitForExit((int)state!), process.Pid,
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Task stdinTask = WriteStdinAsync(process.Stdin, launch.Stdin);
        Task<ReadResult> stdoutTask = ReadAllAsync(stdout, launch.MaxOutputBytes, process.Pid, limit.Token);
        Task stderrTask = CollectAsync(stderrStream, stderr, limit.Token);
        try
        {
            bool finished;
            try
            {
                await Task.WhenAll(stdoutTask, stderrTask, exitTask).WaitAsync(limit.Token).ConfigureAwait(false);
                finished = true;
            }
            catch (OperationCanceledException)
            {
                finished = false;
            }
            catch (OutputTooLargeException)
            {
                // The reader already killed the group; the exit task completes promptly.
                await exitTask.ConfigureAwait(false);
                ProcessLog.PluginOutputTooLarge(logger, launch.PluginType, launch.MaxOutputBytes);
                throw new CniException(CniErrorCode.IOFailure,
                    $"plugin '{launch.PluginType}' wrote more than {launch.MaxOutputBytes} bytes to stdout; its process group was killed",
                    stderr.ToString());
            }

            if (!finished)
            {
                KillGroup(process.Pid);
                await exitTask.ConfigureAwait(false);
                await Task.WhenAll(stdinTask).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                ProcessLog.PluginTimedOut(logger, launch.PluginType, launch.Timeout.TotalSeconds, process.Pid);
                throw new CniException(CniErrorCode.IOFailure,
                    $"plugin '{launch.PluginType}' did not finish within {launch.Timeout.TotalSeconds:0.###} s; its process group was killed",
                    stderr.ToString(), new TimeoutException());
            }

            await stdinTask.ConfigureAwait(false);
            PluginExit exit = Decode(exitTask.Result);
            string errText = stderr.ToString();
            TimeSpan elapsed = Stopwatch.GetElapsedTime(started);
            ProcessLog.PluginFinished(logger, launch.PluginType, process.Pid, exit, elapsed);
            if (errText.Length > 0)
            {
                ProcessLog.PluginStderr(logger, launch.PluginType, errText);
            }
            ReadResult output = stdoutTask.Result;
            try
            {
                return handler(exit, output.Buffer, errText);
            }
            finally
            {
                stdout.AdvanceTo(output.Buffer.End);
            }
        }
        finally
        {
            // Stop whatever is still reading (after a timeout or an oversized output) before the streams go away, so
            // no reader faults on a disposed socket unobserved.
            await limit.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(stdoutTask, stderrTask).ContinueWith(static _ => { }, CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
            await stdout.CompleteAsync().ConfigureAwait(false);
            await stderrStream.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async Task<ReadResult> ReadAllAsync(PipeReader reader, int maxBytes, int pid, CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (result.Buffer.Length > maxBytes)
            {
                reader.AdvanceTo(result.Buffer.End);
                KillGroup(pid);
                throw new OutputTooLargeException();
            }
            if (result.IsCompleted)
            {
                // Keep the whole buffer unconsumed: the handler parses it before it is released.
                return result;
            }
            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    private static async Task CollectAsync(Stream stream, BoundedTextCollector collector, CancellationToken cancellationToken)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                collector.Append(buffer.AsSpan(0, n));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static Task WriteStdinAsync(SafeFileHandle handle, ReadOnlyMemory<byte> data) => Task.Run(() =>
    {
        using (handle)
        {
            try
            {
                // A blocking write: the config is usually far below the pipe's 64 KiB, and when it is not, the write
                // ends as soon as the plugin reads or dies (EPIPE).
                using var stream = new FileStream(handle, FileAccess.Write, bufferSize: 0);
                stream.Write(data.Span);
            }
            catch (IOException)
            {
                // The plugin exited without reading all of stdin; its exit status and output tell the story.
            }
        }
    });

    private static unsafe int WaitForExit(int pid)
    {
        int status;
        while (ProcessInterop.waitpid(pid, &status, 0) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR)
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

    private static void KillGroup(int pid)
    {
        // The plugin leads its own process group (POSIX_SPAWN_SETPGROUP), so -pid reaches its children too. A group id
        // is never reused while any member lives, so this cannot hit an unrelated process.
        _ = ProcessInterop.kill(-pid, ProcessInterop.SIGKILL);
    }

    private static async ValueTask<SpawnedProcess> SpawnWithRetryAsync(PluginLaunch launch, ILogger logger,
        CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            SpawnedProcess? process = Spawn(launch, out int error);
            if (process is not null)
            {
                return process;
            }
            if (error == Errno.ETXTBSY && attempt < MaxSpawnAttempts)
            {
                // The binary is still open for writing (being installed or copied); libcni retries the same way.
                ProcessLog.PluginBusy(logger, launch.PluginPath, attempt);
                await Task.Delay(10 << attempt, cancellationToken).ConfigureAwait(false);
                continue;
            }
            throw new CniException(CniErrorCode.IOFailure,
                $"cannot execute plugin '{launch.PluginType}' at {launch.PluginPath}: {Marshal.GetPInvokeErrorMessage(error)}",
                $"errno {error}");
        }
    }

    private static unsafe SpawnedProcess? Spawn(PluginLaunch launch, out int error)
    {
        using var strings = new NativeSpawnArguments(launch.PluginPath, launch.Environment);
        int* stdinFds = stackalloc int[2];
        int* stdoutFds = stackalloc int[2];
        int* stderrFds = stackalloc int[2];
        if (ProcessInterop.pipe2(stdinFds, ProcessInterop.O_CLOEXEC) != 0)
        {
            throw new IOException($"pipe2 failed: errno {Marshal.GetLastPInvokeError()}");
        }
        // stdout/stderr are socket pairs rather than pipes so that reads are truly asynchronous and cancellable
        // (epoll through Socket); for the plugin they behave like any pipe.
        if (ProcessInterop.socketpair(ProcessInterop.AF_UNIX, ProcessInterop.SOCK_STREAM | ProcessInterop.SOCK_CLOEXEC, 0, stdoutFds) != 0)
        {
            int e = Marshal.GetLastPInvokeError();
            CloseAll(stdinFds[0], stdinFds[1]);
            throw new IOException($"socketpair failed: errno {e}");
        }
        if (ProcessInterop.socketpair(ProcessInterop.AF_UNIX, ProcessInterop.SOCK_STREAM | ProcessInterop.SOCK_CLOEXEC, 0, stderrFds) != 0)
        {
            int e = Marshal.GetLastPInvokeError();
            CloseAll(stdinFds[0], stdinFds[1], stdoutFds[0], stdoutFds[1]);
            throw new IOException($"socketpair failed: errno {e}");
        }

        int pid;
        try
        {
            error = ProcessInterop.SpawnInOwnProcessGroup(out pid, strings.Path, strings.Argv, strings.Envp, stdinFds[0], stdoutFds[1], stderrFds[1]);
        }
        finally
        {
            CloseAll(stdinFds[0], stdoutFds[1], stderrFds[1]);
        }

        if (error != 0)
        {
            CloseAll(stdinFds[1], stdoutFds[0], stderrFds[0]);
            return null;
        }
        return new SpawnedProcess(pid,
            new SafeFileHandle(stdinFds[1], ownsHandle: true),
            new Socket(new SafeSocketHandle(stdoutFds[0], ownsHandle: true)),
            new Socket(new SafeSocketHandle(stderrFds[0], ownsHandle: true)));
    }

    private static void CloseAll(params ReadOnlySpan<int> fds)
    {
        foreach (int fd in fds)
        {
            _ = Syscalls.close(fd);
        }
    }

    private sealed record SpawnedProcess(int Pid, SafeFileHandle Stdin, Socket Stdout, Socket Stderr);

    private sealed class OutputTooLargeException : Exception
    {
    }
}
