using System.Net;
using System.Net.NetworkInformation;
using System.Text.Json;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.Namespaces;
using Cni.Net.Netlink;
using Cni.Net.Netlink.Route;

namespace Cni.Net.IntegrationTests.Netlink;

public class LinkTests
{
    [Fact]
    public void AddVeth_CreatesBothEnds_PeerIndexMatches()
    {
        using var s = new NetlinkTestScope("veth");
        s.Rtnl.AddVeth("va0", "vb0", mtu: 1400);

        JsonElement a = s.Link("va0");
        JsonElement b = s.Link("vb0");
        Assert.Equal("veth", a.GetProperty("linkinfo").GetProperty("info_kind").GetString());
        Assert.Equal(1400, a.GetProperty("mtu").GetInt32());
        Assert.Equal(1400, b.GetProperty("mtu").GetInt32());
        LinkInfo info = s.Rtnl.GetLink("va0");
        Assert.Equal(a.GetProperty("ifindex").GetInt32(), info.Index);
        Assert.Equal(b.GetProperty("ifindex").GetInt32(), info.ParentIndex);
        Assert.Equal("veth", info.Kind);
        Assert.Equal(1400, info.Mtu);
        Assert.Equal(a.GetProperty("address").GetString(), FormatMac(info.MacAddress!));
    }

    [Fact]
    public void AddVeth_PeerInOtherNamespace_CreatedThereDirectly()
    {
        using var s = new NetlinkTestScope("vethns");
        using var other = new TestNamespace("peer");
        using NetworkNamespace peerNs = NetworkNamespace.Open(other.Path);
        s.Rtnl.AddVeth("host0", "eth0", peerNs);

        Assert.True(s.LinkExists("host0"));
        Assert.False(s.LinkExists("eth0"));
        JsonElement peer = other.IpJson("link", "show", "dev", "eth0")[0];
        Assert.Equal("veth", peer.GetProperty("linkinfo").GetProperty("info_kind").GetString());
        LinkInfo host = s.Rtnl.GetLink("host0");
        Assert.NotNull(host.LinkNamespaceId);
        Assert.Equal(peer.GetProperty("ifindex").GetInt32(), host.ParentIndex);
    }

    [Fact]
    public void AddLink_VethDefinition_WithPeerNamespaceMacAndUp()
    {
        using var s = new NetlinkTestScope("vethdef");
        using var other = new TestNamespace("peer");
        using NetworkNamespace peerNs = NetworkNamespace.Open(other.Path);
        var mac = PhysicalAddress.Parse("02-00-00-00-00-aa");
        var peerMac = PhysicalAddress.Parse("02-00-00-00-00-bb");
        s.Rtnl.AddLink(new VethLink("h1", "c1") { PeerNamespace = peerNs, MacAddress = mac, PeerMacAddress = peerMac, Mtu = 1450, Up = true, TxQueueLength = 77 });

        JsonElement h = s.Link("h1");
        Assert.Equal("02:00:00:00:00:aa", h.GetProperty("address").GetString());
        Assert.Equal(1450, h.GetProperty("mtu").GetInt32());
        Assert.Equal(77, h.GetProperty("txqlen").GetInt32());
        Assert.Contains("UP", h.GetProperty("flags").EnumerateArray().Select(e => e.GetString()));
        JsonElement c = other.IpJson("link", "show", "dev", "c1")[0];
        Assert.Equal("02:00:00:00:00:bb", c.GetProperty("address").GetString());
        Assert.Equal(1450, c.GetProperty("mtu").GetInt32());
    }

    [Fact]
    public void TryAddLinkEchoed_GivesTheNewLinkAsTheKernelAnnouncedIt_FalseWhenTheNameIsTaken()
    {
        using var s = new NetlinkTestScope("vethecho");
        using var other = new TestNamespace("echopeer");
        using NetworkNamespace peerNs = NetworkNamespace.Open(other.Path);
        var definition = new VethLink("echo0", "eth0") { PeerNamespace = peerNs, Up = true, Mtu = 1400 };

        Assert.True(s.Rtnl.TryAddLink(definition, out LinkInfo? created));

        JsonElement h = s.Link("echo0");
        Assert.Equal("echo0", created.Name);
        Assert.Equal(h.GetProperty("ifindex").GetInt32(), created.Index);
        Assert.Equal(h.GetProperty("address").GetString(), FormatMac(created.MacAddress!));
        Assert.Equal(1400, created.Mtu);
        Assert.Equal("veth", created.Kind);
        Assert.True(created.IsUp);
        Assert.Equal(other.IpJson("link", "show", "dev", "eth0")[0].GetProperty("ifindex").GetInt32(), created.ParentIndex);

        definition.PeerName = "eth1";
        Assert.False(s.Rtnl.TryAddLink(definition, out LinkInfo? again));
        Assert.Null(again);
    }

    [Fact]
    public void AddLink_Bridge_OptionsVisibleInIpDetails()
    {
        using var s = new NetlinkTestScope("br");
        s.Rtnl.AddLink(new BridgeLink("br0")
        {
            StpEnabled = true,
            ForwardDelay = TimeSpan.FromSeconds(4),
            MulticastSnooping = false,
        });

        JsonElement data = s.Link("br0").GetProperty("linkinfo").GetProperty("info_data");
        Assert.Equal(1, data.GetProperty("stp_state").GetInt32());
        Assert.Equal(400, data.GetProperty("forward_delay").GetInt32());
        Assert.Equal(0, data.GetProperty("mcast_snooping").GetInt32());
        Assert.Equal(0, data.GetProperty("vlan_filtering").GetInt32());
    }

    [Fact]
    public void AddLink_BridgeVlanFiltering_FilteringAndDefaultPvid()
    {
        RequireBridgeVlanFiltering();
        using var s = new NetlinkTestScope("brvlan");
        s.Rtnl.AddLink(new BridgeLink("br0") { VlanFiltering = true, DefaultPvid = 7 });
        JsonElement data = s.Link("br0").GetProperty("linkinfo").GetProperty("info_data");
        Assert.Equal(1, data.GetProperty("vlan_filtering").GetInt32());
        Assert.Equal(7, data.GetProperty("vlan_default_pvid").GetInt32());
    }

    [Fact]
    public void AddLink_BridgeVlanFilteringWhereKernelLacksIt_Eopnotsupp()
    {
        if (KernelHasBridgeVlanFiltering())
        {
            return; // covered by AddLink_BridgeVlanFiltering_FilteringAndDefaultPvid
        }
        using var s = new NetlinkTestScope("brnovlan");
        NetlinkException e = Assert.Throws<NetlinkException>(() => s.Rtnl.AddLink(new BridgeLink("br0") { VlanFiltering = true }));
        Assert.Equal("EOPNOTSUPP", e.ErrnoName);
        Assert.False(s.LinkExists("br0"));
    }

    private static bool KernelHasBridgeVlanFiltering()
    {
        using var probe = new TestNamespace("brprobe");
        return Shell.Run("ip", ["-n", probe.Name, "link", "add", "b0", "type", "bridge", "vlan_filtering", "1"]).ExitCode == 0;
    }

    private static void RequireBridgeVlanFiltering()
    {
        if (!KernelHasBridgeVlanFiltering())
        {
            Assert.Skip("kernel lacks bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING)");
        }
    }

    [Fact]
    public void SetBridgePort_HairpinIsolatedLearning_Applied()
    {
        using var s = new NetlinkTestScope("brport");
        s.Rtnl.AddLink(new BridgeLink("br0"));
        s.Rtnl.AddVeth("p0", "q0");
        int br = s.Rtnl.GetLinkIndex("br0");
        int p0 = s.Rtnl.GetLinkIndex("p0");
        s.Rtnl.SetLinkMaster(p0, br);
        s.Rtnl.SetBridgePort(p0, new BridgePortSettings { Hairpin = true, Isolated = true, Learning = false });

        JsonElement link = s.Link("p0");
        Assert.Equal(br, link.GetProperty("master").GetString() == "br0" ? br : -1);
        JsonElement port = link.GetProperty("linkinfo").GetProperty("info_slave_data");
        Assert.True(port.GetProperty("hairpin").GetBoolean());
        Assert.True(port.GetProperty("isolated").GetBoolean());
        Assert.False(port.GetProperty("learning").GetBoolean());
        Assert.Equal("bridge", s.Rtnl.GetLink(p0).SlaveKind);
        Assert.Equal(br, s.Rtnl.GetLink(p0).MasterIndex);

        s.Rtnl.SetLinkMaster(p0, 0);
        Assert.False(s.Link("p0").TryGetProperty("master", out _));
    }

    [Fact]
    public void AddLink_Macvlan_ModeAndParent()
    {
        using var s = new NetlinkTestScope("macvlan");
        s.Rtnl.AddVeth("up0", "up1");
        int parent = s.Rtnl.GetLinkIndex("up0");
        s.Rtnl.AddLink(new MacvlanLink("mv0", parent) { Mode = MacvlanMode.Private });

        JsonElement mv = s.Link("mv0");
        Assert.Equal("macvlan", mv.GetProperty("linkinfo").GetProperty("info_kind").GetString());
        Assert.Equal("private", mv.GetProperty("linkinfo").GetProperty("info_data").GetProperty("mode").GetString());
        Assert.Equal("up0", mv.GetProperty("link").GetString());
    }

    [Fact]
    public void AddLink_Vxlan_AllOptions()
    {
        using var s = new NetlinkTestScope("vxlan");
        s.Rtnl.AddVeth("ul0", "ul1");
        int ul = s.Rtnl.GetLinkIndex("ul0");
        s.Rtnl.AddLink(new VxlanLink("vx0", 42)
        {
            Port = 4789,
            Local = IPAddress.Parse("10.0.0.1"),
            Remote = IPAddress.Parse("10.0.0.9"),
            UnderlyingIndex = ul,
            Learning = false,
        });

        JsonElement data = s.Link("vx0").GetProperty("linkinfo").GetProperty("info_data");
        Assert.Equal(42, data.GetProperty("id").GetInt32());
        Assert.Equal(4789, data.GetProperty("port").GetInt32());
        Assert.Equal("10.0.0.1", data.GetProperty("local").GetString());
        Assert.Equal("10.0.0.9", data.GetProperty("remote").GetString());
        Assert.Equal("ul0", data.GetProperty("link").GetString());
        Assert.False(data.GetProperty("learning").GetBoolean());
    }

    [Fact]
    public void AddLink_VxlanMulticastGroup_ReportedAsGroup()
    {
        using var s = new NetlinkTestScope("vxgrp");
        s.Rtnl.AddVeth("ul0", "ul1");
        s.Rtnl.AddLink(new VxlanLink("vx1", 7) { Remote = IPAddress.Parse("239.1.1.1"), UnderlyingIndex = s.Rtnl.GetLinkIndex("ul0") });
        JsonElement data = s.Link("vx1").GetProperty("linkinfo").GetProperty("info_data");
        Assert.Equal("239.1.1.1", data.GetProperty("group").GetString());
        Assert.Equal(8472, data.GetProperty("port").GetInt32());
    }

    [Fact]
    public void AddLink_Ifb()
    {
        using var s = new NetlinkTestScope("ifb");
        s.Rtnl.AddLink(new IfbLink("bwp0") { Up = true });
        JsonElement link = s.Link("bwp0");
        Assert.Equal("ifb", link.GetProperty("linkinfo").GetProperty("info_kind").GetString());
        Assert.Equal("ifb", s.Rtnl.GetLink("bwp0").Kind);
    }

    [Fact]
    public void AddLink_Dummy()
    {
        Require.LinkKind("dummy");
        using var s = new NetlinkTestScope("dummy");
        s.Rtnl.AddLink(new DummyLink("dm0"));
        Assert.Equal("dummy", s.Link("dm0").GetProperty("linkinfo").GetProperty("info_kind").GetString());
    }

    [Fact]
    public void AddLink_Vlan_IdAndProtocol()
    {
        Require.LinkKind("vlan");
        using var s = new NetlinkTestScope("vlan");
        s.Rtnl.AddVeth("ul0", "ul1");
        s.Rtnl.AddLink(new VlanLink("ul0.5", s.Rtnl.GetLinkIndex("ul0"), 5) { Protocol = VlanProtocol.Dot1AD });
        JsonElement data = s.Link("ul0.5").GetProperty("linkinfo").GetProperty("info_data");
        Assert.Equal(5, data.GetProperty("id").GetInt32());
        Assert.Equal("802.1ad", data.GetProperty("protocol").GetString());
    }

    [Fact]
    public void AddLink_Ipvlan_Mode()
    {
        Require.LinkKind("ipvlan");
        using var s = new NetlinkTestScope("ipvlan");
        s.Rtnl.AddVeth("ul0", "ul1");
        s.Rtnl.AddLink(new IpvlanLink("ipv0", s.Rtnl.GetLinkIndex("ul0")) { Mode = IpvlanMode.L3 });
        JsonElement data = s.Link("ipv0").GetProperty("linkinfo").GetProperty("info_data");
        Assert.Equal("l3", data.GetProperty("mode").GetString());
    }

    [Fact]
    public void SetLink_UpDownMtuMacNameAliasTxqlenPromiscGroup()
    {
        using var s = new NetlinkTestScope("set");
        s.Rtnl.AddVeth("s0", "s1");
        int i = s.Rtnl.GetLinkIndex("s0");

        s.Rtnl.SetLinkUp(i);
        Assert.Contains("UP", Flags(s.Link("s0")));
        Assert.True(s.Rtnl.GetLink(i).IsUp);
        s.Rtnl.SetLinkDown(i);
        Assert.DoesNotContain("UP", Flags(s.Link("s0")));

        s.Rtnl.SetLinkMtu(i, 1234);
        Assert.Equal(1234, s.Link("s0").GetProperty("mtu").GetInt32());

        s.Rtnl.SetLinkMacAddress(i, PhysicalAddress.Parse("02-11-22-33-44-55"));
        Assert.Equal("02:11:22:33:44:55", s.Link("s0").GetProperty("address").GetString());

        s.Rtnl.SetLinkAlias(i, "pod uplink");
        Assert.Equal("pod uplink", s.Link("s0").GetProperty("ifalias").GetString());
        Assert.Equal("pod uplink", s.Rtnl.GetLink(i).Alias);

        s.Rtnl.SetLinkTxQueueLength(i, 321);
        Assert.Equal(321, s.Link("s0").GetProperty("txqlen").GetInt32());

        s.Rtnl.SetLinkPromiscuous(i, true);
        Assert.Contains("PROMISC", Flags(s.Link("s0")));
        s.Rtnl.SetLinkPromiscuous(i, false);
        Assert.DoesNotContain("PROMISC", Flags(s.Link("s0")));

        s.Rtnl.SetLinkGroup(i, 9);
        Assert.Equal("9", s.Link("s0").GetProperty("group").GetString());
        Assert.Equal(9u, s.Rtnl.GetLink(i).Group);

        s.Rtnl.SetLinkName(i, "renamed0");
        Assert.True(s.LinkExists("renamed0"));
        Assert.False(s.LinkExists("s0"));
        Assert.Equal(i, s.Rtnl.GetLinkIndex("renamed0"));
    }

    [Fact]
    public void SetLinkNamespace_ByFdAndByPid_MovesLink()
    {
        using var s = new NetlinkTestScope("mvns");
        using var target = new TestNamespace("target");
        using NetworkNamespace targetNs = NetworkNamespace.Open(target.Path);
        s.Rtnl.AddVeth("m0", "m1");
        s.Rtnl.SetLinkNamespace(s.Rtnl.GetLinkIndex("m0"), targetNs);
        Assert.False(s.LinkExists("m0"));
        Assert.Single(target.IpJson("link", "show", "dev", "m0").EnumerateArray());

        // A process inside the target namespace gives the pid form a namespace to move into.
        using var sleeper = System.Diagnostics.Process.Start("ip", ["netns", "exec", target.Name, "sleep", "30"]);
        try
        {
            WaitForNamespace(sleeper.Id, targetNs);
            s.Rtnl.SetLinkNamespace(s.Rtnl.GetLinkIndex("m1"), sleeper.Id);
            Assert.False(s.LinkExists("m1"));
            Assert.Single(target.IpJson("link", "show", "dev", "m1").EnumerateArray());
        }
        finally
        {
            sleeper.Kill();
            sleeper.WaitForExit();
        }
    }

    [Fact]
    public void MoveLink_RenamesAndSetsAliasInTheTarget_ThenBackWithAliasCleared()
    {
        using var s = new NetlinkTestScope("mvlink");
        using var target = new TestNamespace("target");
        using NetworkNamespace targetNs = NetworkNamespace.Open(target.Path);
        s.Rtnl.AddVeth("dev0", "dev0p", mtu: 1400);
        s.Ip("link", "set", "dev0", "up");

        s.Rtnl.MoveLink(s.Rtnl.GetLinkIndex("dev0"), targetNs, "net1", "dev0");

        Assert.False(s.LinkExists("dev0"));
        JsonElement moved = target.IpJson("link", "show", "dev", "net1")[0];
        Assert.Equal("dev0", moved.GetProperty("ifalias").GetString());
        Assert.Equal(1400, moved.GetProperty("mtu").GetInt32());
        Assert.DoesNotContain("UP", moved.GetProperty("flags").EnumerateArray().Select(f => f.GetString())); // a move takes it down

        using RouteNetlink inTarget = RouteNetlink.Open(targetNs);
        inTarget.MoveLink(inTarget.GetLinkIndex("net1"), s.Namespace, "dev0", "");
        JsonElement back = s.Link("dev0");
        Assert.False(back.TryGetProperty("ifalias", out _));
        Assert.Empty(target.IpJson("link", "show", "type", "veth").EnumerateArray());

        // null leaves the alias as it is.
        s.Rtnl.SetLinkAlias(s.Rtnl.GetLinkIndex("dev0"), "kept");
        s.Rtnl.MoveLink(s.Rtnl.GetLinkIndex("dev0"), targetNs, "net2", null);
        Assert.Equal("kept", target.IpJson("link", "show", "dev", "net2")[0].GetProperty("ifalias").GetString());
    }

    [Fact]
    public void MoveLink_NameTakenInTheTarget_MovesUnderTheOldNameAndFails()
    {
        using var s = new NetlinkTestScope("mvtaken");
        using var target = new TestNamespace("target");
        using NetworkNamespace targetNs = NetworkNamespace.Open(target.Path);
        Shell.Check("ip", "-n", target.Name, "link", "add", "net1", "type", "veth", "peer", "name", "net1p");
        s.Rtnl.AddVeth("dev0", "dev0p");
        // The kernel moves first and renames after (documented on MoveLink): callers check the name first.
        NetlinkException e = Assert.Throws<NetlinkException>(() => s.Rtnl.MoveLink(s.Rtnl.GetLinkIndex("dev0"), targetNs, "net1", "dev0"));
        Assert.Equal(17, e.Errno); // EEXIST
        Assert.Single(target.IpJson("link", "show", "dev", "dev0").EnumerateArray());
    }

    [Fact]
    public void DeleteLink_ByNameAndIndex_AndTryFormsAreIdempotent()
    {
        using var s = new NetlinkTestScope("del");
        s.Rtnl.AddVeth("d0", "d1");
        s.Rtnl.AddVeth("e0", "e1");
        s.Rtnl.DeleteLink("d0");
        Assert.False(s.LinkExists("d0"));
        Assert.False(s.LinkExists("d1"));
        s.Rtnl.DeleteLink(s.Rtnl.GetLinkIndex("e1"));
        Assert.False(s.LinkExists("e0"));

        Assert.False(s.Rtnl.TryDeleteLink("d0"));
        Assert.False(s.Rtnl.TryDeleteLink(9999));
        Assert.False(s.Rtnl.TryGetLinkIndex("d0", out _));
        Assert.False(s.Rtnl.TryGetLink("d0", out _));
    }

    [Fact]
    public void TryGetLink_ByNameAndIndex_FindsPresentLinksAndAnswersFalseForAbsentOnes()
    {
        using var s = new NetlinkTestScope("tryget");
        s.Rtnl.AddVeth("g0", "g1");
        int index = s.Rtnl.GetLinkIndex("g0");

        Assert.True(s.Rtnl.TryGetLink("g0", out LinkInfo? byName));
        Assert.Equal(index, byName.Index);
        Assert.True(s.Rtnl.TryGetLink(index, out LinkInfo? byIndex));
        Assert.Equal("g0", byIndex.Name);
        Assert.Equal(byName.ParentIndex, byIndex.ParentIndex);
        Assert.True(s.Rtnl.TryGetLinkIndex("g1", out int peer));
        Assert.Equal(byIndex.ParentIndex, peer);

        s.Rtnl.DeleteLink(index);
        Assert.False(s.Rtnl.TryGetLink(index, out LinkInfo? gone));
        Assert.Null(gone);
        Assert.False(s.Rtnl.TryGetLink("g0", out _));
        Assert.False(s.Rtnl.TryGetLinkIndex("g1", out int none));
        Assert.Equal(0, none);
    }

    [Fact]
    public void TryAddLink_Existing_ReturnsFalse()
    {
        using var s = new NetlinkTestScope("tryadd");
        Assert.True(s.Rtnl.TryAddLink(new BridgeLink("br0")));
        Assert.False(s.Rtnl.TryAddLink(new BridgeLink("br0")));
    }

    [Fact]
    public void DeleteLinkGroup_RemovesOnlyThatGroup()
    {
        using var s = new NetlinkTestScope("group");
        s.Rtnl.AddLink(new BridgeLink("g1") { Group = 5 });
        s.Rtnl.AddLink(new BridgeLink("g2") { Group = 5 });
        s.Rtnl.AddLink(new BridgeLink("g3") { Group = 6 });
        Assert.Equal("5", s.Link("g1").GetProperty("group").GetString());
        s.Rtnl.DeleteLinkGroup(5);
        Assert.False(s.LinkExists("g1"));
        Assert.False(s.LinkExists("g2"));
        Assert.True(s.LinkExists("g3"));
    }

    [Fact]
    public void ListLinks_MatchesIpLinkShow()
    {
        using var s = new NetlinkTestScope("list");
        s.Rtnl.AddVeth("l0", "l1");
        s.Rtnl.AddLink(new BridgeLink("lbr"));
        List<LinkInfo> links = s.Rtnl.ListLinks();
        JsonElement ip = s.Ns.IpJson("link", "show");
        Assert.Equal(
            ip.EnumerateArray().Select(l => (l.GetProperty("ifindex").GetInt32(), l.GetProperty("ifname").GetString()!)).OrderBy(x => x.Item1),
            links.Select(l => (l.Index, l.Name)).OrderBy(x => x.Item1));
        LinkInfo lo = links.Single(l => l.Name == "lo");
        Assert.True((lo.Flags & InterfaceFlags.Loopback) != 0);
        Assert.Equal(OperationalState.Unknown, lo.OperationalState);
    }

    [Fact]
    public void GetLink_Statistics_CountPackets()
    {
        using var s = new NetlinkTestScope("stats");
        s.Ns.ExecCheck("ping", "-c", "2", "-i", "0.2", "-q", "127.0.0.1");
        LinkInfo lo = s.Rtnl.GetLink("lo");
        JsonElement ip = Shell.Json("ip", "-j", "-s", "-n", s.Ns.Name, "link", "show", "dev", "lo")[0];
        long rx = ip.GetProperty("stats64").GetProperty("rx").GetProperty("packets").GetInt64();
        Assert.True(lo.Statistics.RxPackets >= 4);
        Assert.Equal((ulong)rx, lo.Statistics.RxPackets);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1")]
    [InlineData("2")]
    public void GetLink_ReportsIpv6AcceptRa_AsProcSysHasIt(string value)
    {
        using var s = new NetlinkTestScope("acceptra");
        s.Rtnl.AddVeth("ra0", "ra1");
        s.Ns.ExecCheck("sysctl", "-qw", $"net.ipv6.conf.ra0.accept_ra={value}");
        Assert.Equal(int.Parse(value, System.Globalization.CultureInfo.InvariantCulture), s.Rtnl.GetLink("ra0").Ipv6AcceptRouterAdvertisements);
    }

    [Fact]
    public void GetLink_ReportsNoIpv6AcceptRa_ForALinkWithoutIpv6()
    {
        // Below IPv6's minimum MTU the kernel drops the link's IPv6 state: no setting to report.
        using var s = new NetlinkTestScope("noipv6");
        s.Rtnl.AddVeth("ra0", "ra1", mtu: 1000);
        Assert.Null(s.Rtnl.GetLink("ra0").Ipv6AcceptRouterAdvertisements);
        Assert.False(s.Ns.Exec("test", "-e", "/proc/sys/net/ipv6/conf/ra0/accept_ra").ExitCode == 0);
    }

    [Fact]
    public void AddVeth_Duplicate_ThrowsEexist()
    {
        using var s = new NetlinkTestScope("dup");
        s.Rtnl.AddVeth("x0", "x1");
        NetlinkException e = Assert.Throws<NetlinkException>(() => s.Rtnl.AddVeth("x0", "x2"));
        Assert.Equal(17, e.Errno);
        Assert.Equal("EEXIST", e.ErrnoName);
        Assert.Equal("add veth", e.Operation);
    }

    [Fact]
    public void SetLinkMtu_TooSmallAndTooLarge_EinvalWithExtendedAck()
    {
        using var s = new NetlinkTestScope("mtu");
        s.Rtnl.AddVeth("x0", "x1");
        int i = s.Rtnl.GetLinkIndex("x0");
        NetlinkException small = Assert.Throws<NetlinkException>(() => s.Rtnl.SetLinkMtu(i, 50));
        Assert.Equal("EINVAL", small.ErrnoName);
        Assert.Equal("mtu less than device minimum", small.ExtendedAckMessage);
        NetlinkException large = Assert.Throws<NetlinkException>(() => s.Rtnl.SetLinkMtu(i, 70000));
        Assert.Equal("mtu greater than device maximum", large.ExtendedAckMessage);
        Assert.Contains("mtu greater than device maximum", large.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingDevice_Enodev()
    {
        using var s = new NetlinkTestScope("nodev");
        NetlinkException e = Assert.Throws<NetlinkException>(() => s.Rtnl.DeleteLink("nosuch0"));
        Assert.Equal("ENODEV", e.ErrnoName);
        NetlinkException up = Assert.Throws<NetlinkException>(() => s.Rtnl.SetLinkUp(4242));
        Assert.Equal("ENODEV", up.ErrnoName);
        Assert.Throws<NetlinkException>(() => s.Rtnl.GetLinkIndex("nosuch0"));
    }

    [Fact]
    public void BadName_RejectedBeforeSending_AndByKernelWhenForced()
    {
        using var s = new NetlinkTestScope("badname");
        Assert.Throws<ArgumentException>(() => s.Rtnl.AddVeth("a/b", "c0"));
        Assert.Throws<ArgumentException>(() => s.Rtnl.AddVeth("waytoolongname01", "c0"));
        Assert.Throws<ArgumentException>(() => s.Rtnl.AddLink(new BridgeLink("..")));

        // The same request written by hand reaches the kernel, which refuses it itself.
        NetlinkException e = Assert.Throws<NetlinkException>(() => RawAddLink(s.Rtnl.Socket, "a/b", "bridge"));
        Assert.Equal("EINVAL", e.ErrnoName);
        Assert.False(s.LinkExists("a/b"));
    }

    [Fact]
    public void UnknownKind_EopnotsuppWithExtendedAck()
    {
        using var s = new NetlinkTestScope("kind");
        NetlinkException e = Assert.Throws<NetlinkException>(() => RawAddLink(s.Rtnl.Socket, "k0", "nosuchkind"));
        Assert.Equal("EOPNOTSUPP", e.ErrnoName);
        Assert.Equal("Unknown device type", e.ExtendedAckMessage);
    }

    private static void RawAddLink(NetlinkSocket socket, string name, string kind)
    {
        NetlinkWriter w = socket.BeginRequest((ushort)RouteMessageType.NewLink, NetlinkMessageFlags.Create | NetlinkMessageFlags.Excl);
        w.WriteFamilyHeader(default(InterfaceInfoMessage));
        w.WriteString(3 /* IFLA_IFNAME */, name);
        NestedScope info = w.BeginNested(18 /* IFLA_LINKINFO */);
        w.WriteString(1 /* IFLA_INFO_KIND */, kind);
        w.EndNested(info);
        socket.Execute(ref w, "raw add link");
    }

    private static IEnumerable<string?> Flags(JsonElement link) => link.GetProperty("flags").EnumerateArray().Select(f => f.GetString());

    private static string FormatMac(PhysicalAddress mac) =>
        string.Join(':', mac.GetAddressBytes().Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));

    private static void WaitForNamespace(int pid, NetworkNamespace expected)
    {
        for (int i = 0; i < 200; i++)
        {
            try
            {
                using NetworkNamespace ns = NetworkNamespace.Open($"/proc/{pid}/ns/net");
                if (ns.Equals(expected))
                {
                    return;
                }
            }
            catch (IOException)
            {
            }
            Thread.Sleep(10);
        }
        throw new TimeoutException("the helper process never entered the namespace");
    }
}
