using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text.Json;
using Cni.Net.Netlink;
using Cni.Net.Netlink.Route;

namespace Cni.Net.IntegrationTests.Netlink;

public class NeighborTests
{
    [Fact]
    public void AddReplaceDeleteNeighbor_Ipv4AndIpv6()
    {
        using var s = new NetlinkTestScope("neigh");
        s.Rtnl.AddVeth("n0", "n1");
        int i = s.Rtnl.GetLinkIndex("n0");
        s.Rtnl.SetLinkUp(i);
        var v4 = new Neighbor(i, IPAddress.Parse("10.0.0.9")) { LinkLayerAddress = PhysicalAddress.Parse("02-00-00-00-00-09") };
        var v6 = new Neighbor(i, IPAddress.Parse("fd00::9")) { LinkLayerAddress = PhysicalAddress.Parse("02-00-00-00-00-06"), State = NeighborStates.Reachable };
        s.Rtnl.AddNeighbor(v4);
        s.Rtnl.AddNeighbor(v6);

        JsonElement n4 = s.Ns.IpJson("neigh", "show", "dev", "n0", "10.0.0.9")[0];
        Assert.Equal("02:00:00:00:00:09", n4.GetProperty("lladdr").GetString());
        Assert.Contains("PERMANENT", n4.GetProperty("state").EnumerateArray().Select(x => x.GetString()));
        JsonElement n6 = s.Ns.IpJson("-6", "neigh", "show", "dev", "n0", "fd00::9")[0];
        Assert.Equal("02:00:00:00:00:06", n6.GetProperty("lladdr").GetString());

        List<Neighbor> listed = s.Rtnl.ListNeighbors(AddressFamily.Unspecified, i);
        Neighbor l4 = listed.Single(n => n.Address.Equals(IPAddress.Parse("10.0.0.9")));
        Assert.Equal(NeighborStates.Permanent, l4.State);
        Assert.Equal(PhysicalAddress.Parse("02-00-00-00-00-09"), l4.LinkLayerAddress);

        NetlinkException dup = Assert.Throws<NetlinkException>(() => s.Rtnl.AddNeighbor(v4));
        Assert.Equal("EEXIST", dup.ErrnoName);
        v4.LinkLayerAddress = PhysicalAddress.Parse("02-00-00-00-00-10");
        s.Rtnl.ReplaceNeighbor(v4);
        Assert.Equal("02:00:00:00:00:10", s.Ns.IpJson("neigh", "show", "dev", "n0", "10.0.0.9")[0].GetProperty("lladdr").GetString());

        s.Rtnl.DeleteNeighbor(v4);
        Assert.Empty(s.Ns.IpJson("neigh", "show", "dev", "n0", "10.0.0.9").EnumerateArray());
        Assert.False(s.Rtnl.TryDeleteNeighbor(v4));
        NetlinkException gone = Assert.Throws<NetlinkException>(() => s.Rtnl.DeleteNeighbor(v4));
        Assert.Equal("ENOENT", gone.ErrnoName);
    }
}
