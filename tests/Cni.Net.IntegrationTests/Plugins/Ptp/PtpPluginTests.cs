using System.Text.Json;
using Cni.Net.Execution;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.IntegrationTests.Plugins.Bridge;
using Cni.Net.Netfilter;
using Cni.Net.Spec;
using Cni.Net.Conventions;

namespace Cni.Net.IntegrationTests.Plugins.Ptp;

/// <summary>Our published ptp on the real kernel, beside the reference ptp and host-local of /usr/lib/cni.</summary>
public class PtpPluginTests
{
    private static PluginTestNode Node(string ptp = "ours", string ipam = "reference") => new(
        ("ptp", ptp == "ours" ? PluginTestNode.Ours("ptp") : PluginTestNode.Reference("ptp")),
        ("host-local", ipam == "ours" ? PluginTestNode.Ours("host-local") : PluginTestNode.Reference("host-local")));

    private static string Conflist(PluginTestNode node, string network = "ptptest", bool ipMasq = true, string subnet = "10.78.0.0/24",
        string extra = "", string cniVersion = "1.0.0") =>
        $$$"""{"cniVersion":"{{{cniVersion}}}","name":"{{{network}}}","plugins":[{"type":"ptp","ipMasq":{{{(ipMasq ? "true" : "false")}}}{{{extra}}},"ipam":{"type":"host-local","dataDir":"{{{node.DataDirectory}}}","ranges":[[{"subnet":"{{{subnet}}}"}]],"routes":[{"dst":"0.0.0.0/0"}]}}]}""";

    private static string PluginConfig(PluginTestNode node, string network = "ptptest", string extra = "")
    {
        var list = System.Text.Json.Nodes.JsonNode.Parse(Conflist(node, network, extra: extra))!;
        var plugin = list["plugins"]![0]!.AsObject().DeepClone().AsObject();
        plugin["name"] = network;
        plugin["cniVersion"] = "1.0.0";
        return plugin.ToJsonString();
    }

    [Fact]
    public async Task AddCheckDel_RoutesThePodThroughTheNode_AndLeavesNothing()
    {
        using PluginTestNode node = Node();
        using var pod = new TestNamespace("ptppod");
        string conflist = Conflist(node, extra: ",\"mtu\":1400");

        CniResult result = await node.AddAsync(conflist, pod, "ctr-ptp-1");

        Assert.Equal(2, result.Interfaces.Count);
        Assert.StartsWith("veth", result.Interfaces[0].Name, StringComparison.Ordinal);
        Assert.Equal("eth0", result.Interfaces[1].Name);
        Assert.Equal(pod.Path, result.Interfaces[1].Sandbox);
        CniIPConfig ip = Assert.Single(result.IPs);
        Assert.Equal("10.78.0.2/24", ip.Address.ToString());
        Assert.Equal("10.78.0.1", ip.Gateway?.ToString());
        Assert.Equal(1, ip.Interface);

        // The pod: its address, no connected route, the gateway on-link and the subnet through it.
        string routes = pod.ExecCheck("ip", "-4", "route");
        Assert.Contains("10.78.0.1 dev eth0 scope link src 10.78.0.2", routes, StringComparison.Ordinal);
        Assert.Contains("10.78.0.0/24 via 10.78.0.1 dev eth0 src 10.78.0.2", routes, StringComparison.Ordinal);
        Assert.Contains("default via 10.78.0.1 dev eth0", routes, StringComparison.Ordinal);
        Assert.DoesNotContain("10.78.0.0/24 dev eth0 proto kernel", routes, StringComparison.Ordinal);
        Assert.Equal(1400, pod.IpJson("link", "show", "eth0")[0].GetProperty("mtu").GetInt32());
        // The node: the gateway as a host address on the veth end, a host route to the pod.
        string host = result.Interfaces[0].Name;
        Assert.Contains("inet 10.78.0.1/32", Shell.Check("ip", "-o", "addr", "show", "dev", host), StringComparison.Ordinal);
        Assert.Contains($"10.78.0.2 dev {host}", Shell.Check("ip", "-4", "route"), StringComparison.Ordinal);
        Assert.Equal("1", File.ReadAllText("/proc/sys/net/ipv4/ip_forward").Trim());
        Assert.Equal(0, pod.Exec("ping", "-c", "1", "-W", "2", "10.78.0.1").ExitCode);
        string masq = CniNames.ContainerChain("ptptest", "ctr-ptp-1");
        Assert.Contains($"-A POSTROUTING -s 10.78.0.2/32 -m comment --comment \"name: \\\"ptptest\\\" id: \\\"ctr-ptp-1\\\"\" -j {masq}", PluginTestNode.Nat(), StringComparison.Ordinal);

        await node.CheckAsync(conflist, pod, "ctr-ptp-1");

        await node.DelAsync(conflist, pod.Path, "ctr-ptp-1");
        AssertNothingLeft(node, pod);
        await node.DelAsync(conflist, pod.Path, "ctr-ptp-1");
    }

    [Fact]
    public async Task TwoPods_ReachEachOtherThroughTheNode()
    {
        using PluginTestNode node = Node(ipam: "ours");
        using var a = new TestNamespace("ptpa");
        using var b = new TestNamespace("ptpb");
        string conflist = Conflist(node, ipMasq: false);
        CniResult ra = await node.AddAsync(conflist, a, "ctr-ptp-a");
        CniResult rb = await node.AddAsync(conflist, b, "ctr-ptp-b");

        Assert.Equal(0, a.Exec("ping", "-c", "1", "-W", "2", rb.IPs[0].Address.Address.ToString()).ExitCode);
        Assert.Equal(0, b.Exec("ping", "-c", "1", "-W", "2", ra.IPs[0].Address.Address.ToString()).ExitCode);
        // Both node ends carry the same gateway address (one /32 per veth).
        Assert.Equal(2, Shell.Check("ip", "-o", "-4", "addr", "show", "to", "10.78.0.1/32").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        await node.DelAsync(conflist, a.Path, "ctr-ptp-a");
        await node.DelAsync(conflist, b.Path, "ctr-ptp-b");
        Assert.Empty(PluginTestNode.NodeVeths());
        Assert.Empty(node.Reservations("ptptest"));
    }

    [Fact]
    public async Task SameKernelState_AsTheReferencePtp()
    {
        string Capture(string which)
        {
            using PluginTestNode node = Node(which);
            using var pod = new TestNamespace("ptpcmp");
            string conflist = Conflist(node, extra: ",\"mtu\":1450");
            node.AddAsync(conflist, pod, "ctr-ptp-cmp").AsTask().GetAwaiter().GetResult();
            string state = KernelState.Capture(node, pod);
            node.DelAsync(conflist, pod.Path, "ctr-ptp-cmp").AsTask().GetAwaiter().GetResult();
            AssertNothingLeft(node, pod);
            return state;
        }
        string reference = Capture("reference");
        string ours = Capture("ours");
        Assert.Contains("10.78.0.0/24 via=10.78.0.1 dev=eth0", reference, StringComparison.Ordinal);
        Assert.Equal(reference, ours);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task MixedChain_ReferenceAdd_OurCheckAndDel_LeavesNothing()
    {
        using PluginTestNode reference = Node("reference");
        using PluginTestNode ours = Node();
        using var pod = new TestNamespace("ptpmix");
        // One dataDir for both nodes: ours reads the reference's reservations.
        string conflist = Conflist(reference);
        await reference.AddAsync(conflist, pod, "ctr-ptp-mix");
        // CHECK and DEL with our ptp (and the cached result of the reference's ADD, passed as prevResult).
        CniResult cached = reference.Executor.GetCachedResult(NetworkConfigList.Parse(System.Text.Encoding.UTF8.GetBytes(conflist)),
            new CniRuntimeRequest("ctr-ptp-mix", pod.Path, "eth0"))!;
        string stdin = PluginConfigWithPrev(reference, cached);
        Shell.Output check = ours.Exec(PluginTestNode.Ours("ptp"), "CHECK", stdin, "ctr-ptp-mix", pod.Path);
        Assert.True(check.ExitCode == 0, check.StdOut + check.StdErr);
        Shell.Output del = ours.Exec(PluginTestNode.Ours("ptp"), "DEL", stdin, "ctr-ptp-mix", pod.Path);
        Assert.True(del.ExitCode == 0, del.StdOut + del.StdErr);
        AssertNothingLeft(reference, pod);
    }

    private static string PluginConfigWithPrev(PluginTestNode node, CniResult prev)
    {
        var plugin = System.Text.Json.Nodes.JsonNode.Parse(PluginConfig(node))!.AsObject();
        plugin["prevResult"] = prev.ToJsonNode();
        return plugin.ToJsonString();
    }

    [Fact]
    public async Task IPMasqBackendNftables_MasqueradesThroughTheNativeTable_UntilDel()
    {
        using PluginTestNode node = Node();
        using var pod = new TestNamespace("ptpnft");
        string conflist = Conflist(node, extra: ",\"ipMasqBackend\":\"nftables\"");
        try
        {
            CniResult result = await node.AddAsync(conflist, pod, "ctr-ptp-nft");
            string listing = Shell.Check("nft", ["list", "table", "inet", NftablesIPMasquerade.Table]);
            Assert.Contains($"ip saddr {result.IPs[0].Address.Address} ip daddr != 10.78.0.0/24 masquerade comment \"{NftablesIPMasquerade.Comment("ptptest", "eth0", "ctr-ptp-nft")}\"",
                listing, StringComparison.Ordinal);
            Assert.DoesNotContain(CniNames.ContainerChain("ptptest", "ctr-ptp-nft"), PluginTestNode.Nat(), StringComparison.Ordinal);
            await node.CheckAsync(conflist, pod, "ctr-ptp-nft");
            await node.DelAsync(conflist, pod.Path, "ctr-ptp-nft");
            Assert.DoesNotContain("ctr-ptp-nft", Shell.Check("nft", ["list", "table", "inet", NftablesIPMasquerade.Table]), StringComparison.Ordinal);
        }
        finally
        {
            Shell.Run("nft", ["delete", "table", "inet", NftablesIPMasquerade.Table]);
        }
    }

    [Fact]
    public async Task GC_RemovesTheMasqueradeOfContainersThatAreGone()
    {
        using PluginTestNode node = Node();
        using var pod = new TestNamespace("ptpgc");
        string conflist = Conflist(node);
        NetworkConfigList list = NetworkConfigList.Parse(System.Text.Encoding.UTF8.GetBytes(conflist));
        await node.AddAsync(conflist, pod, "ctr-ptp-keep");
        using (var gone = new TestNamespace("ptpgone"))
        {
            await node.AddAsync(conflist, gone, "ctr-ptp-gone");
        }
        Assert.Contains(CniNames.ContainerChain("ptptest", "ctr-ptp-gone"), PluginTestNode.Nat(), StringComparison.Ordinal);

        IReadOnlyList<CniException> errors = await node.Executor.GCAsync(list, [new CniAttachmentId("ctr-ptp-keep", "eth0")], TestContext.Current.CancellationToken);

        Assert.Empty(errors);
        string nat = PluginTestNode.Nat();
        Assert.DoesNotContain(CniNames.ContainerChain("ptptest", "ctr-ptp-gone"), nat, StringComparison.Ordinal);
        Assert.Contains(CniNames.ContainerChain("ptptest", "ctr-ptp-keep"), nat, StringComparison.Ordinal);
        Assert.Single(node.Reservations("ptptest"));
        await node.DelAsync(conflist, pod.Path, "ctr-ptp-keep");
        AssertNothingLeft(node, pod);
    }

    [Fact]
    public void Version_ReportsEverySpecVersion()
    {
        using PluginTestNode node = Node();
        Shell.Output r = node.Exec(PluginTestNode.Ours("ptp"), "VERSION", "{\"cniVersion\":\"1.1.0\"}", "", null);
        Assert.Equal(0, r.ExitCode);
        using JsonDocument doc = JsonDocument.Parse(r.StdOut);
        string[] versions = [.. doc.RootElement.GetProperty("supportedVersions").EnumerateArray().Select(v => v.GetString()!)];
        Assert.Contains("0.1.0", versions);
        Assert.Contains("1.1.0", versions);
    }

    [Theory]
    [InlineData("{\"cniVersion\":\"1.0.0\",\"name\":\"ptptest\",\"type\":\"ptp\"}", 7, "ipam.type is missing")]
    [InlineData("{\"cniVersion\":\"1.0.0\",\"name\":\"ptptest\",\"type\":\"ptp\",\"ipMasq\":\"yes\",\"ipam\":{\"type\":\"host-local\"}}", 7, "ipMasq")]
    [InlineData("{\"cniVersion\":\"1.0.0\",\"name\":\"ptptest\",\"type\":\"ptp\",\"ipMasq\":true,\"ipMasqBackend\":\"ebtables\",\"ipam\":{\"type\":\"host-local\"}}", 7, "ipMasqBackend: unrecognized backend")]
    [InlineData("{\"cniVersion\":\"1.0.0\",\"name\":\"ptptest\",\"type\":\"ptp\",\"ipam\":{\"type\":\"host-local\"}", 6, "")]
    public void BadInput_IsRefusedWithItsCode_AndLeavesNothing(string stdin, uint code, string messagePart)
    {
        using PluginTestNode node = Node();
        using var pod = new TestNamespace("ptpbad");
        Shell.Output r = node.Exec(PluginTestNode.Ours("ptp"), "ADD", stdin, "ctr-ptp-bad", pod.Path);
        Assert.Equal(1, r.ExitCode);
        JsonElement error = PluginTestNode.ParseError(r.StdOut);
        Assert.Equal(code, error.GetProperty("code").GetUInt32());
        Assert.Contains(messagePart, error.GetProperty("msg").GetString(), StringComparison.Ordinal);
        AssertNothingLeft(node, pod);
    }

    [Fact]
    public void BadInput_MissingNamespace_Code3_NothingAllocated()
    {
        using PluginTestNode node = Node();
        Shell.Output r = node.Exec(PluginTestNode.Ours("ptp"), "ADD", PluginConfig(node), "ctr-ptp-nons", "/run/netns/ptp-missing-pod");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(3u, PluginTestNode.ParseError(r.StdOut).GetProperty("code").GetUInt32());
        Assert.Empty(node.Reservations("ptptest"));
        Assert.Equal(0, node.Exec(PluginTestNode.Ours("ptp"), "DEL", PluginConfig(node), "ctr-ptp-nons", "/run/netns/ptp-missing-pod").ExitCode);
    }

    private static void AssertNothingLeft(PluginTestNode node, TestNamespace pod)
    {
        Assert.Empty(PluginTestNode.NodeVethsAfterSettling());
        Assert.DoesNotContain("CNI-", PluginTestNode.Nat(), StringComparison.Ordinal);
        Assert.Empty(node.Reservations("ptptest"));
        Assert.DoesNotContain("eth0", pod.ExecCheck("ip", "-o", "link"), StringComparison.Ordinal);
    }
}
