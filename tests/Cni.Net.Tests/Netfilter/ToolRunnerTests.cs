using Cni.Net.Netfilter;
using Cni.Net.Netfilter.Iptables;

namespace Cni.Net.Tests.Netfilter;

/// <summary>What the netfilter backends rely on from <see cref="ToolRunner"/>: stdin in, stdout, stderr and exit code out.</summary>
public class ToolRunnerTests
{
    [Fact]
    public async Task RunAsync_NameOnPath_GetsStdinAndReturnsStdout()
    {
        ToolRunner.Result r = await ToolRunner.RunAsync("cat", [], "*nat\n-N CNI-Ä\nCOMMIT\n", CancellationToken.None);
        Assert.Equal(new ToolRunner.Result(0, "*nat\n-N CNI-Ä\nCOMMIT\n", ""), r);
    }

    [Fact]
    public async Task RunAsync_ArgumentsAreNotParsedByAShell()
    {
        ToolRunner.Result r = await ToolRunner.RunAsync("/bin/sh", ["-c", "printf '%s|' \"$@\"; echo oops >&2; exit 3", "sh", "a b", "$HOME", ";"], null,
            CancellationToken.None);
        Assert.Equal(new ToolRunner.Result(3, "a b|$HOME|;|", "oops\n"), r);
    }

    [Fact]
    public async Task RunAsync_GetsThisProcessesEnvironment()
    {
        ToolRunner.Result r = await ToolRunner.RunAsync("/bin/sh", ["-c", "echo \"$PATH\""], null, CancellationToken.None);
        Assert.Equal(Environment.GetEnvironmentVariable("PATH") + "\n", r.StdOut);
    }

    [Fact]
    public async Task RunAsync_KilledBySignal_ReportsAsAShellWould()
    {
        ToolRunner.Result r = await ToolRunner.RunAsync("/bin/sh", ["-c", "kill -TERM $$"], null, CancellationToken.None);
        Assert.Equal(128 + 15, r.ExitCode);
    }

    [Fact]
    public async Task RunAsync_MissingTool_SaysWhatToInstall()
    {
        var e = await Assert.ThrowsAsync<NetfilterException>(async () =>
            await ToolRunner.RunAsync("iptables-nft-restore-that-is-not-there", [], null, CancellationToken.None));
        Assert.Equal("could not start iptables-nft-restore-that-is-not-there: No such file or directory (is the iptables package installed?)", e.Message);
    }

    [Fact]
    public async Task RunAsync_Cancelled_KillsTheTool()
    {
        string pidFile = Path.Combine(Path.GetTempPath(), $"cni-tool-{Guid.NewGuid():N}.pid");
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
                await ToolRunner.RunAsync("/bin/sh", ["-c", $"echo $$ > {pidFile}; exec sleep 300"], null, cts.Token));
            int pid = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            // Reaped by the runner: no such process any more.
            Assert.False(Directory.Exists($"/proc/{pid}"));
        }
        finally
        {
            File.Delete(pidFile);
        }
    }
}
