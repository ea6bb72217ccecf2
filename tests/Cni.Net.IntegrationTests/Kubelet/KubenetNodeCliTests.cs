using Cni.Net.IntegrationTests.Infrastructure;

namespace Cni.Net.IntegrationTests.Kubelet;

/// <summary>
/// The published kubenet-node's command line: help on stdout with exit 0, usage errors on stderr with exit 1 and
/// nothing on stdout, bad state on stderr with exit 2, --version, -v.
/// </summary>
public sealed class KubenetNodeCliTests : IDisposable
{
    private readonly string _state = Path.Combine(Directory.CreateTempSubdirectory("kn-cli-").FullName, "node");

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_state)!, recursive: true);

    private static Shell.Output Agent(params string[] args) => Shell.Run(KubenetCluster.AgentPath(), args);

    [Fact]
    public void Help_ListsEveryCommand_OnStdout_Exit0()
    {
        Shell.Output help = Agent("--help");
        Assert.Equal((0, ""), (help.ExitCode, help.StdErr));
        foreach (string command in new[] { "init", "pod-cidr", "setup-pod", "teardown-pod", "status" })
        {
            Assert.Contains($"  {command} ", help.StdOut, StringComparison.Ordinal);
        }
        Shell.Output initHelp = Agent("init", "--help");
        Assert.Equal(0, initHelp.ExitCode);
        Assert.Contains("--non-masquerade-cidr", initHelp.StdOut, StringComparison.Ordinal);
        Shell.Output version = Agent("--version");
        Assert.Equal(0, version.ExitCode);
        Assert.Matches(@"^0\.\d+\.\d+", version.StdOut);
    }

    [Theory]
    [InlineData("frob", "Unrecognized command or argument 'frob'.")]
    [InlineData("status", "Option '--state-dir' is required.")]
    [InlineData("setup-pod --state-dir /tmp/x --sandbox-id a", "Option '--netns' is required.")]
    [InlineData("pod-cidr --state-dir /tmp/x", "Required argument missing for command: 'pod-cidr'.")]
    [InlineData("pod-cidr --state-dir /tmp/x 10.0.0.0/24 extra", "Unrecognized command or argument 'extra'.")]
    [InlineData("init --state-dir /tmp/x --no-such-flag=1", "Unrecognized command or argument '--no-such-flag=1'.")]
    public void UsageErrors_OnStderr_Exit1_NothingOnStdout(string commandLine, string message)
    {
        Shell.Output o = Agent(commandLine.Split(' '));
        Assert.Equal((1, ""), (o.ExitCode, o.StdOut));
        Assert.Contains(message, o.StdErr, StringComparison.Ordinal);
        Assert.EndsWith("Run 'kubenet-node --help' for usage.\n", o.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void NoNode_Exit2_SaysToRunInit_Verbose_LogsToStderr()
    {
        Shell.Output status = Agent("status", "--state-dir", _state);
        Assert.Equal((2, ""), (status.ExitCode, status.StdOut));
        Assert.Equal($"kubenet-node: {_state} holds no node: run 'kubenet-node init --state-dir {_state} ...' first\n", status.StdErr);

        // A cni node without a conf dir initializes (not ready) without touching the network; -v shows the
        // library's log on stderr, and without -v stderr stays empty.
        Shell.Output init = Agent("init", "--state-dir", _state, "--network-plugin=cni", "-v");
        Assert.True(init.ExitCode == 0, init.StdErr);
        Assert.Contains("network plugin: cni", init.StdOut, StringComparison.Ordinal);
        Assert.Contains($" warn Cni.Net.Kubelet.Cni: CNI conf dir {_state}/net.d does not exist", init.StdErr, StringComparison.Ordinal);
        Shell.Output quiet = Agent("status", "--state-dir", _state);
        Assert.Equal((3, ""), (quiet.ExitCode, quiet.StdErr));
        Assert.Contains("not ready", quiet.StdOut, StringComparison.Ordinal);
    }
}
