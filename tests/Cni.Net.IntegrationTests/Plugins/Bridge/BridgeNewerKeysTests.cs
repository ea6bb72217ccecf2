using System.Text.Json;
using Cni.Net.Conventions;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.Spec;

namespace Cni.Net.IntegrationTests.Plugins.Bridge;

/// <summary>
/// The bridge keys of plugins v1.5–v1.9.1 (portIsolation, disableContainerInterface, vlanTrunk, preserveDefaultVlan,
/// ipMasqBackend) on the real kernel.
/// </summary>
public class BridgeNewerKeysTests
{
    private static PluginTestNode OurNode() =>
        new(("bridge", PluginTestNode.Ours("bridge")), ("host-local", PluginTestNode.Reference("host-local")));

    [Fact]
    public async Task PortIsolation_MakesThePodsPortIsolated_AndIsolatedPodsCannotTalk_ButReachTheGateway()
    {
        using PluginTestNode node = OurNode();
        using var a = new TestNamespace("brisoa");
        using var b = new TestNamespace("brisob");
        string conflist = node.Conflist(extraBridgeKeys: ",\"portIsolation\":true", hairpin: false);
        CniResult ra = await node.AddAsync(conflist, a, "ctr-iso-a");
        CniResult rb = await node.AddAsync(conflist, b, "ctr-iso-b");
        try
        {
            JsonElement port = Shell.Json("ip", "-j", "-d", "link", "show", "dev", ra.Interfaces[1].Name)[0];
            Assert.True(port.GetProperty("linkinfo").GetProperty("info_slave_data").GetProperty("isolated").GetBoolean());
            // Isolated ports forward only to non-isolated ones: the bridge itself (the gateway) yes, each other no.
            Assert.Equal(0, a.Exec("ping", "-c", "1", "-W", "2", "10.77.0.1").ExitCode);
            Assert.NotEqual(0, a.Exec("ping", "-c", "1", "-W", "1", rb.IPs[0].Address.Address.ToString()).ExitCode);
        }
        finally
        {
            await node.DelAsync(conflist, a.Path, "ctr-iso-a");
            await node.DelAsync(conflist, b.Path, "ctr-iso-b");
        }
        Assert.Empty(PluginTestNode.NodeVeths());
    }

    [Fact]
    public void DisableContainerInterface_LeavesThePodInterfaceDown_OnALayer2Network()
    {
        using PluginTestNode node = OurNode();
        using var pod = new TestNamespace("brdci");
        string config = $$"""{"cniVersion":"1.0.0","name":"brdci","type":"bridge","bridge":"{{node.Bridge}}","disableContainerInterface":true}""";
        Shell.Output r = node.Exec(PluginTestNode.Ours("bridge"), "ADD", config, "ctr-dci-1", pod.Path);
        Assert.True(r.ExitCode == 0, r.StdOut + r.StdErr);
        JsonElement eth0 = pod.IpJson("link", "show", "dev", "eth0")[0];
        Assert.DoesNotContain("UP", eth0.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal("veth", eth0.GetProperty("linkinfo").GetProperty("info_kind").GetString());
        Assert.Equal(0, node.Exec(PluginTestNode.Ours("bridge"), "DEL", config, "ctr-dci-1", pod.Path).ExitCode);
        Assert.Empty(PluginTestNode.NodeVethsAfterSettling());
        Shell.Run("ip", ["link", "del", node.Bridge]);
    }

    [Fact]
    public void DisableContainerInterface_WithIpam_IsRefusedWithCode7_BeforeAnythingIsMade()
    {
        using PluginTestNode node = OurNode();
        using var pod = new TestNamespace("brdci");
        Shell.Output r = node.Exec(PluginTestNode.Ours("bridge"), "ADD", node.PluginConfig(extraBridgeKeys: ",\"disableContainerInterface\":true"), "ctr-dci-2", pod.Path);
        Assert.Equal(1, r.ExitCode);
        JsonElement error = PluginTestNode.ParseError(r.StdOut);
        Assert.Equal(7u, error.GetProperty("code").GetUInt32());
        Assert.Contains("cannot use IPAM when DisableContainerInterface flag is set", error.GetProperty("msg").GetString(), StringComparison.Ordinal);
        Assert.NotEqual(0, Shell.Run("ip", ["link", "show", node.Bridge]).ExitCode);
        Assert.Empty(node.Reservations());
    }

    [Theory]
    [InlineData("[{\"minID\":0,\"maxID\":5}]", "vlanTrunk: incorrect trunk minID parameter")]
    [InlineData("[{\"minID\":10,\"maxID\":5}]", "vlanTrunk: minID is greater than maxID in trunk parameter")]
    [InlineData("[{\"maxID\":5}]", "vlanTrunk: minID and maxID should be configured simultaneously, minID is missing")]
    [InlineData("[{\"id\":4095}]", "vlanTrunk: incorrect trunk id parameter")]
    public void VlanTrunk_Invalid_IsRefusedWithCode7_BeforeAnythingIsMade(string trunk, string message)
    {
        using PluginTestNode node = OurNode();
        using var pod = new TestNamespace("brtrunk");
        Shell.Output r = node.Exec(PluginTestNode.Ours("bridge"), "ADD", node.PluginConfig(extraBridgeKeys: ",\"vlanTrunk\":" + trunk), "ctr-trunk-bad", pod.Path);
        Assert.Equal(1, r.ExitCode);
        JsonElement error = PluginTestNode.ParseError(r.StdOut);
        Assert.Equal(7u, error.GetProperty("code").GetUInt32());
        Assert.Equal(message, error.GetProperty("msg").GetString());
        Assert.NotEqual(0, Shell.Run("ip", ["link", "show", node.Bridge]).ExitCode);
    }

    [Fact]
    public async Task VlanTrunk_TagsThePort_AndDropsTheDefaultVlan_UnlessPreserved()
    {
        using (var probe = new TestNamespace("vlanprobe"))
        {
            Shell.Output r = Shell.Run("ip", ["-n", probe.Name, "link", "add", "probe0", "type", "bridge", "vlan_filtering", "1"]);
            if (r.ExitCode != 0)
            {
                Assert.Skip($"kernel lacks bridge VLAN filtering: {r.StdErr.Trim()}");
            }
        }
        using PluginTestNode node = OurNode();
        using var pod = new TestNamespace("brtrunk");
        // preserveDefaultVlan is false unless given (plugins v1.8): VLAN 1 stays only as the trunk's native VLAN.
        string conflist = node.Conflist(gateway: false, extraBridgeKeys: ",\"vlanTrunk\":[{\"id\":5},{\"minID\":10,\"maxID\":12}]");
        CniResult result = await node.AddAsync(conflist, pod, "ctr-trunk-1");
        JsonElement port = Shell.Json("bridge", "-j", "vlan", "show", "dev", result.Interfaces[1].Name).EnumerateArray().Single();
        int[] vlans = [.. port.GetProperty("vlans").EnumerateArray().Select(v => v.GetProperty("vlan").GetInt32())];
        Assert.Equal([1, 5, 10, 11, 12], vlans.Order().ToArray());
        await node.DelAsync(conflist, pod.Path, "ctr-trunk-1");
        Assert.Empty(PluginTestNode.NodeVeths());
    }

    [Fact]
    public async Task IPMasqBackendNftables_WritesTheNativeTable_ChecksAndDeletesIt()
    {
        using PluginTestNode node = OurNode();
        using var pod = new TestNamespace("brnftmasq");
        string conflist = node.Conflist(extraBridgeKeys: ",\"ipMasqBackend\":\"nftables\"");
        CniResult result = await node.AddAsync(conflist, pod, "ctr-nftmasq-1");
        try
        {
            string listing = Shell.Check("nft", ["list", "table", "inet", NftablesIPMasquerade.Table]);
            string comment = NftablesIPMasquerade.Comment("brtest", "eth0", "ctr-nftmasq-1");
            Assert.Contains($"ip saddr {result.IPs[0].Address.Address} ip daddr != 10.77.0.0/24 masquerade comment \"{comment}\"", listing, StringComparison.Ordinal);
            // The iptables layout stays untouched.
            Assert.DoesNotContain(CniNames.ContainerChain("brtest", "ctr-nftmasq-1"), PluginTestNode.Nat(), StringComparison.Ordinal);
            await node.CheckAsync(conflist, pod, "ctr-nftmasq-1");
        }
        finally
        {
            await node.DelAsync(conflist, pod.Path, "ctr-nftmasq-1");
        }
        Assert.DoesNotContain("masquerade comment", Shell.Check("nft", ["list", "table", "inet", NftablesIPMasquerade.Table]), StringComparison.Ordinal);
        Shell.Run("nft", ["delete", "table", "inet", NftablesIPMasquerade.Table]);
    }

    [Fact]
    public async Task IPMasqBackendNftables_Check_FailsWithCode100_WhenTheRuleIsGone()
    {
        using PluginTestNode node = OurNode();
        using var pod = new TestNamespace("brnftmasq");
        string conflist = node.Conflist(extraBridgeKeys: ",\"ipMasqBackend\":\"nftables\"");
        await node.AddAsync(conflist, pod, "ctr-nftmasq-2");
        try
        {
            Shell.Check("nft", ["flush", "chain", "inet", NftablesIPMasquerade.Table, NftablesIPMasquerade.Chain]);
            CniException e = await Assert.ThrowsAsync<CniException>(async () => await node.CheckAsync(conflist, pod, "ctr-nftmasq-2"));
            Assert.Equal(100u, (uint)e.Code);
            Assert.Contains("lacks the masquerade rules", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            await node.DelAsync(conflist, pod.Path, "ctr-nftmasq-2");
            Shell.Run("nft", ["delete", "table", "inet", NftablesIPMasquerade.Table]);
        }
    }
}
