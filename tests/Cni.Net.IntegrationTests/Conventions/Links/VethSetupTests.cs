using System.Text.Json;
using Cni.Net.Conventions.Links;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.IntegrationTests.Netlink;
using Cni.Net.Namespaces;
using Cni.Net.Netlink.Route;

namespace Cni.Net.IntegrationTests.Conventions.Links;

/// <summary>
/// A pod's veth pair is made with the one transmit queue the kernel would keep of its default (no grace periods to
/// cut the rest), and the receive queues the kernel gives any veth; what a veth left to the kernel gets, for contrast.
/// </summary>
public class VethSetupTests
{
    [Fact]
    public void Create_BothEndsHaveOneTransmitQueue_AndTheKernelsReceiveQueues()
    {
        using var node = new NetlinkTestScope("vethsetup");
        using var podScope = new NetlinkTestScope("vethsetuppod");
        node.Rtnl.AddLink(new VethLink("ref0", "ref1"));
        JsonElement kernelDefault = node.Link("ref0");
        int defaultQueues = kernelDefault.GetProperty("num_tx_queues").GetInt32();
        Assert.Equal(PossibleCpus.Count(), defaultQueues);
        Assert.Equal(defaultQueues, kernelDefault.GetProperty("num_rx_queues").GetInt32());

        VethPair pair = node.Namespace.Run(() => VethSetup.Create(node.Rtnl, podScope.Rtnl, podScope.Namespace, "eth0"));

        foreach (JsonElement end in new[] { node.Link(pair.Host.Name), podScope.Link("eth0") })
        {
            Assert.Equal(1, end.GetProperty("num_tx_queues").GetInt32());
            Assert.Equal(defaultQueues, end.GetProperty("num_rx_queues").GetInt32());
        }
    }

    [Fact]
    public void VethLinkTransmitQueues_AreWhatBothEndsAreMadeWith()
    {
        using var node = new NetlinkTestScope("vethtxq");
        using var peer = new TestNamespace("vethtxqpeer");
        using NetworkNamespace peerNamespace = NetworkNamespace.Open(peer.Path);
        node.Rtnl.AddLink(new VethLink("txq0", "txq1") { PeerNamespace = peerNamespace, TransmitQueues = 3 });

        Assert.Equal(3, node.Link("txq0").GetProperty("num_tx_queues").GetInt32());
        Assert.Equal(3, peer.IpJson("link", "show", "dev", "txq1")[0].GetProperty("num_tx_queues").GetInt32());
    }

    [Fact]
    public void VethLinkTransmitQueues_ZeroIsRefusedAtOnce_TooManyIsTheKernelsClearError()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new VethLink("txz0", "txz1") { TransmitQueues = 0 });

        using var node = new NetlinkTestScope("vethtxqbad");
        Cni.Net.Netlink.NetlinkException e = Assert.Throws<Cni.Net.Netlink.NetlinkException>(() =>
            node.Rtnl.AddLink(new VethLink("txb0", "txb1") { TransmitQueues = 100_000 }));
        Assert.Equal("EINVAL", e.ErrnoName);
        Assert.Contains("txb0", e.Message, StringComparison.Ordinal);
        Assert.Contains("transmit queues", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.False(node.LinkExists("txb0"));
    }
}
