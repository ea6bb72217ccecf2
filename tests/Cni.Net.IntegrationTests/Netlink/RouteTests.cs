using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Cni.Net.Netlink;
using Cni.Net.Netlink.Route;

namespace Cni.Net.IntegrationTests.Netlink;

public class RouteTests
{
    private static NetlinkTestScope WithUplink(string hint, out int index)
    {
        var s = new NetlinkTestScope(hint);
        s.Rtnl.AddVeth("r0", "r1");
        index = s.Rtnl.GetLinkIndex("r0");
        s.Rtnl.SetLinkUp(index);
        s.Rtnl.SetLinkUp(s.Rtnl.GetLinkIndex("r1"));
        s.Rtnl.AddAddress(index, IPAddress.Parse("10.0.0.1"), 24);
        s.Rtnl.AddAddress(new InterfaceAddress(index, IPAddress.Parse("fd00::1"), 64) { Flags = AddressFlags.NoDad });
        return s;
    }

    private static JsonElement Route(NetlinkTestScope s, params string[] args) => s.Ns.IpJson(["route", "show", .. args])[0];

    [Fact]
    public void AddRoute_ViaGateway_WithMetricsPrefsrcAndPriority()
    {
        using NetlinkTestScope s = WithUplink("rt", out int i);
        var route = new IPRoute
        {
            Destination = IPAddress.Parse("10.128.0.0"),
            DestinationPrefixLength = 16,
            Gateway = IPAddress.Parse("10.0.0.2"),
            DeviceIndex = i,
            PreferredSource = IPAddress.Parse("10.0.0.1"),
            Priority = 50,
            Mtu = 1400,
            AdvertisedMss = 1360,
        };
        s.Rtnl.AddRoute(route);

        JsonElement r = Route(s, "10.128.0.0/16");
        Assert.Equal("10.0.0.2", r.GetProperty("gateway").GetString());
        Assert.Equal("r0", r.GetProperty("dev").GetString());
        Assert.Equal("10.0.0.1", r.GetProperty("prefsrc").GetString());
        Assert.Equal(50, r.GetProperty("metric").GetInt32());
        Assert.Equal("boot", r.GetProperty("protocol").GetString());
        JsonElement metrics = r.GetProperty("metrics")[0];
        Assert.Equal(1400, metrics.GetProperty("mtu").GetInt32());
        Assert.Equal(1360, metrics.GetProperty("advmss").GetInt32());

        IPRoute listed = s.Rtnl.ListRoutes(AddressFamily.InterNetwork).Single(x => IPAddress.Parse("10.128.0.0").Equals(x.Destination));
        Assert.Equal(16, listed.DestinationPrefixLength);
        Assert.Equal(IPAddress.Parse("10.0.0.2"), listed.Gateway);
        Assert.Equal(1400u, listed.Mtu);
        Assert.Equal(1360u, listed.AdvertisedMss);
        Assert.Equal(50u, listed.Priority);
        Assert.Equal(RouteTable.Main, listed.Table);

        NetlinkException dup = Assert.Throws<NetlinkException>(() => s.Rtnl.AddRoute(route));
        Assert.Equal("EEXIST", dup.ErrnoName);
        Assert.False(s.Rtnl.TryAddRoute(route));
        s.Rtnl.DeleteRoute(route);
        Assert.Empty(s.Ns.IpJson("route", "show", "10.128.0.0/16").EnumerateArray());
        Assert.False(s.Rtnl.TryDeleteRoute(route));
    }

    [Fact]
    public void AddRoute_DefaultRouteIpv6AndTableAbove255()
    {
        using NetlinkTestScope s = WithUplink("rt6", out int i);
        var route = new IPRoute { Gateway = IPAddress.Parse("fd00::2"), DeviceIndex = i, Table = 1000 };
        s.Rtnl.AddRoute(route);
        JsonElement r = s.Ns.IpJson("-6", "route", "show", "table", "1000")[0];
        Assert.Equal("default", r.GetProperty("dst").GetString());
        Assert.Equal("fd00::2", r.GetProperty("gateway").GetString());
        IPRoute listed = s.Rtnl.ListRoutes(AddressFamily.InterNetworkV6, 1000).Single();
        Assert.Null(listed.Destination);
        Assert.Equal(1000u, listed.Table);
        s.Rtnl.DeleteRoute(route);
        Assert.Empty(s.Ns.IpJson("-6", "route", "show", "table", "1000").EnumerateArray());
    }

    [Fact]
    public void AddRoute_TypesBlackholeUnreachableLocal()
    {
        using NetlinkTestScope s = WithUplink("rttype", out int i);
        s.Rtnl.AddRoute(new IPRoute { Destination = IPAddress.Parse("192.0.2.0"), DestinationPrefixLength = 24, Type = RouteType.Blackhole });
        s.Rtnl.AddRoute(new IPRoute { Destination = IPAddress.Parse("198.51.100.0"), DestinationPrefixLength = 24, Type = RouteType.Unreachable });
        s.Rtnl.AddRoute(new IPRoute { Destination = IPAddress.Parse("203.0.113.7"), DestinationPrefixLength = 32, Type = RouteType.Local, DeviceIndex = i, Table = RouteTable.Local });

        Assert.Equal("blackhole", Route(s, "192.0.2.0/24").GetProperty("type").GetString());
        Assert.Equal("unreachable", Route(s, "198.51.100.0/24").GetProperty("type").GetString());
        JsonElement local = s.Ns.IpJson("route", "show", "table", "local", "203.0.113.7")[0];
        Assert.Equal("local", local.GetProperty("type").GetString());
        Assert.Equal("host", local.GetProperty("scope").GetString());
        List<IPRoute> main = s.Rtnl.ListRoutes(AddressFamily.InterNetwork);
        Assert.Equal(RouteType.Blackhole, main.Single(r => IPAddress.Parse("192.0.2.0").Equals(r.Destination)).Type);
    }

    [Fact]
    public void AddRoute_DirectRouteGetsLinkScope_OnlinkGateway()
    {
        using NetlinkTestScope s = WithUplink("rtscope", out int i);
        s.Rtnl.AddRoute(new IPRoute { Destination = IPAddress.Parse("10.50.0.0"), DestinationPrefixLength = 16, DeviceIndex = i });
        Assert.Equal("link", Route(s, "10.50.0.0/16").GetProperty("scope").GetString());

        s.Rtnl.AddRoute(new IPRoute { Destination = IPAddress.Parse("10.60.0.0"), DestinationPrefixLength = 16, Gateway = IPAddress.Parse("172.16.0.1"), DeviceIndex = i, OnLink = true });
        JsonElement r = Route(s, "10.60.0.0/16");
        Assert.Contains("onlink", r.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
    }

    [Fact]
    public void AddRoute_Multipath_WeightsVisible()
    {
        using NetlinkTestScope s = WithUplink("rtmp", out int i);
        var route = new IPRoute { Destination = IPAddress.Parse("10.200.0.0"), DestinationPrefixLength = 16 };
        route.NextHops.Add(new NextHop { Gateway = IPAddress.Parse("10.0.0.2"), DeviceIndex = i, Weight = 1 });
        route.NextHops.Add(new NextHop { Gateway = IPAddress.Parse("10.0.0.3"), DeviceIndex = i, Weight = 3 });
        s.Rtnl.AddRoute(route);

        JsonElement[] hops = Route(s, "10.200.0.0/16").GetProperty("nexthops").EnumerateArray().ToArray();
        Assert.Equal(2, hops.Length);
        Assert.Equal("10.0.0.2", hops[0].GetProperty("gateway").GetString());
        Assert.Equal(1, hops[0].GetProperty("weight").GetInt32());
        Assert.Equal("10.0.0.3", hops[1].GetProperty("gateway").GetString());
        Assert.Equal(3, hops[1].GetProperty("weight").GetInt32());
        IPRoute listed = s.Rtnl.ListRoutes(AddressFamily.InterNetwork).Single(r => IPAddress.Parse("10.200.0.0").Equals(r.Destination));
        Assert.Equal([1, 3], listed.NextHops.Select(h => h.Weight));
        Assert.Equal(IPAddress.Parse("10.0.0.3"), listed.NextHops[1].Gateway);
        s.Rtnl.DeleteRoute(route);
        Assert.Empty(s.Ns.IpJson("route", "show", "10.200.0.0/16").EnumerateArray());
    }

    [Fact]
    public void ReplaceAndAppendRoute()
    {
        using NetlinkTestScope s = WithUplink("rtrep", out int i);
        var route = new IPRoute { Destination = IPAddress.Parse("10.90.0.0"), DestinationPrefixLength = 24, Gateway = IPAddress.Parse("10.0.0.2"), DeviceIndex = i };
        s.Rtnl.AddRoute(route);
        route.Gateway = IPAddress.Parse("10.0.0.3");
        s.Rtnl.ReplaceRoute(route);
        Assert.Equal("10.0.0.3", Route(s, "10.90.0.0/24").GetProperty("gateway").GetString());

        var v6 = new IPRoute { Destination = IPAddress.Parse("fd10::"), DestinationPrefixLength = 64, Gateway = IPAddress.Parse("fd00::2"), DeviceIndex = i };
        s.Rtnl.AddRoute(v6);
        v6.Gateway = IPAddress.Parse("fd00::3");
        s.Rtnl.AppendRoute(v6);
        JsonElement r = s.Ns.IpJson("-6", "route", "show", "fd10::/64")[0];
        Assert.Equal(2, r.GetProperty("nexthops").GetArrayLength());
    }

    [Fact]
    public void GetRoute_LooksUpLikeIpRouteGet()
    {
        using NetlinkTestScope s = WithUplink("rtget", out int i);
        s.Rtnl.AddRoute(new IPRoute { Destination = IPAddress.Parse("10.128.0.0"), DestinationPrefixLength = 9, Gateway = IPAddress.Parse("10.0.0.2"), DeviceIndex = i });
        IPRoute r = s.Rtnl.GetRoute(IPAddress.Parse("10.130.1.1"));
        Assert.Equal(IPAddress.Parse("10.0.0.2"), r.Gateway);
        Assert.Equal(i, r.DeviceIndex);
        JsonElement ip = s.Ns.IpJson("route", "get", "10.130.1.1")[0];
        Assert.Equal(ip.GetProperty("gateway").GetString(), r.Gateway!.ToString());
        NetlinkException e = Assert.Throws<NetlinkException>(() => s.Rtnl.GetRoute(IPAddress.Parse("8.8.8.8")));
        Assert.Equal("ENETUNREACH", e.ErrnoName);
    }

    [Fact]
    public void Errors_DeleteMissingEsrch_UnreachableGatewayWithExtendedAck()
    {
        using NetlinkTestScope s = WithUplink("rterr", out int i);
        NetlinkException missing = Assert.Throws<NetlinkException>(() =>
            s.Rtnl.DeleteRoute(new IPRoute { Destination = IPAddress.Parse("10.77.0.0"), DestinationPrefixLength = 16 }));
        Assert.Equal("ESRCH", missing.ErrnoName);
        NetlinkException gw = Assert.Throws<NetlinkException>(() =>
            s.Rtnl.AddRoute(new IPRoute { Destination = IPAddress.Parse("10.1.0.0"), DestinationPrefixLength = 16, Gateway = IPAddress.Parse("10.9.9.9") }));
        Assert.Equal("ENETUNREACH", gw.ErrnoName);
        Assert.Equal("Nexthop has invalid gateway", gw.ExtendedAckMessage);
        Assert.Throws<ArgumentException>(() => s.Rtnl.AddRoute(new IPRoute { Destination = IPAddress.Parse("10.1.0.0"), DestinationPrefixLength = 16, Gateway = IPAddress.Parse("fd00::2") }));
    }
}
