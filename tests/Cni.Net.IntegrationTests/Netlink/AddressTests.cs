using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Cni.Net.Netlink;
using Cni.Net.Netlink.Route;

namespace Cni.Net.IntegrationTests.Netlink;

public class AddressTests
{
    private static JsonElement[] Addrs(NetlinkTestScope s, string dev) =>
        s.Ns.IpJson("addr", "show", "dev", dev)[0].GetProperty("addr_info").EnumerateArray().ToArray();

    [Fact]
    public void AddAddress_Ipv4_VisibleAndListed()
    {
        using var s = new NetlinkTestScope("addr4");
        s.Rtnl.AddVeth("a0", "a1");
        int i = s.Rtnl.GetLinkIndex("a0");
        s.Rtnl.AddAddress(i, IPAddress.Parse("10.1.2.3"), 24);

        JsonElement a = Addrs(s, "a0").Single(x => x.GetProperty("family").GetString() == "inet");
        Assert.Equal("10.1.2.3", a.GetProperty("local").GetString());
        Assert.Equal(24, a.GetProperty("prefixlen").GetInt32());
        InterfaceAddress listed = s.Rtnl.ListAddresses(AddressFamily.InterNetwork, i).Single();
        Assert.Equal(IPAddress.Parse("10.1.2.3"), listed.Address);
        Assert.Equal(24, listed.PrefixLength);
        Assert.Equal(i, listed.Index);

        s.Rtnl.DeleteAddress(i, IPAddress.Parse("10.1.2.3"), 24);
        Assert.DoesNotContain(Addrs(s, "a0"), x => x.GetProperty("family").GetString() == "inet");
        Assert.False(s.Rtnl.TryDeleteAddress(i, IPAddress.Parse("10.1.2.3"), 24));
    }

    [Fact]
    public void AddAddress_Ipv6WithNodadAndNoprefixroute()
    {
        using var s = new NetlinkTestScope("addr6");
        s.Rtnl.AddVeth("a0", "a1");
        int i = s.Rtnl.GetLinkIndex("a0");
        s.Rtnl.AddAddress(new InterfaceAddress(i, IPAddress.Parse("fd00::5"), 64)
        {
            Flags = AddressFlags.NoDad | AddressFlags.NoPrefixRoute,
        });

        JsonElement a = Addrs(s, "a0").Single(x => x.GetProperty("local").GetString() == "fd00::5");
        Assert.Equal(64, a.GetProperty("prefixlen").GetInt32());
        Assert.True(a.GetProperty("nodad").GetBoolean());
        Assert.True(a.GetProperty("noprefixroute").GetBoolean());
        InterfaceAddress listed = s.Rtnl.ListAddresses(AddressFamily.InterNetworkV6, i).Single(x => x.Address.Equals(IPAddress.Parse("fd00::5")));
        Assert.True(listed.Flags.HasFlag(AddressFlags.NoDad));
        Assert.True(listed.Flags.HasFlag(AddressFlags.NoPrefixRoute));
        // NOPREFIXROUTE: no fd00::/64 route was added.
        Assert.DoesNotContain(s.Ns.IpJson("-6", "route", "show", "dev", "a0").EnumerateArray(), r => r.GetProperty("dst").GetString() == "fd00::/64");
    }

    [Fact]
    public void AddAddress_BroadcastLabelScopeLifetimes()
    {
        using var s = new NetlinkTestScope("addropt");
        s.Rtnl.AddVeth("a0", "a1");
        int i = s.Rtnl.GetLinkIndex("a0");
        s.Rtnl.AddAddress(new InterfaceAddress(i, IPAddress.Parse("10.9.0.1"), 16)
        {
            Broadcast = IPAddress.Parse("10.9.255.255"),
            Label = "a0:web",
            Scope = RouteScope.Link,
            ValidLifetime = TimeSpan.FromSeconds(3000),
            PreferredLifetime = TimeSpan.FromSeconds(2000),
        });

        JsonElement a = Addrs(s, "a0").Single(x => x.GetProperty("family").GetString() == "inet");
        Assert.Equal("10.9.255.255", a.GetProperty("broadcast").GetString());
        Assert.Equal("a0:web", a.GetProperty("label").GetString());
        Assert.Equal("link", a.GetProperty("scope").GetString());
        Assert.InRange(a.GetProperty("valid_life_time").GetInt64(), 2990, 3000);
        Assert.InRange(a.GetProperty("preferred_life_time").GetInt64(), 1990, 2000);
        InterfaceAddress listed = s.Rtnl.ListAddresses(AddressFamily.InterNetwork, i).Single();
        Assert.Equal("a0:web", listed.Label);
        Assert.Equal(IPAddress.Parse("10.9.255.255"), listed.Broadcast);
        Assert.Equal(RouteScope.Link, listed.Scope);
        Assert.NotNull(listed.ValidLifetime);
    }

    [Fact]
    public void ReplaceAddress_ChangesLifetime_TryAddReportsExisting()
    {
        using var s = new NetlinkTestScope("addrrep");
        s.Rtnl.AddVeth("a0", "a1");
        int i = s.Rtnl.GetLinkIndex("a0");
        var addr = new InterfaceAddress(i, IPAddress.Parse("10.7.0.1"), 24);
        Assert.True(s.Rtnl.TryAddAddress(addr));
        Assert.False(s.Rtnl.TryAddAddress(addr));
        addr.ValidLifetime = TimeSpan.FromSeconds(500);
        s.Rtnl.ReplaceAddress(addr);
        JsonElement a = Addrs(s, "a0").Single(x => x.GetProperty("family").GetString() == "inet");
        Assert.InRange(a.GetProperty("valid_life_time").GetInt64(), 490, 500);
    }

    [Fact]
    public void AddAddress_Duplicate_EexistWithExtendedAck_DeleteMissing_Eaddrnotavail()
    {
        using var s = new NetlinkTestScope("addrerr");
        s.Rtnl.AddVeth("a0", "a1");
        int i = s.Rtnl.GetLinkIndex("a0");
        s.Rtnl.AddAddress(i, IPAddress.Parse("10.0.0.1"), 24);
        NetlinkException dup = Assert.Throws<NetlinkException>(() => s.Rtnl.AddAddress(i, IPAddress.Parse("10.0.0.1"), 24));
        Assert.Equal("EEXIST", dup.ErrnoName);
        Assert.Equal("ipv4: Address already assigned", dup.ExtendedAckMessage);
        NetlinkException missing = Assert.Throws<NetlinkException>(() => s.Rtnl.DeleteAddress(i, IPAddress.Parse("10.9.9.9"), 24));
        Assert.Equal("EADDRNOTAVAIL", missing.ErrnoName);
        Assert.Equal("ipv4: Address not found", missing.ExtendedAckMessage);
        NetlinkException nodev = Assert.Throws<NetlinkException>(() => s.Rtnl.AddAddress(4242, IPAddress.Parse("10.0.0.2"), 24));
        Assert.Equal("ENODEV", nodev.ErrnoName);
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Rtnl.AddAddress(i, IPAddress.Parse("10.0.0.2"), 33));
    }
}
