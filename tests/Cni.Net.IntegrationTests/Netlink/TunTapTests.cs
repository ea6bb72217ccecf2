using System.Text.Json;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.Netlink.Route;

namespace Cni.Net.IntegrationTests.Netlink;

/// <summary><see cref="TunTap"/> on the real kernel: devices made in another namespace than the caller's, as <c>ip -d link</c> sees them.</summary>
public class TunTapTests
{
    private static JsonElement Data(NetlinkTestScope s, string name)
    {
        JsonElement info = s.Link(name).GetProperty("linkinfo");
        Assert.Equal("tun", info.GetProperty("info_kind").GetString());
        return info.GetProperty("info_data");
    }

    [Fact]
    public void Create_TapInTargetNamespace_PersistentWithFlagsOwnerAndGroup()
    {
        using var s = new NetlinkTestScope("tuntap");
        TunTap.Create("tp0", new TunTapOptions { MultiQueue = true, VirtioNetHeader = true, Owner = 4242, Group = 4343 }, s.Namespace);

        // Made where /dev/net/tun was opened: in the target, never in the caller's namespace.
        Assert.NotEqual(0, Shell.Run("ip", ["link", "show", "dev", "tp0"]).ExitCode);
        JsonElement data = Data(s, "tp0");
        Assert.Equal("tap", data.GetProperty("type").GetString());
        Assert.True(data.GetProperty("persist").GetBoolean());
        Assert.True(data.GetProperty("multi_queue").GetBoolean());
        Assert.True(data.GetProperty("vnet_hdr").GetBoolean());
        Assert.False(data.GetProperty("pi").GetBoolean());
        Assert.Equal("4242", data.GetProperty("user").ToString());
        Assert.Equal("4343", data.GetProperty("group").ToString());
        Assert.Equal("ether", s.Link("tp0").GetProperty("link_type").GetString());
    }

    [Fact]
    public void Create_TunWithPacketInformation_NoOwnerOrGroup()
    {
        using var s = new NetlinkTestScope("tun");
        TunTap.Create("tn0", new TunTapOptions { Tap = false, PacketInformation = true }, s.Namespace);
        JsonElement data = Data(s, "tn0");
        Assert.Equal("tun", data.GetProperty("type").GetString());
        Assert.True(data.GetProperty("pi").GetBoolean());
        Assert.False(data.GetProperty("multi_queue").GetBoolean());
        Assert.False(data.TryGetProperty("user", out _));
        Assert.False(data.TryGetProperty("group", out _));
        Assert.Equal("none", s.Link("tn0").GetProperty("link_type").GetString());
    }

    [Fact]
    public void Create_NameTaken_IsEbusy_AndTheExistingDeviceStays()
    {
        using var s = new NetlinkTestScope("tuntaken");
        TunTap.Create("tp0", new TunTapOptions { Owner = 4242 }, s.Namespace);
        s.Ip("link", "add", "vx0", "type", "veth", "peer", "name", "vx1");

        IOException tap = Assert.Throws<IOException>(() => TunTap.Create("tp0", new TunTapOptions(), s.Namespace));
        Assert.Contains("EBUSY", tap.Message, StringComparison.Ordinal);
        Assert.Equal("4242", Data(s, "tp0").GetProperty("user").ToString());
        Assert.ThrowsAny<IOException>(() => TunTap.Create("vx0", new TunTapOptions(), s.Namespace));
        Assert.Equal("veth", s.Link("vx0").GetProperty("linkinfo").GetProperty("info_kind").GetString());
        Assert.Throws<ArgumentException>(() => TunTap.Create("a-name-too-long-x", new TunTapOptions(), s.Namespace));
    }

    [Fact]
    public void Create_InTheCallersNamespace_WhenNoTarget()
    {
        Require.NotInRootNamespace();
        string name = $"tpc{Environment.ProcessId % 10000}";
        try
        {
            TunTap.Create(name, new TunTapOptions());
            JsonElement link = Shell.Json("ip", "-j", "-d", "link", "show", "dev", name)[0];
            Assert.Equal("tap", link.GetProperty("linkinfo").GetProperty("info_data").GetProperty("type").GetString());
        }
        finally
        {
            Shell.Run("ip", ["link", "del", name]);
        }
    }
}
