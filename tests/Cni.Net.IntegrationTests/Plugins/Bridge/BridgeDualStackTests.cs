using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.IntegrationTests.Netfilter;
using Cni.Net.Netfilter;
using Cni.Net.Spec;
using Cni.Net.Conventions;

namespace Cni.Net.IntegrationTests.Plugins.Bridge;

/// <summary>Our bridge with an IPv4 and an IPv6 range: both families addressed, routed, masqueraded and removed.</summary>
public class BridgeDualStackTests
{
    [Fact]
    public async Task DualStack_TwoPods_PingOverBothFamilies_AndDelRemovesBothMasqueradeChains()
    {
        using var node = new PluginTestNode(("bridge", PluginTestNode.Ours("bridge")), ("host-local", PluginTestNode.Reference("host-local")));
        using var a = new TestNamespace("brpa");
        using var b = new TestNamespace("brpb");
        string conflist = node.Conflist(subnet6: "fd77::/64");
        CniResult ra = await node.AddAsync(conflist, a, "ctr-ds-a");
        CniResult rb = await node.AddAsync(conflist, b, "ctr-ds-b");

        Assert.Equal(["10.77.0.2/24", "fd77::2/64"], ra.IPs.Select(i => i.Address.ToString()).ToArray());
        Assert.Equal(["10.77.0.1", "fd77::1"], ra.IPs.Select(i => i.Gateway!.ToString()).ToArray());
        Assert.Contains("fd77::1/64", Shell.Check("ip", "-o", "-6", "addr", "show", "dev", node.Bridge), StringComparison.Ordinal);
        Assert.Contains("default via fd77::1 dev eth0", a.ExecCheck("ip", "-6", "route"), StringComparison.Ordinal);
        Assert.Equal("1", File.ReadAllText("/proc/sys/net/ipv6/conf/all/forwarding").Trim());
        Assert.DoesNotContain("tentative", a.ExecCheck("ip", "-6", "addr", "show", "dev", "eth0"), StringComparison.Ordinal);

        Ping(a, "fd77::3");
        Ping(b, "fd77::1");
        Ping(a, "10.77.0.3");
        string chain = CniNames.ContainerChain("brtest", "ctr-ds-a");
        Assert.Contains($"-A {chain} ! -d ff00::/8", NetfilterTestSupport.Save("nat", v6: true), StringComparison.Ordinal);
        await node.CheckAsync(conflist, a, "ctr-ds-a");

        await node.DelAsync(conflist, a.Path, "ctr-ds-a");
        await node.DelAsync(conflist, null, "ctr-ds-b");
        Assert.DoesNotContain("CNI-", NetfilterTestSupport.Save("nat", v6: true), StringComparison.Ordinal);
        Assert.DoesNotContain("CNI-", PluginTestNode.Nat(), StringComparison.Ordinal);
        Assert.Empty(node.Reservations());
    }

    // Up to 3 echo requests: the first IPv6 one may wait on neighbour discovery. On failure, show the node's
    // filtering state, which a bridged packet crosses while bridge-nf-call-ip6tables is 1.
    private static void Ping(TestNamespace from, string address)
    {
        Shell.Output r = from.Exec("ping", "-c", "3", "-i", "0.3", "-W", "2", address);
        Assert.True(r.ExitCode == 0,
            $"ping {address} failed: {r.StdOut}{r.StdErr}\n{Shell.Run("nft", ["list", "ruleset"]).StdOut}\n" +
            $"{from.Exec("ip", "-6", "neigh").StdOut}{from.Exec("ip", "-6", "addr").StdOut}");
    }
}
