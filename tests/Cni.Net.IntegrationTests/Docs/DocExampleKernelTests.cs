using System.Net;
using System.Text.Json;
using Cni.Net.Examples.Guides;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.Namespaces;
using Cni.Net.Netfilter;
using Cni.Net.Netlink.Route;
using Cni.Net.TrafficControl;

namespace Cni.Net.IntegrationTests.Docs;

/// <summary>
/// The guides' code that changes the kernel or reads the node's files, run as the guides show it: regions of
/// docs/examples/Guides in throwaway namespaces, and whole programs (docs/examples/NetlinkQuickStart, RuntimeExecutor,
/// AttachContainer, MyPlugin, and the Guides and SpecModel programs that run one snippet each) in a private network
/// and mount namespace (a tmpfs over /run/netns, /etc/cni/net.d and /var/lib/cni), which vanishes with the process.
/// DocSnippetTests.EveryExample_RunsInSomeTest keeps every example of the guides in some test.
/// </summary>
public sealed partial class DocExampleKernelTests
{
    private static string RepositoryRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "Cni.Net.sln")))
            {
                return dir;
            }
        }
        throw new InvalidOperationException("Cni.Net.sln not found above " + AppContext.BaseDirectory);
    }

    private static string ExampleDll(string name)
    {
        string dll = Path.Combine(RepositoryRoot(), "artifacts", "build", "bin", name, "release", name + ".dll");
        Assert.True(File.Exists(dll), dll + " is missing: build the solution");
        return dll;
    }

    /// <summary>Runs a bash script in fresh network and mount namespaces (private propagation).</summary>
    private static Shell.Output Isolated(string script) =>
        Shell.Run("unshare", ["--net", "--mount", "--propagation", "private", "--", "bash", "-euo", "pipefail", "-c", script],
            timeout: TimeSpan.FromMinutes(2));

    [Fact]
    public void NetlinkQuickStart_WiresThePod()
    {
        string dll = ExampleDll("NetlinkQuickStart");
        Shell.Output r = Isolated($"""
            ip link set lo up
            mount -t tmpfs tmpfs /run/netns
            ip netns add pod1
            dotnet {dll}
            echo '---'; ip -j -d link show veth1a2b
            echo '---'; ip -n pod1 -j addr show eth0
            echo '---'; ip -n pod1 -j route show default
            """);
        Assert.True(r.ExitCode == 0, r.StdOut + r.StdErr);
        string[] parts = r.StdOut.Split("---\n");
        JsonElement veth = JsonDocument.Parse(parts[1]).RootElement[0];
        Assert.Equal("cni0", veth.GetProperty("master").GetString());
        Assert.Equal(1450, veth.GetProperty("mtu").GetInt32());
        JsonElement eth0 = JsonDocument.Parse(parts[2]).RootElement[0];
        Assert.Contains(eth0.GetProperty("addr_info").EnumerateArray(), a => a.GetProperty("local").GetString() == "10.22.0.5" && a.GetProperty("prefixlen").GetInt32() == 16);
        Assert.Equal("10.22.0.1", JsonDocument.Parse(parts[3]).RootElement[0].GetProperty("gateway").GetString());
    }

    [Fact]
    public void RuntimeGuideProgram_RunsAChainOfTheReferencePlugins()
    {
        string dll = ExampleDll("RuntimeExecutor");
        // The guide's program reads /etc/cni/net.d and caches in /var/lib/cni: both are a tmpfs here. /opt/cni/bin,
        // searched first, is hidden too, so the plugins are the reference ones in /usr/lib/cni, as the guide says.
        // No portmap in this chain: the reference portmap 1.1.1 fails CHECK for a pod without IPv6 ("could not check
        // ipv6 dnat"), which runtime.md notes.
        const string Conflist = """{"cniVersion":"1.0.0","name":"docnet","plugins":[{"type":"bridge","bridge":"cnidoc0","isGateway":true,"ipam":{"type":"host-local","ranges":[[{"subnet":"10.66.0.0/24"}]]}},{"type":"tuning","sysctl":{"net.ipv4.conf.eth0.rp_filter":"2"}}]}""";
        Shell.Output r = Isolated($"""
            {NodePaths}
            echo '{Conflist}' > /etc/cni/net.d/10-docnet.conflist
            ip netns add pod1
            dotnet {dll}
            echo '---'; ip -j link show cnidoc0
            echo '---'; cat /var/lib/cni/networks/docnet/last_reserved_ip.0
            echo '---'; ls /var/lib/cni/networks/docnet
            echo '---'; ip -n pod1 -j link show
            """);
        Assert.True(r.ExitCode == 0, r.StdOut + r.StdErr);
        string[] parts = r.StdOut.Split("---\n");
        // ADD made the bridge and allocated 10.66.0.2; DEL released it (only the bookkeeping files stay) and removed
        // the pod's interface.
        Assert.Equal("cnidoc0", JsonDocument.Parse(parts[1]).RootElement[0].GetProperty("ifname").GetString());
        Assert.Equal("10.66.0.2", parts[2].Trim());
        Assert.DoesNotContain("10.66.0.2", parts[3], StringComparison.Ordinal);
        Assert.DoesNotContain(JsonDocument.Parse(parts[4]).RootElement.EnumerateArray(), l => l.GetProperty("ifname").GetString() == "eth0");
        // The executor's log (the guide wires it to stderr) shows the three verbs.
        foreach (string verb in new[] { "ADD", "CHECK", "DEL" })
        {
            Assert.Contains(verb + " network docnet", r.StdErr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void PackageReadmeProgram_AttachesAContainerWithAHostPort()
    {
        string dll = ExampleDll("AttachContainer");
        // The package page's 15-line example, against the reference bridge, host-local and portmap: it prints the
        // address, then DELs. The host port's DNAT chain is there during the run and gone after it.
        const string Conflist = """{"cniVersion":"1.0.0","name":"pkgnet","plugins":[{"type":"bridge","bridge":"cnipkg0","isGateway":true,"ipam":{"type":"host-local","ranges":[[{"subnet":"10.67.0.0/24"}]]}},{"type":"portmap","capabilities":{"portMappings":true}}]}""";
        Shell.Output r = Isolated($"""
            {NodePaths}
            echo '{Conflist}' > /etc/cni/net.d/10-pkgnet.conflist
            ip netns add ctr-1
            dotnet {dll}
            echo '---'; iptables-nft-save -t nat
            """);
        Assert.True(r.ExitCode == 0, r.StdOut + r.StdErr);
        string[] parts = r.StdOut.Split("---\n");
        Assert.Equal("ctr-1 has 10.67.0.2/24", parts[0].Trim());
        // portmap made its chains for the run; DEL took the container's DNAT rule away again.
        Assert.Contains(":CNI-HOSTPORT-DNAT", parts[1], StringComparison.Ordinal);
        Assert.DoesNotContain("--dport 8080", parts[1], StringComparison.Ordinal);
    }

    [Fact]
    public void NetfilterGuide_Transaction_LeavesTheRules()
    {
        using var ns = new TestNamespace("docnf");
        using NetworkNamespace handle = NetworkNamespace.Open(ns.Path);
        NetfilterRule dnat = NetfilterAndTcExamples.RuleModel();
        var masquerade = new NetfilterRule { Source = IPNetwork.Parse("10.88.0.0/16"), Target = NetfilterTarget.Masquerade };
        var old = new NetfilterRule { Protocol = "udp", Target = NetfilterTarget.Accept };
        handle.Run(() => NetfilterAndTcExamples.TransactionAsync(dnat, masquerade, old).GetAwaiter().GetResult());
        string nat = ns.ExecCheck("iptables-nft-save", "-t", "nat");
        Assert.Contains("-A CNI-HOSTPORT-DNAT " + dnat, nat, StringComparison.Ordinal);
        Assert.Contains("-A POSTROUTING -s 10.88.0.0/16 -j MASQUERADE", nat, StringComparison.Ordinal);
    }

    [Fact]
    public void NetlinkGuide_TryDelete_AndTheLowLevelCodec()
    {
        using var ns = new TestNamespace("docnl");
        ns.ExecCheck("ip", "link", "add", "veth1a2b", "type", "veth", "peer", "name", "eth0");
        ns.ExecCheck("ip", "addr", "add", "10.22.0.5/16", "dev", "eth0");
        using NetworkNamespace handle = NetworkNamespace.Open(ns.Path);
        using RouteNetlink rtnl = RouteNetlink.Open(handle);
        int eth0 = rtnl.GetLinkIndex("eth0");

        TbfParameters tbf = TbfParameters.FromBandwidth(8_000_000, 800_000);
        NetlinkExamples.AddTbf(rtnl, eth0, new NetlinkExamples.TbfOptions
        {
            RateBytesPerSecond = (uint)tbf.RateBytesPerSecond,
            Buffer = tbf.BufferTicks,
            Limit = tbf.LimitBytes,
        }, tbf.BurstBytes);
        JsonElement qdisc = Shell.Json("tc", "-j", "-n", ns.Name, "qdisc", "show", "dev", "eth0")[0];
        Assert.Equal("tbf", qdisc.GetProperty("kind").GetString());
        Assert.Equal(1_000_000, qdisc.GetProperty("options").GetProperty("rate").GetInt64());

        Assert.Equal((true, true), NetlinkExamples.Delete(rtnl, rtnl, eth0, IPAddress.Parse("10.22.0.5")));
        Assert.Empty(ns.IpJson("link", "show", "type", "veth").EnumerateArray());
        // A DEL that runs again finds the address already gone: false, not an exception.
        ns.ExecCheck("ip", "link", "add", "veth1a2b", "type", "veth", "peer", "name", "eth0");
        Assert.Equal((false, true), NetlinkExamples.Delete(rtnl, rtnl, rtnl.GetLinkIndex("eth0"), IPAddress.Parse("10.22.0.5")));
    }
}
