using System.Text.Json;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.IntegrationTests.Plugins.Bridge;
using Cni.Net.Spec;

namespace Cni.Net.IntegrationTests.Plugins.Macvlan;

/// <summary>
/// Our published macvlan on the real kernel. The parent is a veth end in the test's node namespace (this kernel
/// has no dummy links); pods on one parent in bridge mode reach each other through it.
/// </summary>
public sealed class MacvlanPluginTests : IDisposable
{
    private readonly string _parent = $"mvp{Environment.ProcessId % 10000}";

    public MacvlanPluginTests()
    {
        Require.NotInRootNamespace();
        EnsureParent();
    }

    // PluginTestNode's Dispose deletes every veth of the node, the parent with them: each node needs it again.
    private void EnsureParent()
    {
        if (Shell.Run("ip", ["link", "show", _parent]).ExitCode == 0)
        {
            return;
        }
        Shell.Check("ip", "link", "add", _parent, "mtu", "1500", "type", "veth", "peer", "name", _parent + "x");
        Shell.Check("ip", "link", "set", _parent, "up");
        Shell.Check("ip", "link", "set", _parent + "x", "up");
    }

    public void Dispose() => Shell.Run("ip", ["link", "del", _parent]);

    private static PluginTestNode Node(string macvlan = "ours", string ipam = "ours") => new(
        ("macvlan", macvlan == "ours" ? PluginTestNode.Ours("macvlan") : PluginTestNode.Reference("macvlan")),
        ("static", ipam == "ours" ? PluginTestNode.Ours("static") : PluginTestNode.Reference("static")),
        ("sbr", PluginTestNode.Ours("sbr")));

    private string Conflist(string address = "10.82.0.5/24", string keys = "", string extraPlugins = "") =>
        $$$"""{"cniVersion":"1.0.0","name":"mvnet","plugins":[{"type":"macvlan","master":"{{{_parent}}}"{{{keys}}},"ipam":{"type":"static","addresses":[{"address":"{{{address}}}","gateway":"10.82.0.1"}],"routes":[{"dst":"10.99.0.0/16"}]}}{{{extraPlugins}}}]}""";

    [Fact]
    public async Task AddCheckDel_MacvlanWithStaticAddress_PodsOnOneParentTalk()
    {
        using PluginTestNode node = Node();
        using var a = new TestNamespace("mva");
        using var b = new TestNamespace("mvb");
        string ca = Conflist(keys: ",\"mtu\":1400,\"mac\":\"c2:00:00:82:00:05\"");
        string cb = Conflist("10.82.0.6/24");

        CniResult ra = await node.AddAsync(ca, a, "ctr-mv-a", "net1");
        await node.AddAsync(cb, b, "ctr-mv-b", "net1");

        CniInterface intf = Assert.Single(ra.Interfaces);
        Assert.Equal(("net1", "c2:00:00:82:00:05", a.Path), (intf.Name, intf.Mac, intf.Sandbox));
        Assert.Equal("10.82.0.5/24", Assert.Single(ra.IPs).Address.ToString());
        JsonElement link = a.IpJson("link", "show", "net1")[0];
        Assert.Equal("macvlan", link.GetProperty("linkinfo").GetProperty("info_kind").GetString());
        Assert.Equal("bridge", link.GetProperty("linkinfo").GetProperty("info_data").GetProperty("mode").GetString());
        Assert.Equal(1400, link.GetProperty("mtu").GetInt32());
        Assert.Contains("10.99.0.0/16 via 10.82.0.1 dev net1", a.ExecCheck("ip", "route"), StringComparison.Ordinal);
        Assert.Equal(0, a.Exec("ping", "-c", "1", "-W", "2", "10.82.0.6").ExitCode);

        await node.CheckAsync(ca, a, "ctr-mv-a", "net1");
        await node.DelAsync(ca, a.Path, "ctr-mv-a", "net1");
        await node.DelAsync(cb, b.Path, "ctr-mv-b", "net1");
        Assert.DoesNotContain("net1", a.ExecCheck("ip", "-o", "link"), StringComparison.Ordinal);
        Assert.DoesNotContain("net1", b.ExecCheck("ip", "-o", "link"), StringComparison.Ordinal);
        await node.DelAsync(ca, a.Path, "ctr-mv-a", "net1");
    }

    [Fact]
    public async Task SameKernelState_AsTheReferenceMacvlan()
    {
        async Task<string> Capture(string which)
        {
            using PluginTestNode node = Node(which, which);
            EnsureParent();
            using var pod = new TestNamespace("mvcmp");
            string conflist = Conflist(keys: ",\"mtu\":1450,\"mode\":\"private\",\"mac\":\"c2:00:00:82:00:09\"");
            await node.AddAsync(conflist, pod, "ctr-mv-cmp");
            string state = KernelState.Capture(node, pod);
            JsonElement data = pod.IpJson("link", "show", "eth0")[0].GetProperty("linkinfo").GetProperty("info_data");
            state += "mode=" + data.GetProperty("mode").GetString() + "\n";
            // v1.9.1 also sets ndisc_notify (1.1.1 does not): compared apart.
            if (which == "ours")
            {
                Assert.Equal("1", pod.ExecCheck("cat", "/proc/sys/net/ipv6/conf/eth0/ndisc_notify").Trim());
            }
            await node.DelAsync(conflist, pod.Path, "ctr-mv-cmp");
            return state;
        }
        string reference = await Capture("reference");
        Assert.Contains("mode=private", reference, StringComparison.Ordinal);
        Assert.Equal(reference, await Capture("ours"));
    }

    [Fact]
    public async Task MultusStyleChain_MacvlanStaticSbr_RulesAndTableThenGone()
    {
        using PluginTestNode node = Node();
        using var pod = new TestNamespace("mvsbr");
        string conflist = Conflist(extraPlugins: ",{\"type\":\"sbr\"}");
        await node.AddAsync(conflist, pod, "ctr-mv-sbr", "net1");
        // sbr moved the interface's routes into a table of its own, chosen by a rule on the source address.
        Assert.Contains("from 10.82.0.5 lookup 100", pod.ExecCheck("ip", "rule"), StringComparison.Ordinal);
        Assert.Contains("10.99.0.0/16 via 10.82.0.1 dev net1", pod.ExecCheck("ip", "route", "show", "table", "100"), StringComparison.Ordinal);
        await node.DelAsync(conflist, pod.Path, "ctr-mv-sbr", "net1");
        Assert.DoesNotContain("lookup 100", pod.ExecCheck("ip", "rule"), StringComparison.Ordinal);
        Assert.DoesNotContain("net1", pod.ExecCheck("ip", "-o", "link"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task LinkInContainer_UsesAParentInsideThePod()
    {
        using PluginTestNode node = Node();
        using var pod = new TestNamespace("mvin");
        Shell.Check("ip", "-n", pod.Name, "link", "add", "inpar0", "type", "veth", "peer", "name", "inpar1");
        Shell.Check("ip", "-n", pod.Name, "link", "set", "inpar0", "up");
        string conflist = $$$"""{"cniVersion":"1.0.0","name":"mvnet","plugins":[{"type":"macvlan","master":"inpar0","linkInContainer":true}]}""";
        CniResult result = await node.AddAsync(conflist, pod, "ctr-mv-in", "net1");
        Assert.Empty(result.IPs);
        JsonElement link = pod.IpJson("link", "show", "net1")[0];
        Assert.Equal("inpar0", link.GetProperty("link").GetString());
        Assert.Contains("UP", link.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        await node.DelAsync(conflist, pod.Path, "ctr-mv-in", "net1");
        Assert.DoesNotContain("net1", pod.ExecCheck("ip", "-o", "link"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(",\"mode\":\"sideways\"", 7, "unknown macvlan mode")]
    [InlineData(",\"mtu\":9000", 7, "invalid MTU 9000, must be [0, master MTU(1500)]")]
    [InlineData(",\"mac\":\"zz\"", 7, "for MAC addr")]
    public void BadInput_IsRefused_AndCreatesNothing(string keys, uint code, string messagePart)
    {
        using PluginTestNode node = Node();
        using var pod = new TestNamespace("mvbad");
        var config = System.Text.Json.Nodes.JsonNode.Parse(Conflist(keys: keys))!["plugins"]![0]!.AsObject().DeepClone().AsObject();
        config["name"] = "mvnet";
        config["cniVersion"] = "1.0.0";
        Shell.Output r = node.Exec(PluginTestNode.Ours("macvlan"), "ADD", config.ToJsonString(), "ctr-mv-bad", pod.Path, "net1");
        Assert.Equal(1, r.ExitCode);
        JsonElement error = PluginTestNode.ParseError(r.StdOut);
        Assert.Equal(code, error.GetProperty("code").GetUInt32());
        Assert.Contains(messagePart, error.GetProperty("msg").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("net1", pod.ExecCheck("ip", "-o", "link"), StringComparison.Ordinal);
    }

    [Fact]
    public void MissingMaster_IsCode7()
    {
        using PluginTestNode node = Node();
        using var pod = new TestNamespace("mvbad");
        string config = "{\"cniVersion\":\"1.0.0\",\"name\":\"mvnet\",\"type\":\"macvlan\",\"master\":\"nosuchlink0\"}";
        Shell.Output r = node.Exec(PluginTestNode.Ours("macvlan"), "ADD", config, "ctr-mv-bad", pod.Path, "net1");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(7u, PluginTestNode.ParseError(r.StdOut).GetProperty("code").GetUInt32());
        Assert.Contains("nosuchlink0", r.StdOut, StringComparison.Ordinal);
    }
}
