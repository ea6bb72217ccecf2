using System.Buffers;
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;
using Cni.Net.Interop;
using Cni.Net.Spec;
using Microsoft.Extensions.Logging;

namespace Cni.Net.Processes;

/// <summary>
/// Runs a plugin binary on a <see cref="ChildProcess"/>: argv is only the plugin path (never a shell), the environment
/// is given whole, the config goes to stdin, stdout is collected up to the launch's limit and handed to the caller's
/// parser as a <see cref="ReadOnlySequence{T}"/>, stderr is collected (bounded). The plugin starts in a process group
/// of its own, so a timeout, a cancellation or an oversized output kills everything it started; a busy binary
/// (ETXTBSY) is retried. This is the blocking form a plugin process uses for its delegates (no thread pool, socket
/// engine or timers: a plugin process would pay for them at every exec); <see cref="PluginProcessRunner"/> is the
/// same run for the runtime, waited for on a thread of its own.
/// </summary>
internal static class BlockingPluginRunner
{
    private const int StderrLimit = 64 * 1024;
    private const int MaxSpawnAttempts = 8;

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
        ChildProcess process = Spawn(launch, logger, cancellationToken);
        return new PendingPlugin<T>(process, launch, handler, logger, cancellationToken);
    }

    /// <summary>A started plugin; finishing it (stdin, stdout, stderr, exit) happens on first use.</summary>
    internal sealed class PendingPlugin<T> : IValueTaskSource<T>, IValueTaskSource
    {
        private readonly ChildProcess _process;
        private readonly PluginLaunch _launch;
        private readonly PluginOutputHandler<T> _handler;
        private readonly ILogger _logger;
        private readonly CancellationToken _cancellationToken;
        private bool _finished;
        private T _result = default!;
        private ExceptionDispatchInfo? _failure;

        /// <summary>Takes over a started plugin, logs its start and hands it as much of stdin as the pipe takes.</summary>
        public PendingPlugin(ChildProcess process, PluginLaunch launch, PluginOutputHandler<T> handler, ILogger logger,
            CancellationToken cancellationToken)
        {
            _process = process;
            _launch = launch;
            _handler = handler;
            _logger = logger;
            _cancellationToken = cancellationToken;
            ProcessLog.PluginStarted(logger, launch.PluginType, launch.PluginPath, process.Pid);
            process.FeedStdin();
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
            finally
            {
                // The handler has parsed stdout; its buffer goes back to the pool.
                _process.Dispose();
            }
        }

        private T Complete()
        {
            ChildOutcome outcome = _process.RunToEnd(_launch.Timeout, _cancellationToken, out ChildExit exit);
            switch (outcome)
            {
                case ChildOutcome.TooLarge:
                    ProcessLog.PluginOutputTooLarge(_logger, _launch.PluginType, _launch.MaxOutputBytes);
                    throw new CniException(CniErrorCode.IOFailure,
                        $"plugin '{_launch.PluginType}' wrote more than {_launch.MaxOutputBytes} bytes to stdout; its process group was killed",
                        _process.Stderr.ToString());
                case ChildOutcome.Cancelled:
                    throw new OperationCanceledException(_cancellationToken);
                case ChildOutcome.TimedOut:
                    ProcessLog.PluginTimedOut(_logger, _launch.PluginType, _launch.Timeout.TotalSeconds, _process.Pid);
                    throw new CniException(CniErrorCode.IOFailure,
                        $"plugin '{_launch.PluginType}' did not finish within {_launch.Timeout.TotalSeconds:0.###} s; its process group was killed",
                        _process.Stderr.ToString(), new TimeoutException());
            }
            string errText = _process.Stderr.ToString();
            TimeSpan elapsed = Stopwatch.GetElapsedTime(_process.StartedTimestamp);
            ProcessLog.PluginFinished(_logger, _launch.PluginType, _process.Pid, exit, elapsed);
            if (errText.Length > 0)
            {
                ProcessLog.PluginStderr(_logger, _launch.PluginType, errText);
            }
            return _handler(exit, new ReadOnlySequence<byte>(_process.Stdout), errText);
        }
    }

    /// <summary>Spawns the plugin, waiting on the calling thread while its binary is busy (ETXTBSY).</summary>
    private static ChildProcess Spawn(PluginLaunch launch, ILogger logger, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            if (TrySpawn(launch, logger, attempt, out int retryDelayMs) is { } process)
            {
                return process;
            }
            if (cancellationToken.WaitHandle.WaitOne(retryDelayMs))
            {
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
    }

    /// <summary>Spawns the plugin, waiting asynchronously while its binary is busy (ETXTBSY).</summary>
    internal static async ValueTask<ChildProcess> SpawnAsync(PluginLaunch launch, ILogger logger, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            if (TrySpawn(launch, logger, attempt, out int retryDelayMs) is { } process)
            {
                return process;
            }
            await Task.Delay(retryDelayMs, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>One attempt: the process, or null and how long to wait before the next attempt.</summary>
    /// <exception cref="CniException">The plugin cannot be executed (and waiting will not help).</exception>
    private static ChildProcess? TrySpawn(PluginLaunch launch, ILogger logger, int attempt, out int retryDelayMs)
    {
        ChildProcess? process = ChildProcess.TryStart(launch.PluginPath, [], launch.Environment, launch.Stdin, launch.MaxOutputBytes,
            StderrLimit, out int error);
        retryDelayMs = 10 << attempt;
        if (process is not null)
        {
            return process;
        }
        if (error == Errno.ETXTBSY && attempt < MaxSpawnAttempts)
        {
            // The binary is still open for writing (being installed or copied); libcni retries the same way.
            ProcessLog.PluginBusy(logger, launch.PluginPath, attempt);
            return null;
        }
        throw new CniException(CniErrorCode.IOFailure,
            $"cannot execute plugin '{launch.PluginType}' at {launch.PluginPath}: {Marshal.GetPInvokeErrorMessage(error)}",
            $"errno {error}");
    }
}
