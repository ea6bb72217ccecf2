using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Cni.Net.IntegrationTests.Cri.V1;
using Cni.Net.IntegrationTests.Infrastructure;
using static Cni.Net.IntegrationTests.Netfilter.NetfilterTestSupport;

namespace Cni.Net.IntegrationTests.Cri;

/// <summary>Pods with hostPorts and bandwidth annotations: what portmap and bandwidth make of containerd's capability arguments.</summary>
public sealed partial class ContainerdCriTests
{
    private const int ServerPort = 8080;
    private const int HostPort = 18080;

    private static PortMapping TcpHostPort(int hostPort) =>
        new() { Protocol = V1.Protocol.Tcp, ContainerPort = ServerPort, HostPort = hostPort };

    private static JsonElement[] Qdiscs(ContainerdNode node, string device) =>
        Shell.Json("tc", "-j", "-n", node.Node.Name, "qdisc", "show", "dev", device).EnumerateArray().ToArray();


    [Theory]
    [MemberData(nameof(Versions))]
    public void HostPort_ReachableViaNodeAddress_FromOutside_FromAnotherPod_AndHairpin(string cniVersion)
    {
        using var node = new ContainerdNode(cniVersion);
        CriPod server = node.RunPod("web", [TcpHostPort(HostPort)]);
        CriPod other = node.RunPod("peer");
        using var echo = new PeerEchoServer(server.Enter, ServerPort);

        // From a machine outside the node: DNAT only, the client's address is kept.
        Assert.Equal("peer=" + ContainerdNode.ClientAddress, Connect(node.Client, ContainerdNode.NodeAddress, HostPort));
        // From another pod on the node, through the node's address: masqueraded to the bridge's address, as the
        // reference portmap's hairpin rule matches the pod's whole subnet (so the reply returns through the node's
        // conntrack entry instead of going straight back over the bridge).
        Assert.Equal("peer=" + ContainerdNode.Gateway, ConnectThrough(other.Enter, ContainerdNode.NodeAddress, HostPort));
        // Hairpin: the pod reaches itself through its own hostPort; portmap masquerades it (to the bridge's address),
        // or the pod would answer itself directly and the connection would never be made.
        Assert.Equal("peer=" + ContainerdNode.Gateway, ConnectThrough(server.Enter, ContainerdNode.NodeAddress, HostPort));

        node.StopAndRemove(server);
        node.StopAndRemove(other);
        AssertNothingLeft(node, [server, other]);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void HostPort_ReachableVia127001OnTheNode(string cniVersion)
    {
        using var node = new ContainerdNode(cniVersion);
        CriPod server = node.RunPod("local", [TcpHostPort(HostPort)]);
        using var echo = new PeerEchoServer(server.Enter, ServerPort);

        // A node-local client (what `curl localhost:<hostPort>` on a node does): DNAT from 127.0.0.1 needs
        // route_localnet on the bridge and the masquerade of 127.0.0.1 to the bridge's address.
        Assert.Equal("peer=" + ContainerdNode.Gateway, Connect(node.Node, "127.0.0.1", HostPort));

        node.StopAndRemove(server);
        AssertNothingLeft(node, [server]);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void BandwidthAnnotations_ShapeTheHostVethAndAnIfb(string cniVersion)
    {
        using var node = new ContainerdNode(cniVersion);
        CriPod pod = node.RunPod("shaped", ingressBandwidth: "10M", egressBandwidth: "5M");
        string veth = pod.HostVeth(node.Node);
        string ifb = "bwp" + Convert.ToHexStringLower(SHA512.HashData(Encoding.UTF8.GetBytes(ContainerdNode.Network + pod.Id)))[..12];

        // Ingress (towards the pod): tbf at the root of the host veth, 10 Mbit/s = 1250000 B/s.
        JsonElement[] vethQdiscs = Qdiscs(node, veth);
        JsonElement tbf = Assert.Single(vethQdiscs, q => q.GetProperty("kind").GetString() == "tbf");
        Assert.Equal("root", tbf.GetProperty("root").ValueKind == JsonValueKind.True ? "root" : tbf.GetProperty("parent").GetString());
        Assert.Equal(1_250_000, tbf.GetProperty("options").GetProperty("rate").GetInt64());
        // Egress (from the pod): ingress qdisc on the host veth redirecting to the ifb, tbf 5 Mbit/s there.
        Assert.Single(vethQdiscs, q => q.GetProperty("kind").GetString() == "ingress");
        string filters = node.Node.ExecCheck("tc", "-j", "filter", "show", "dev", veth, "parent", "ffff:");
        Assert.Contains("\"to_dev\":\"" + ifb + "\"", filters, StringComparison.Ordinal);
        JsonElement ifbLink = Assert.Single(node.Node.IpJson("link", "show", "dev", ifb).EnumerateArray());
        Assert.Equal("ifb", ifbLink.GetProperty("linkinfo").GetProperty("info_kind").GetString());
        JsonElement ifbTbf = Assert.Single(Qdiscs(node, ifb), q => q.GetProperty("kind").GetString() == "tbf");
        Assert.Equal(625_000, ifbTbf.GetProperty("options").GetProperty("rate").GetInt64());

        node.StopAndRemove(pod);
        AssertNothingLeft(node, [pod]);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void StopAndRemove_OfPodsWithHostPortsAndShaping_LeavesNothingBehind(string cniVersion)
    {
        using var node = new ContainerdNode(cniVersion);
        CriPod a = node.RunPod("full-a", [TcpHostPort(HostPort)], "10M", "5M");
        CriPod b = node.RunPod("full-b", [TcpHostPort(HostPort + 1)], "10M", "5M");
        // Make sure there was something to remove: per-pod chains, two ifbs, IPAM files, cache entries.
        string before = node.Node.ExecCheck("nft", "list", "ruleset");
        Assert.Contains(a.Address, before, StringComparison.Ordinal);
        Assert.Contains(b.Address, before, StringComparison.Ordinal);
        Assert.Equal(2, node.Node.IpJson("link", "show", "type", "ifb").GetArrayLength());
        Assert.True(File.Exists(Path.Combine(node.VarLibCni, "networks", ContainerdNode.Network, a.Address)));
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(node.VarLibCni, "results"), "*" + a.Id + "*"));

        node.StopAndRemove(a);
        node.StopAndRemove(b);
        AssertNothingLeft(node, [a, b]);
    }
}
