using System.Collections;
using System.Runtime.InteropServices;
using System.Text;
using Cni.Net.Interop;

namespace Cni.Net.Netfilter.Iptables;

/// <summary>
/// Runs a tool (iptables-restore, iptables-save, nft) with an argument vector and optional stdin on a
/// <see cref="ChildProcess"/>: no shell ever parses anything. The tool gets this process's environment, is found on
/// PATH when named without a slash, starts in the calling thread's network namespace, and is waited for on a thread of
/// its own.
/// </summary>
internal static class ToolRunner
{
    // Far above any ruleset a node holds (iptables-save of a large kube-proxy node is tens of MiB); a bound, not a budget.
    private const int MaxStdoutBytes = 512 * 1024 * 1024;
    private const int MaxStderrBytes = 1024 * 1024;

    internal readonly record struct Result(int ExitCode, string StdOut, string StdErr);

    /// <exception cref="NetfilterException">The tool cannot be started, or wrote more than 512 MiB.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the tool's process group was killed.</exception>
    public static async ValueTask<Result> RunAsync(string file, IReadOnlyList<string> args, string? stdin, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        byte[] input = stdin is null ? [] : Encoding.UTF8.GetBytes(stdin);
        // Spawned here, on the calling thread: the tool must start in this thread's network namespace.
        using ChildProcess process = ChildProcess.TryStart(Resolve(file), args, CurrentEnvironment(), input, MaxStdoutBytes, MaxStderrBytes,
            out int error) ?? throw new NetfilterException(
                $"could not start {file}: {Marshal.GetPInvokeErrorMessage(error)} (is the iptables package installed?)");
        (ChildOutcome outcome, ChildExit exit) = await Task.Factory.StartNew(static state =>
        {
            var (child, token) = ((ChildProcess, CancellationToken))state!;
            ChildOutcome outcome = child.RunToEnd(Timeout.InfiniteTimeSpan, token, out ChildExit exit);
            return (outcome, exit);
        }, (process, cancellationToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
        switch (outcome)
        {
            case ChildOutcome.Cancelled:
                throw new OperationCanceledException(cancellationToken);
            case ChildOutcome.TooLarge:
                throw new NetfilterException($"{file} wrote more than {MaxStdoutBytes} bytes to stdout; its process group was killed");
        }
        // A tool killed by a signal reports as a shell would: 128 + the signal.
        int exitCode = exit.Signal != 0 ? 128 + exit.Signal : exit.ExitCode;
        return new Result(exitCode, Encoding.UTF8.GetString(process.Stdout.Span), process.Stderr.ToString());
    }

    /// <summary>A name without a slash is looked up on PATH (as execvp does); anything else is used as given.</summary>
    private static string Resolve(string file)
    {
        if (file.Contains('/', StringComparison.Ordinal))
        {
            return file;
        }
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, file);
            if (File.Exists(candidate) && (File.GetUnixFileMode(candidate) &
                (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
            {
                return candidate;
            }
        }
        return file;
    }

    private static List<string> CurrentEnvironment()
    {
        var environment = new List<string>();
        foreach (DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            environment.Add($"{e.Key}={e.Value}");
        }
        return environment;
    }
}
