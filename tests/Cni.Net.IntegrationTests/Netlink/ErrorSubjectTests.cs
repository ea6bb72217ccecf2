using System.Net;
using Cni.Net.Netlink;
using Cni.Net.Netlink.Route;

namespace Cni.Net.IntegrationTests.Netlink;

/// <summary>A refused request names what it was about: the link (by name or index), the address, the route.</summary>
public sealed class ErrorSubjectTests
{
    [Fact]
    public void GetLinkIndex_MissingName_MessageNamesTheLink()
    {
        using var s = new NetlinkTestScope("subjname");
        NetlinkException e = Assert.Throws<NetlinkException>(() => s.Rtnl.GetLinkIndex("nope0"));
        Assert.Equal("ENODEV", e.ErrnoName);
        Assert.Equal("get link", e.Operation);
        Assert.Equal("\"nope0\"", e.Subject);
        Assert.Equal("get link \"nope0\": No such device (ENODEV)", e.Message);
        Assert.Contains("nope0", Assert.Throws<NetlinkException>(() => s.Rtnl.GetLink("nope0")).Message, StringComparison.Ordinal);
        Assert.Contains("nope0", Assert.Throws<NetlinkException>(() => s.Rtnl.DeleteLink("nope0")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SetLinkUp_MissingIndex_MessageNamesTheIndex()
    {
        using var s = new NetlinkTestScope("subjidx");
        NetlinkException e = Assert.Throws<NetlinkException>(() => s.Rtnl.SetLinkUp(4242));
        Assert.Equal("set link up index 4242: No such device (ENODEV)", e.Message);
        Assert.Equal("index 4242", e.Subject);
    }

    [Fact]
    public void AddLink_Duplicate_MessageNamesTheLink()
    {
        using var s = new NetlinkTestScope("subjdup");
        s.Rtnl.AddVeth("x0", "x1");
        NetlinkException e = Assert.Throws<NetlinkException>(() => s.Rtnl.AddLink(new DummyLink("x0")));
        Assert.Equal("EEXIST", e.ErrnoName);
        Assert.StartsWith("add link \"x0\": ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddressAndRouteErrors_NameTheAddressAndRoute()
    {
        using var s = new NetlinkTestScope("subjaddr");
        s.Rtnl.AddVeth("x0", "x1");
        int i = s.Rtnl.GetLinkIndex("x0");
        s.Rtnl.AddAddress(i, IPAddress.Parse("10.77.0.1"), 24);
        NetlinkException dup = Assert.Throws<NetlinkException>(() => s.Rtnl.AddAddress(i, IPAddress.Parse("10.77.0.1"), 24));
        Assert.Equal("EEXIST", dup.ErrnoName);
        Assert.StartsWith($"add address 10.77.0.1/24 dev {i}: ", dup.Message, StringComparison.Ordinal);

        // A gateway on no connected network: the kernel refuses (ENETUNREACH) and the message shows the route.
        var route = new IPRoute { Destination = IPAddress.Parse("192.0.2.0"), DestinationPrefixLength = 24, Gateway = IPAddress.Parse("198.51.100.1") };
        NetlinkException r = Assert.Throws<NetlinkException>(() => s.Rtnl.AddRoute(route));
        Assert.Contains("192.0.2.0/24", r.Message, StringComparison.Ordinal);
        Assert.Contains("198.51.100.1", r.Message, StringComparison.Ordinal);
        Assert.Equal(route.ToString(), r.Subject);
    }
}
