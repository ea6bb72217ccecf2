using System.Text.Json;
using System.Text.Json.Nodes;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.IntegrationTests.Plugins.Bridge;
using Cni.Net.Spec;

namespace Cni.Net.IntegrationTests.Plugins.Tap;

/// <summary>
/// Our published tap plugin on the real kernel (Debian's reference 1.1.1 has no tap, so there is no parity run):
/// the device as <c>ip -j -d link</c> sees it in the pod, a bridge of the pod as its master, bad input.
/// </summary>
public sealed class TapPluginTests
{
    public TapPluginTests() => Require.NotInRootNamespace();

    private static PluginTestNode Node() => new(("tap", PluginTestNode.Ours("tap")), ("static", PluginTestNode.Ours("static")));

    private const string StaticIpam =
        ""","ipam":{"type":"static","addresses":[{"address":"10.84.0.5/24","gateway":"10.84.0.1"}],"routes":[{"dst":"10.97.0.0/16"}]}""";

    private static string Conflist(string keys, bool ipam = true) =>
        """{"cniVersion":"1.0.0","name":"tapnet","plugins":[{"type":"tap" """ + keys + (ipam ? StaticIpam : "") + "}]}";

    private static string PluginConfig(string conflist)
    {
        JsonObject list = JsonNode.Parse(conflist)!.AsObject();
        JsonObject plugin = list["plugins"]![0]!.AsObject().DeepClone().AsObject();
        plugin["name"] = list["name"]!.GetValue<string>();
        plugin["cniVersion"] = list["cniVersion"]!.GetValue<string>();
        return plugin.ToJsonString();
    }

    private static bool Has(TestNamespace pod, string name) => Shell.Run("ip", ["-n", pod.Name, "link", "show", "dev", name]).ExitCode == 0;

    [Fact]
    public async Task AddCheckDel_TapWithOwnerGroupMultiQueueMtuMacAndStaticAddress()
    {
        using PluginTestNode node = Node();
        using var pod = new TestNamespace("tap");
        string conflist = Conflist(""","mtu":1400,"mac":"c2:00:00:84:00:05","multiQueue":true,"owner":4242,"group":4343,"selinuxcontext":"system_u:system_r:container_t:s0" """);

        CniResult result = await node.AddAsync(conflist, pod, "ctr-tap-1", "tap0");

        CniInterface intf = Assert.Single(result.Interfaces);
        Assert.Equal(("tap0", "c2:00:00:84:00:05", pod.Path), (intf.Name, intf.Mac, intf.Sandbox));
        Assert.Equal("10.84.0.5/24", Assert.Single(result.IPs).Address.ToString());
        JsonElement link = pod.IpJson("link", "show", "dev", "tap0")[0];
        JsonElement data = link.GetProperty("linkinfo").GetProperty("info_data");
        Assert.Equal("tun", link.GetProperty("linkinfo").GetProperty("info_kind").GetString());
        Assert.Equal("tap", data.GetProperty("type").GetString());
        Assert.True(data.GetProperty("multi_queue").GetBoolean());
        Assert.True(data.GetProperty("persist").GetBoolean());
        // With owner and group the reference creates through vishvananda/netlink: virtio-net header on.
        Assert.True(data.GetProperty("vnet_hdr").GetBoolean());
        Assert.False(data.GetProperty("pi").GetBoolean());
        Assert.Equal(("4242", "4343"), (data.GetProperty("user").ToString(), data.GetProperty("group").ToString()));
        Assert.Equal(1400, link.GetProperty("mtu").GetInt32());
        Assert.Equal("c2:00:00:84:00:05", link.GetProperty("address").GetString());
        Assert.Contains("UP", link.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        Assert.Contains("10.84.0.5/24", pod.ExecCheck("ip", "-o", "addr", "show", "dev", "tap0"), StringComparison.Ordinal);
        Assert.Contains("10.97.0.0/16 via 10.84.0.1 dev tap0", pod.ExecCheck("ip", "route"), StringComparison.Ordinal);
        Assert.Equal("1", pod.ExecCheck("cat", "/proc/sys/net/ipv4/conf/tap0/arp_notify").Trim());

        await node.CheckAsync(conflist, pod, "ctr-tap-1", "tap0");
        pod.ExecCheck("ip", "addr", "flush", "dev", "tap0");
        await Assert.ThrowsAsync<CniException>(async () => await node.CheckAsync(conflist, pod, "ctr-tap-1", "tap0"));

        await node.DelAsync(conflist, pod.Path, "ctr-tap-1", "tap0");
        Assert.False(Has(pod, "tap0"));
        await node.DelAsync(conflist, pod.Path, "ctr-tap-1", "tap0");
        await node.DelAsync(conflist, null, "ctr-tap-1", "tap0");
    }

    [Fact]
    public async Task Add_WithoutOwnerAndGroup_AsIpTuntapMakesIt_LayerTwoOnly()
    {
        using PluginTestNode node = Node();
        using var pod = new TestNamespace("tapl2");
        string conflist = Conflist("", ipam: false);

        CniResult result = await node.AddAsync(conflist, pod, "ctr-tap-l2", "tap0");

        Assert.Empty(result.IPs);
        JsonElement link = pod.IpJson("link", "show", "dev", "tap0")[0];
        JsonElement data = link.GetProperty("linkinfo").GetProperty("info_data");
        Assert.Equal(("tap", false, false, false), (data.GetProperty("type").GetString(), data.GetProperty("pi").GetBoolean(),
            data.GetProperty("vnet_hdr").GetBoolean(), data.GetProperty("multi_queue").GetBoolean()));
        Assert.False(data.TryGetProperty("user", out _));
        Assert.False(data.TryGetProperty("group", out _));
        Assert.Contains("UP", link.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        Assert.DoesNotContain("inet ", pod.ExecCheck("ip", "-o", "-4", "addr", "show", "dev", "tap0"), StringComparison.Ordinal);
        await node.CheckAsync(conflist, pod, "ctr-tap-l2", "tap0");
        await node.DelAsync(conflist, pod.Path, "ctr-tap-l2", "tap0");
        Assert.False(Has(pod, "tap0"));
    }

    [Fact]
    public async Task Add_BridgeInThePod_TapBecomesItsPort()
    {
        using PluginTestNode node = Node();
        using var pod = new TestNamespace("tapbr");
        // A VM-style pod: the bridge is the pod's own, the tap becomes its port.
        pod.ExecCheck("ip", "link", "add", "br0", "type", "bridge");
        pod.ExecCheck("ip", "link", "set", "br0", "up");
        string conflist = Conflist(""","bridge":"br0" """, ipam: false);

        await node.AddAsync(conflist, pod, "ctr-tap-br", "tap0");

        JsonElement link = pod.IpJson("link", "show", "dev", "tap0")[0];
        Assert.Equal("br0", link.GetProperty("master").GetString());
        Assert.Equal("bridge", link.GetProperty("linkinfo").GetProperty("info_slave_kind").GetString());
        Assert.Contains("tap0", pod.ExecCheck("bridge", "link", "show"), StringComparison.Ordinal);
        await node.DelAsync(conflist, pod.Path, "ctr-tap-br", "tap0");
        Assert.False(Has(pod, "tap0"));
        Assert.True(Has(pod, "br0"));
    }

    [Theory]
    [InlineData(""","mac":"zz:00:00:00:00:01" """, 7, "invalid args zz:00:00:00:00:01 for MAC addr")]
    [InlineData(""","mtu":-1""", 7, "mtu")]
    [InlineData(""","bridge":"nosuchbr0" """, 7, "failed to get bridge nosuchbr0")]
    [InlineData(""","mtu":70000""", 7, "mtu")]
    public void BadInput_IsRefused_AndLeavesNoTap(string keys, uint code, string messagePart)
    {
        using PluginTestNode node = Node();
        using var pod = new TestNamespace("tapbad");
        Shell.Output r = node.Exec(PluginTestNode.Ours("tap"), "ADD", PluginConfig(Conflist(keys, ipam: false)), "ctr-tap-bad", pod.Path, "tap0");
        Assert.Equal(1, r.ExitCode);
        JsonElement error = PluginTestNode.ParseError(r.StdOut);
        Assert.Equal(code, error.GetProperty("code").GetUInt32());
        Assert.Contains(messagePart, error.GetProperty("msg").GetString(), StringComparison.Ordinal);
        Assert.False(Has(pod, "tap0"));
    }

    [Fact]
    public void Add_IfNameTaken_IsCode4_AndTheExistingLinkStays()
    {
        using PluginTestNode node = Node();
        using var pod = new TestNamespace("taptaken");
        pod.ExecCheck("ip", "link", "add", "tap0", "type", "veth", "peer", "name", "tap0p");
        Shell.Output r = node.Exec(PluginTestNode.Ours("tap"), "ADD", PluginConfig(Conflist("", ipam: false)), "ctr-tap-taken", pod.Path, "tap0");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(4u, PluginTestNode.ParseError(r.StdOut).GetProperty("code").GetUInt32());
        Assert.Equal("veth", pod.IpJson("link", "show", "dev", "tap0")[0].GetProperty("linkinfo").GetProperty("info_kind").GetString());
    }

    [Fact]
    public void Add_IpamFails_LeavesNoTap()
    {
        using PluginTestNode node = Node();
        using var pod = new TestNamespace("tapipam");
        string config = PluginConfig(Conflist("", ipam: false)).TrimEnd('}') + ",\"ipam\":{\"type\":\"static\",\"addresses\":[{\"address\":\"10.84.0.5\"}]}}";
        Shell.Output r = node.Exec(PluginTestNode.Ours("tap"), "ADD", config, "ctr-tap-ipam", pod.Path, "tap0");
        Assert.Equal(1, r.ExitCode);
        Assert.False(Has(pod, "tap0"));
    }

    [Fact]
    public void Version_AnswersEverySpecVersion()
    {
        using PluginTestNode node = Node();
        Shell.Output r = node.Exec(PluginTestNode.Ours("tap"), "VERSION", "{\"cniVersion\":\"1.0.0\"}", "", null);
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.StdOut);
        Assert.Contains("1.1.0", doc.RootElement.GetProperty("supportedVersions").EnumerateArray().Select(v => v.GetString()));
    }
}
