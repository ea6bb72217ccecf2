using Cni.Net.IntegrationTests.Infrastructure;

namespace Cni.Net.IntegrationTests.Plugins.PortMap;

/// <summary>
/// portmap ADD forgets the node's stale UDP flows to the mapped host ports (through ctnetlink, no conntrack process),
/// and only those: a flow to an unmapped port and TCP flows stay.
/// </summary>
public sealed class PortMapConntrackTests : IDisposable
{
    private const string Mappings = """
        {"portMappings":[{"hostPort":5353,"containerPort":53,"protocol":"udp"},{"hostPort":5355,"containerPort":53,"protocol":"tcp"}]}
        """;

    private readonly PodChain _chain = new("ctr-pb-ct");

    public void Dispose()
    {
        try
        {
            // The flows live in the test process's namespace (the node); take along whatever the test left.
            foreach (string port in new[] { "5353", "5354", "5355" })
            {
                Shell.Run("conntrack", ["-D", "-f", "ipv4", "-p", "udp", "--orig-port-dst", port]);
            }
        }
        finally
        {
            _chain.Dispose();
        }
    }

    [Fact]
    public void Add_DeletesTheUdpFlowsToTheMappedHostPortsOnly()
    {
        // The reference bridge's masquerade rules make the node track connections; the pod talks to the gateway
        // before the host port is mapped.
        SendUdpFromPod(5353, 5354, 5355);
        Assert.Equal(["5353", "5354", "5355"], NodeUdpPorts());

        _chain.Run(PodChain.Ours("portmap"), "ADD", "portmap", "", Mappings, _chain.BridgeResult);

        // 5353 is mapped for UDP: forgotten (by a detached process of the plugin's, once it has answered). 5355 is
        // mapped for TCP only, 5354 not at all: kept.
        Assert.Equal(["5354", "5355"], UdpPortsOnceSettled(["5354", "5355"]));

        _chain.Run(PodChain.Ours("portmap"), "DEL", "portmap", "", Mappings, _chain.BridgeResult);
    }

    /// <summary>
    /// In a plugin process the kernel's flush goes out from a detached process (a <c>clone</c> with CLONE_VM alone,
    /// seen by strace), so that the answer does not wait for the kernel's walk of its conntrack hash;
    /// <c>CNI_NET_DETACHED_CLEANUP=0</c> keeps it in the plugin, and then the flows are gone when ADD returns.
    /// </summary>
    [Theory]
    [InlineData(null, true)]
    [InlineData("0", false)]
    public void Add_LeavesTheFlushToADetachedProcess_UnlessTheOperatorSaysNo(string? setting, bool detached)
    {
        SendUdpFromPod(5353, 5354);
        Assert.Equal(["5353", "5354"], NodeUdpPorts());
        string trace = Path.Combine(Path.GetTempPath(), $"cni-net-flush-{Guid.NewGuid():N}.strace");
        try
        {
            Dictionary<string, string>? env = setting is null ? null : new() { ["CNI_NET_DETACHED_CLEANUP"] = setting };
            Shell.Output r = _chain.Exec(PodChain.Ours("portmap"), "ADD", PodChain.PluginConfig("portmap", "", Mappings, _chain.BridgeResult),
                extraEnv: env, wrapper: ["strace", "-f", "-qq", "-e", "trace=clone", "-o", trace]);

            Assert.True(r.ExitCode == 0, r.StdOut + r.StdErr);
            if (!detached)
            {
                Assert.Equal(["5354"], NodeUdpPorts());
            }
            Assert.Equal(["5354"], UdpPortsOnceSettled(["5354"]));
            int detachedStarts = File.ReadLines(trace).Count(l => l.Contains("clone(", StringComparison.Ordinal) && l.Contains("flags=CLONE_VM)", StringComparison.Ordinal));
            Assert.Equal(detached ? 1 : 0, detachedStarts);
        }
        finally
        {
            File.Delete(trace);
        }
        _chain.Run(PodChain.Ours("portmap"), "DEL", "portmap", "", Mappings, _chain.BridgeResult);
    }

    /// <summary>The node's UDP ports from this pod once they are <paramref name="expected"/>, or after 5 s as they are.</summary>
    private string[] UdpPortsOnceSettled(string[] expected)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        string[] ports = NodeUdpPorts();
        while (!ports.SequenceEqual(expected) && waited.Elapsed < TimeSpan.FromSeconds(5))
        {
            Thread.Sleep(20);
            ports = NodeUdpPorts();
        }
        return ports;
    }

    private void SendUdpFromPod(params int[] ports)
    {
        string script =
            "import socket,sys\n" +
            "for p in sys.argv[2:]:\n" +
            "    s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n" +
            "    s.sendto(b'x',(sys.argv[1],int(p)))\n" +
            "    s.close()\n";
        _chain.Pod.ExecCheck(["python3", "-c", script, PodChain.Gateway, .. ports.Select(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
    }

    /// <summary>Destination ports of the node's UDP entries from this pod, sorted.</summary>
    private string[] NodeUdpPorts()
    {
        Shell.Output r = Shell.Run("conntrack", ["-L", "-f", "ipv4", "-p", "udp", "-s", _chain.PodAddress]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        return r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(f => f.StartsWith("dport=", StringComparison.Ordinal)))
            .OfType<string>()
            .Select(f => f["dport=".Length..])
            .Order(StringComparer.Ordinal)
            .ToArray();
    }
}
