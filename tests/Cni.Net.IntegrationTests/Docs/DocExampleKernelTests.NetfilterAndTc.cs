using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Cni.Net.Examples.Guides;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.Namespaces;
using Cni.Net.Netfilter;
using Cni.Net.Netfilter.Conntrack;

namespace Cni.Net.IntegrationTests.Docs;

/// <summary>docs/netfilter-and-tc.md's native backend, conntrack and tc snippets, in throwaway namespaces.</summary>
public sealed partial class DocExampleKernelTests
{
    [Fact]
    public void NetfilterGuide_Native_WritesTheRuleWithoutTools()
    {
        using var ns = new TestNamespace("docnft");
        using NetworkNamespace handle = NetworkNamespace.Open(ns.Path);
        var tx = new NetfilterTransaction(AddressFamily.InterNetwork)
            .EnsureChain(NetfilterTable.Nat, "CNI-HOSTPORT-DNAT")
            .AppendUnique(NetfilterTable.Nat, "CNI-HOSTPORT-DNAT", NetfilterAndTcExamples.RuleModel());
        handle.Run(() => NetfilterAndTcExamples.NativeAsync(tx).GetAwaiter().GetResult());

        JsonElement rule = Shell.Json("ip", "netns", "exec", ns.Name, "nft", "-j", "list", "chain", "ip", "nat", "CNI-HOSTPORT-DNAT")
            .GetProperty("nftables").EnumerateArray().Single(e => e.TryGetProperty("rule", out _)).GetProperty("rule");
        var matches = rule.GetProperty("expr").EnumerateArray().Where(e => e.TryGetProperty("match", out _))
            .Select(e => (e.GetProperty("match").GetProperty("left").GetProperty("payload").GetProperty("field").GetString(),
                e.GetProperty("match").GetProperty("right").ToString())).ToList();
        Assert.Equal([("daddr", "192.0.2.1"), ("dport", "8080")], matches);
        Assert.Contains(rule.GetProperty("expr").EnumerateArray(), e => e.TryGetProperty("xt", out JsonElement xt) && xt.GetProperty("name").GetString() == "DNAT");
    }

    [Fact]
    public void NetfilterGuide_Conntrack_ForgetsTheUdpFlowsToTheHostPorts()
    {
        using var node = new TestNamespace("doctnode");
        using var peer = new TestNamespace("doctpeer");
        Shell.Check("ip", "-n", node.Name, "link", "add", "ct0", "type", "veth", "peer", "name", "ct1", "netns", peer.Name);
        foreach (var (ns, link, address) in new[] { (node, "ct0", "10.99.0.1/24"), (peer, "ct1", "10.99.0.2/24") })
        {
            Shell.Check("ip", "-n", ns.Name, "addr", "add", address, "dev", link);
            Shell.Check("ip", "-n", ns.Name, "link", "set", link, "up");
        }
        // A rule that needs conntrack, so that the node's namespace tracks flows; then UDP from the peer to three ports.
        Shell.Output track = Shell.Run("ip", ["netns", "exec", node.Name, "nft", "-f", "-"],
            stdin: "table inet cnt_ct {\n chain track {\n  type filter hook input priority 0;\n  ct state new counter accept\n }\n}\n");
        Assert.True(track.ExitCode == 0, track.StdErr);
        const string Send = "import socket,sys\nfor p in sys.argv[1:]:\n    s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n    s.sendto(b'x',('10.99.0.1',int(p)))\n    s.close()\n";
        peer.ExecCheck("python3", "-c", Send, "8053", "8054", "8055");
        Assert.Equal(["8053", "8054", "8055"], UdpDestinationPorts(node));

        using NetworkNamespace handle = NetworkNamespace.Open(node.Path);
        IReadOnlyList<ConntrackFlow> flows = handle.Run(NetfilterAndTcExamples.Conntrack);

        ConntrackFlow left = Assert.Single(flows);
        Assert.Equal((ProtocolType.Udp, IPAddress.Parse("10.99.0.2"), (ushort)8055), (left.Protocol, left.Source, left.DestinationPort));
        Assert.Equal(["8055"], UdpDestinationPorts(node));
    }

    private static List<string> UdpDestinationPorts(TestNamespace ns) =>
        ns.ExecCheck("conntrack", "-L", "-f", "ipv4", "-p", "udp").Split('\n')
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(f => f.StartsWith("dport=", StringComparison.Ordinal)))
            .OfType<string>().Select(f => f["dport=".Length..]).Order(StringComparer.Ordinal).ToList();

    [Fact]
    public void NetfilterGuide_Tc_BuildsTheBandwidthLayout()
    {
        using var ns = new TestNamespace("doctc");
        ns.ExecCheck("ip", "link", "add", "veth0", "type", "veth", "peer", "name", "veth0p");
        ns.ExecCheck("ip", "link", "add", "bwp0", "type", "ifb");
        foreach (string link in new[] { "veth0", "veth0p", "bwp0" })
        {
            ns.ExecCheck("ip", "link", "set", link, "up");
        }
        using NetworkNamespace handle = NetworkNamespace.Open(ns.Path);
        handle.Run(NetfilterAndTcExamples.TrafficControl);

        // 10 Mbit/s is 1,250,000 bytes/s on both tbfs; veth0's ingress qdisc redirects everything to bwp0.
        JsonElement vethQdiscs = Shell.Json("tc", "-j", "-n", ns.Name, "qdisc", "show", "dev", "veth0");
        JsonElement tbf = vethQdiscs.EnumerateArray().Single(q => q.GetProperty("kind").GetString() == "tbf");
        Assert.Equal(("1:", true, 1_250_000L), (tbf.GetProperty("handle").GetString(), tbf.GetProperty("root").GetBoolean(),
            tbf.GetProperty("options").GetProperty("rate").GetInt64()));
        Assert.Contains(vethQdiscs.EnumerateArray(), q => q.GetProperty("kind").GetString() == "ingress");
        JsonElement ifbTbf = Shell.Json("tc", "-j", "-n", ns.Name, "qdisc", "show", "dev", "bwp0")[0];
        Assert.Equal(("tbf", 1_250_000L), (ifbTbf.GetProperty("kind").GetString(), ifbTbf.GetProperty("options").GetProperty("rate").GetInt64()));
        JsonElement u32 = Shell.Json("tc", "-j", "-n", ns.Name, "filter", "show", "dev", "veth0", "ingress").EnumerateArray()
            .Single(f => f.TryGetProperty("options", out JsonElement o) && o.TryGetProperty("actions", out _));
        Assert.Equal(("u32", "1:1"), (u32.GetProperty("kind").GetString(), u32.GetProperty("options").GetProperty("flowid").GetString()));
        JsonElement mirred = Assert.Single(u32.GetProperty("options").GetProperty("actions").EnumerateArray());
        Assert.Equal(("mirred", "egress", "redirect", "bwp0"), (mirred.GetProperty("kind").GetString(), mirred.GetProperty("direction").GetString(),
            mirred.GetProperty("mirred_action").GetString(), mirred.GetProperty("to_dev").GetString()));
    }
}
