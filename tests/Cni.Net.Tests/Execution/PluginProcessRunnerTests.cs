using Cni.Net.Interop;
using System.Buffers;
using System.Text;
using Cni.Net.Execution;
using Cni.Net.Spec;
using Microsoft.Extensions.Logging.Abstractions;
using Cni.Net.Processes;

namespace Cni.Net.Tests.Execution;

public class PluginProcessRunnerTests
{
    private static readonly PluginOutputHandler<(ChildExit Exit, string Stdout, string Stderr)> s_capture =
        static (exit, stdout, stderr) => (exit, Encoding.UTF8.GetString(stdout.ToArray()), stderr);

    private static PluginLaunch Launch(string path, string stdin = "{}", TimeSpan? timeout = null, int max = 1 << 20,
        params string[] env) =>
        new(path, System.IO.Path.GetFileName(path), ["PATH=/usr/bin:/bin", .. env], Encoding.UTF8.GetBytes(stdin),
            timeout ?? TimeSpan.FromSeconds(20), max);

    private static ValueTask<(ChildExit Exit, string Stdout, string Stderr)> Run(PluginLaunch launch, CancellationToken ct = default) =>
        PluginProcessRunner.RunAsync(launch, s_capture, NullLogger.Instance, ct);

    [Fact]
    public async Task RunAsync_EchoesStdin_ReturnsStdoutAndExitCode()
    {
        using var dir = new FakePluginDirectory();
        string p = dir.Add("echo", "cat \"$rec.stdin\"; echo oops >&2; exit 3");
        var r = await Run(Launch(p, "{\"a\":1}"));
        Assert.Equal(new ChildExit(3, 0), r.Exit);
        Assert.Equal("{\"a\":1}", r.Stdout);
        Assert.Equal("oops\n", r.Stderr);
    }

    [Fact]
    public async Task RunAsync_PassesExactlyTheGivenEnvironmentAndArgv0()
    {
        using var dir = new FakePluginDirectory();
        string p = dir.Add("envdump", "echo \"$0|$#\"; env | grep -v -e '^PWD=' -e '^SHLVL=' -e '^_=' | sort");
        var r = await Run(Launch(p, env: ["CNI_COMMAND=ADD", "FOO=bar baz"]));
        Assert.Equal(new ChildExit(0, 0), r.Exit);
        Assert.Equal([p + "|0", "CNI_COMMAND=ADD", "FOO=bar baz", "PATH=/usr/bin:/bin"],
            r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task RunAsync_PluginKilledBySignal_ReportsSignal()
    {
        using var dir = new FakePluginDirectory();
        string p = dir.Add("suicide", "kill -TERM $$");
        var r = await Run(Launch(p));
        Assert.Equal(15, r.Exit.Signal);
        Assert.False(r.Exit.Succeeded);
    }

    [Fact]
    public async Task RunAsync_SigpipeIsDefaultInPlugin()
    {
        // .NET ignores SIGPIPE; the plugin must not inherit that.
        using var dir = new FakePluginDirectory();
        string p = dir.Add("sig", "grep SigIgn /proc/self/status");
        var r = await Run(Launch(p));
        ulong ignored = Convert.ToUInt64(r.Stdout.Split(':')[1].Trim(), 16);
        Assert.Equal(0UL, ignored & (1UL << (13 - 1)));
    }

    [Fact]
    public async Task RunAsync_Hang_TimesOutAndKillsWholeProcessGroup()
    {
        using var dir = new FakePluginDirectory();
        string pidFile = System.IO.Path.Combine(dir.Path, "child.pid");
        string p = dir.Add("hang", $"sleep 300 >/dev/null 2>&1 & echo $! > {pidFile}; echo started >&2; sleep 300");
        var ex = await Assert.ThrowsAsync<CniException>(async () => await Run(Launch(p, timeout: TimeSpan.FromMilliseconds(700))));
        Assert.Equal(CniErrorCode.IOFailure, ex.Code);
        Assert.Contains("did not finish within 0.7 s", ex.Message, StringComparison.Ordinal);
        Assert.IsType<TimeoutException>(ex.InnerException);
        Assert.Equal("started\n", ex.Details);
        int child = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        // The grandchild was in the plugin's process group: it is gone (or a zombie waiting for init to reap it).
        await WaitGoneAsync(child);
    }

    [Fact]
    public async Task RunAsync_OutputClosedButStillRunning_TimesOut()
    {
        // The deadline covers the exit too, not only stdout and stderr.
        using var dir = new FakePluginDirectory();
        string p = dir.Add("daemonish", "exec >/dev/null 2>&1; sleep 300");
        var ex = await Assert.ThrowsAsync<CniException>(async () => await Run(Launch(p, timeout: TimeSpan.FromMilliseconds(700))));
        Assert.Contains("did not finish within 0.7 s", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BlockingRun_SameContract_EchoesStdin()
    {
        using var dir = new FakePluginDirectory();
        string p = dir.Add("echo", "cat \"$rec.stdin\"; echo oops >&2; exit 3");
        var r = BlockingPluginRunner.Run(Launch(p, "{\"a\":1}"), s_capture, NullLogger.Instance, CancellationToken.None);
        Assert.Equal((new ChildExit(3, 0), "{\"a\":1}", "oops\n"), r);
    }

    [Fact]
    public async Task RunAsync_Cancelled_ThrowsOperationCanceledAndKillsGroup()
    {
        using var dir = new FakePluginDirectory();
        string pidFile = System.IO.Path.Combine(dir.Path, "self.pid");
        string p = dir.Add("hang", $"echo $$ > {pidFile}; sleep 300");
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await Run(Launch(p), cts.Token));
        int pid = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        await WaitGoneAsync(pid);
    }

    [Fact]
    public async Task RunAsync_HugeOutput_StopsAtLimitAndKillsPlugin()
    {
        using var dir = new FakePluginDirectory();
        string p = dir.Add("huge", "head -c 100000000 /dev/zero");
        var ex = await Assert.ThrowsAsync<CniException>(async () => await Run(Launch(p, max: 256 * 1024)));
        Assert.Equal(CniErrorCode.IOFailure, ex.Code);
        Assert.Contains("more than 262144 bytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_LargeOutputUnderLimit_ArrivesWhole()
    {
        using var dir = new FakePluginDirectory();
        string p = dir.Add("big", "head -c 3000000 /dev/zero | tr '\\0' x");
        var r = await Run(Launch(p, max: 4 << 20));
        Assert.Equal(3_000_000, r.Stdout.Length);
        Assert.All(r.Stdout.Distinct(), c => Assert.Equal('x', c));
    }

    [Fact]
    public async Task RunAsync_LargeStdinNotRead_DoesNotDeadlock()
    {
        using var dir = new FakePluginDirectory();
        // No recording prologue: this plugin never reads its 1 MiB of stdin.
        string p = System.IO.Path.Combine(dir.Path, "noread");
        File.WriteAllText(p, "#!/bin/sh\nexit 4\n");
        File.SetUnixFileMode(p, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var r = await Run(Launch(p, new string('a', 1 << 20)));
        Assert.Equal(4, r.Exit.ExitCode);
    }

    [Fact]
    public async Task RunAsync_BinaryBusy_RetriesUntilWriterCloses()
    {
        using var dir = new FakePluginDirectory();
        string p = dir.Add("busy", "echo ok");
        var writer = new FileStream(p, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        Task<(ChildExit, string, string)> run = Run(Launch(p)).AsTask();
        await Task.Delay(150);
        Assert.False(run.IsCompleted);
        await writer.DisposeAsync();
        var r = await run;
        Assert.Equal("ok\n", r.Item2);
    }

    [Fact]
    public async Task RunAsync_NotExecutable_ThrowsIOFailureWithErrno()
    {
        using var dir = new FakePluginDirectory();
        string p = System.IO.Path.Combine(dir.Path, "plain");
        File.WriteAllText(p, "#!/bin/sh\n");
        var ex = await Assert.ThrowsAsync<CniException>(async () => await Run(Launch(p)));
        Assert.Equal(CniErrorCode.IOFailure, ex.Code);
        Assert.Equal("errno 13", ex.Details);
    }

    [Fact]
    public async Task RunAsync_ManyInParallel_AllComplete()
    {
        using var dir = new FakePluginDirectory();
        string p = System.IO.Path.Combine(dir.Path, "par");
        File.WriteAllText(p, "#!/bin/sh\nexec cat\n");
        File.SetUnixFileMode(p, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var tasks = Enumerable.Range(0, 32).Select(i => Run(Launch(p, $"{{\"i\":{i}}}")).AsTask()).ToArray();
        var results = await Task.WhenAll(tasks);
        for (int i = 0; i < results.Length; i++)
        {
            Assert.Equal($"{{\"i\":{i}}}", results[i].Stdout);
        }
    }

    private static async Task WaitGoneAsync(int pid)
    {
        for (int i = 0; i < 100; i++)
        {
            string stat = $"/proc/{pid}/stat";
            if (!File.Exists(stat) || File.ReadAllText(stat).Split(' ')[2] == "Z")
            {
                return;
            }
            await Task.Delay(50);
        }
        Assert.Fail($"process {pid} is still alive");
    }
}
