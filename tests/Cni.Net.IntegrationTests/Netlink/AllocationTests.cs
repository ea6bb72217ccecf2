using System.Net;
using Cni.Net.Netlink.Route;

namespace Cni.Net.IntegrationTests.Netlink;

/// <summary>
/// The hot path allocates nothing after warm-up: creating and deleting veth pairs, setting a link up, adding and
/// deleting addresses and routes, acknowledgements included.
/// </summary>
public class AllocationTests
{
    [Fact]
    public void HotPathOperations_AllocateZeroBytesAfterWarmUp()
    {
        using var s = new NetlinkTestScope("alloc");
        RouteNetlink rtnl = s.Rtnl;
        rtnl.AddVeth("up0", "up1");
        int uplink = rtnl.GetLinkIndex("up0");
        rtnl.SetLinkUp(uplink);
        rtnl.AddAddress(uplink, IPAddress.Parse("10.0.0.1"), 24);
        var address = IPAddress.Parse("10.64.0.1");
        var route = new IPRoute
        {
            Destination = IPAddress.Parse("10.128.0.1"),
            DestinationPrefixLength = 32,
            Gateway = IPAddress.Parse("10.0.0.2"),
            DeviceIndex = uplink,
        };

        void Cycle()
        {
            rtnl.AddVeth("ha0", "hb0");
            int index = rtnl.GetLinkIndex("ha0");
            rtnl.SetLinkUp(index);
            rtnl.AddAddress(uplink, address, 32);
            rtnl.DeleteAddress(uplink, address, 32);
            rtnl.AddRoute(route);
            rtnl.DeleteRoute(route);
            rtnl.DeleteLink("ha0");
        }

        for (int i = 0; i < 20; i++)
        {
            Cycle();
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000 / 7; i++)
        {
            Cycle();
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.False(s.LinkExists("ha0"));
        Assert.Empty(s.Ns.IpJson("route", "show", "10.128.0.1").EnumerateArray());
    }

    [Fact]
    public void Batch_AllocatesZeroBytesAfterWarmUp()
    {
        using var s = new NetlinkTestScope("allocb");
        RouteNetlink rtnl = s.Rtnl;
        rtnl.AddVeth("up0", "up1");
        int uplink = rtnl.GetLinkIndex("up0");
        rtnl.SetLinkUp(uplink);
        rtnl.AddAddress(uplink, IPAddress.Parse("10.0.0.1"), 24);
        var route = new IPRoute { Destination = IPAddress.Parse("10.128.0.1"), DestinationPrefixLength = 32, Gateway = IPAddress.Parse("10.0.0.2") };

        void Cycle()
        {
            RouteBatch batch = rtnl.BeginBatch();
            batch.AddRoute(route);
            batch.AddVeth("ba0", "bb0");
            batch.Execute();
            batch.DeleteRoute(route);
            batch.DeleteLink("ba0");
            batch.Execute();
        }

        for (int i = 0; i < 20; i++)
        {
            Cycle();
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 250; i++)
        {
            Cycle();
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
