using Cni.Net.Conventions.Links;
using Cni.Net.Netlink;
using Cni.Net.Netlink.Route;

namespace Cni.Net.IntegrationTests.Netlink;

/// <summary>
/// An IPv4 per-interface setting written through rtnetlink is the sysctl a write to /proc/sys/net/ipv4/conf/… leaves,
/// in the socket's namespace, from a thread that never enters it.
/// </summary>
public class IPv4SettingTests
{
    [Fact]
    public void SetIPv4Setting_IsWhatTheSysctlReads_InTheSocketsNamespaceOnly()
    {
        using var s = new NetlinkTestScope("inetconf");
        s.Rtnl.AddLink(new VethLink("ic0", "ic1"));
        string Read(string link) => s.Ns.ExecCheck("cat", $"/proc/sys/net/ipv4/conf/{link}/arp_notify").Trim();
        Assert.Equal("0", Read("ic0"));

        s.Rtnl.SetIPv4Setting("ic0", Ifla.IPV4_DEVCONF_ARP_NOTIFY, 1);
        Assert.Equal("1", Read("ic0"));
        Assert.Equal("0", Read("ic1"));

        s.Rtnl.SetIPv4Setting("ic0", Ifla.IPV4_DEVCONF_ARP_NOTIFY, 0);
        Assert.Equal("0", Read("ic0"));
    }

    [Fact]
    public void SetIPv4Setting_NoSuchLink_ThrowsTheKernelsErrorNamingTheLink()
    {
        using var s = new NetlinkTestScope("inetconfgone");
        NetlinkException e = Assert.Throws<NetlinkException>(() => s.Rtnl.SetIPv4Setting("nosuch0", Ifla.IPV4_DEVCONF_ARP_NOTIFY, 1));
        Assert.Equal("ENODEV", e.ErrnoName);
        Assert.Contains("nosuch0", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PodInterfaceApplySysctls_LeavesTheReferencesValues()
    {
        using var s = new NetlinkTestScope("podsysctls");
        s.Rtnl.AddLink(new VethLink("eth0", "peer0"));
        PodInterface.ApplySysctls(s.Rtnl, s.Namespace, "eth0", enableDad: false);
        Assert.Equal("1", s.Ns.ExecCheck("cat", "/proc/sys/net/ipv4/conf/eth0/arp_notify").Trim());
        Assert.Equal("0", s.Ns.ExecCheck("cat", "/proc/sys/net/ipv6/conf/eth0/accept_dad").Trim());
        Assert.Equal("0", s.Ns.ExecCheck("cat", "/proc/sys/net/ipv4/conf/peer0/arp_notify").Trim());
    }

    [Fact]
    public void PodInterfaceApplySysctls_OnAMissingInterface_IsBestEffortAsTheReferences()
    {
        using var s = new NetlinkTestScope("podsysctlsgone");
        // The reference ignores its sysctl writes' errors; the missing interface is reported by the configuration.
        PodInterface.ApplySysctls(s.Rtnl, s.Namespace, "nosuch0", enableDad: false);
        NetlinkException e = Assert.Throws<NetlinkException>(() =>
            PodInterface.Configure(s.Rtnl, "nosuch0", new Cni.Net.Spec.CniResult(Cni.Net.Spec.CniVersion.Latest)));
        Assert.Equal("ENODEV", e.ErrnoName);
    }
}
