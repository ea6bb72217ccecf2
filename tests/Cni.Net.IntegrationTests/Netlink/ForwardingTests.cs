using System.Net.Sockets;
using Cni.Net.Conventions.Links;
using Cni.Net.Netlink.Route;

namespace Cni.Net.IntegrationTests.Netlink;

/// <summary>A namespace's forwarding setting read over rtnetlink (<c>RTM_GETNETCONF</c>) and turned on where it is off.</summary>
public class ForwardingTests
{
    [Theory]
    [InlineData(AddressFamily.InterNetwork, "net.ipv4.ip_forward")]
    [InlineData(AddressFamily.InterNetworkV6, "net.ipv6.conf.all.forwarding")]
    public void IsForwarding_SaysWhatTheSysctlSays(AddressFamily family, string key)
    {
        using var s = new NetlinkTestScope("fwd");
        s.Ns.ExecCheck("sysctl", "-qw", $"{key}=0");
        Assert.False(s.Rtnl.IsForwarding(family));
        s.Ns.ExecCheck("sysctl", "-qw", $"{key}=1");
        Assert.True(s.Rtnl.IsForwarding(family));
        s.Ns.ExecCheck("sysctl", "-qw", $"{key}=0");
        Assert.False(s.Rtnl.IsForwarding(family));
    }

    [Fact]
    public void IsForwarding_AllocatesNothingAfterWarmUp()
    {
        using var s = new NetlinkTestScope("fwdalloc");
        bool any = false;
        for (int i = 0; i < 20; i++)
        {
            any |= s.Rtnl.IsForwarding(AddressFamily.InterNetwork) | s.Rtnl.IsForwarding(AddressFamily.InterNetworkV6);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 500; i++)
        {
            any |= s.Rtnl.IsForwarding(AddressFamily.InterNetwork) | s.Rtnl.IsForwarding(AddressFamily.InterNetworkV6);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(s.Ns.ExecCheck("cat", "/proc/sys/net/ipv4/ip_forward").Trim() == "1", s.Rtnl.IsForwarding(AddressFamily.InterNetwork));
        _ = any;
    }

    [Fact]
    public void IsForwarding_OtherFamilies_AreRefusedByName()
    {
        using var s = new NetlinkTestScope("fwdaf");
        ArgumentOutOfRangeException e = Assert.Throws<ArgumentOutOfRangeException>(() => s.Rtnl.IsForwarding(AddressFamily.Unix));
        Assert.Equal("family", e.ParamName);
    }

    [Theory]
    [InlineData(AddressFamily.InterNetwork, "/proc/sys/net/ipv4/ip_forward")]
    [InlineData(AddressFamily.InterNetworkV6, "/proc/sys/net/ipv6/conf/all/forwarding")]
    public void EnableForwarding_WithASocket_TurnsItOnWhereItIsOff_AndLeavesItOn(AddressFamily family, string path)
    {
        using var s = new NetlinkTestScope("fwdon");
        s.Ns.ExecCheck("sh", "-c", $"echo 0 > {path}");
        BridgeSetup.EnableForwarding(family, s.Namespace, s.Rtnl);
        Assert.Equal("1", s.Ns.ExecCheck("cat", path).Trim());
        Assert.True(s.Rtnl.IsForwarding(family));
        BridgeSetup.EnableForwarding(family, s.Namespace, s.Rtnl);
        Assert.Equal("1", s.Ns.ExecCheck("cat", path).Trim());
    }

    [Fact]
    public void EnableForwarding_WithASocket_ReadsAnyOtherFamilyAsIPv4_AsTheSysctlPathDoes()
    {
        using var s = new NetlinkTestScope("fwdunspec");
        s.Ns.ExecCheck("sysctl", "-qw", "net.ipv4.ip_forward=0");
        BridgeSetup.EnableForwarding(AddressFamily.Unspecified, s.Namespace, s.Rtnl);
        Assert.Equal("1", s.Ns.ExecCheck("cat", "/proc/sys/net/ipv4/ip_forward").Trim());
    }
}
