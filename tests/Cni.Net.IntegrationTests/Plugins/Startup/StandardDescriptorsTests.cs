using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.IntegrationTests.Plugins.Bridge;

namespace Cni.Net.IntegrationTests.Plugins.Startup;

/// <summary>
/// A published plugin started with stdin or stdout closed reports it and exits 1 (cni-net-standard-fds.c fills the
/// numbers with /dev/null before the runtime can take them for its own files).
/// </summary>
public sealed class StandardDescriptorsTests
{
    [Fact]
    public void StdinClosed_IsReportedAsTheReadsError_NotReadFromAFileTheRuntimeOpened()
    {
        // Before: the runtime's /dev/urandom took descriptor 0, and the plugin read it as its config until memory ran
        // out (an unhandled OutOfMemoryException, exit 134).
        Shell.Output r = RawExec.Run(RawExec.Mode.NoStdin, ["CNI_COMMAND=ADD", "CNI_CONTAINERID=c1", "CNI_IFNAME=eth0", "CNI_NETNS=/proc/self/ns/net"],
            null, PluginTestNode.Ours("bandwidth"));
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("CNI plugin host: IOException: reading stdin failed: errno 9\n", r.StdErr);
        Assert.Equal("", r.StdOut);
    }

    [Fact]
    public void StdoutClosed_IsReportedAsTheWritesError_NotWrittenIntoAFileTheRuntimeOpened()
    {
        // Before, descriptor 1 was the runtime's /dev/urandom, opened read-only: the write failed only by that chance.
        Shell.Output r = RawExec.Run(RawExec.Mode.NoStdout, ["CNI_COMMAND=VERSION"], """{"cniVersion":"1.0.0"}""", PluginTestNode.Ours("bandwidth"));
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("CNI plugin host: IOException: writing stdout failed: errno 9\n", r.StdErr);
    }

    [Fact]
    public void StreamsOpen_ThePluginAnswersAsUsual()
    {
        Shell.Output r = RawExec.Run(RawExec.Mode.Plain, ["CNI_COMMAND=VERSION"], """{"cniVersion":"1.0.0"}""", PluginTestNode.Ours("bandwidth"));
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("\"supportedVersions\"", r.StdOut, StringComparison.Ordinal);
    }
}
