using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.IntegrationTests.Plugins.PortMap;

namespace Cni.Net.IntegrationTests.Plugins.Bridge;

/// <summary>
/// A gateway bridge turns the node's IPv4 forwarding on, as the reference does, and reads the setting over rtnetlink:
/// on a node that forwards already, its ADD opens no <c>/proc/sys</c> file for it. The test process's private
/// namespace is the node.
/// </summary>
public sealed class BridgeForwardingTests : IDisposable
{
    private const string IpForward = "/proc/sys/net/ipv4/ip_forward";
    private readonly string _dataDir = Directory.CreateTempSubdirectory("cni-net-fwd-").FullName;
    private readonly TestNamespace _pod = new("fwd");
    private readonly string _bridge = "cnifwd" + (Environment.ProcessId % 1000);

    public BridgeForwardingTests() => Require.NotInRootNamespace();

    [Fact]
    public void Add_OnANodeThatForwards_ReadsNoSysctlForIt_AndOnOneThatDoesNot_TurnsItOn()
    {
        string trace = Path.Combine(Path.GetTempPath(), $"cni-net-fwd-{Guid.NewGuid():N}.strace");
        try
        {
            File.WriteAllText(IpForward, "1");
            Shell.Output r = Run("ADD", "ctr-fwd-1", ["strace", "-f", "-qq", "-e", "trace=open,openat", "-o", trace]);
            Assert.True(r.ExitCode == 0, r.StdOut + r.StdErr);
            string[] opened = File.ReadAllLines(trace);
            Assert.Contains(opened, l => l.Contains("/proc/sys/net/ipv6/conf/", StringComparison.Ordinal)); // the trace saw /proc/sys opens
            Assert.DoesNotContain(opened, l => l.Contains("ip_forward", StringComparison.Ordinal));
            Assert.Equal("1", File.ReadAllText(IpForward).Trim());
            Assert.Equal(0, Run("DEL", "ctr-fwd-1").ExitCode);

            File.WriteAllText(IpForward, "0");
            r = Run("ADD", "ctr-fwd-2");
            Assert.True(r.ExitCode == 0, r.StdOut + r.StdErr);
            Assert.Equal("1", File.ReadAllText(IpForward).Trim());
            Assert.Equal(0, Run("DEL", "ctr-fwd-2").ExitCode);
        }
        finally
        {
            File.Delete(trace);
        }
    }

    private Shell.Output Run(string command, string containerId, IReadOnlyList<string>? wrapper = null)
    {
        string config = "{\"cniVersion\":\"1.0.0\",\"name\":\"fwdnet\",\"type\":\"bridge\",\"bridge\":\"" + _bridge +
            "\",\"isGateway\":true,\"ipam\":{\"type\":\"host-local\",\"subnet\":\"10.78.9.0/24\",\"dataDir\":\"" + _dataDir + "\"}}";
        var env = new Dictionary<string, string>
        {
            ["CNI_COMMAND"] = command,
            ["CNI_CONTAINERID"] = containerId,
            ["CNI_NETNS"] = _pod.Path,
            ["CNI_IFNAME"] = "eth0",
            ["CNI_PATH"] = Path.GetDirectoryName(PodChain.Ours("bridge"))!,
        };
        string bridge = PodChain.Ours("bridge");
        return wrapper is null ? Shell.Run(bridge, [], config, env) : Shell.Run(wrapper[0], [.. wrapper.Skip(1), bridge], config, env);
    }

    public void Dispose()
    {
        try
        {
            Shell.Run("ip", ["link", "del", _bridge]);
        }
        finally
        {
            _pod.Dispose();
            Directory.Delete(_dataDir, recursive: true);
        }
    }
}
