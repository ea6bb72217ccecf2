using System.Text.Json.Nodes;
using Cni.Net.Conventions;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.IntegrationTests.Netfilter;
using Cni.Net.IntegrationTests.Plugins.Bridge;
using Cni.Net.Spec;

namespace Cni.Net.IntegrationTests.Plugins.Parity;

/// <summary>
/// A node whose config switches netfilter layout while pods live: bridge's <c>ipMasqBackend</c> and portmap's
/// <c>backend</c> go from iptables to nftables. Pods of both layouts forward their host ports side by side, and each
/// pod's DEL under the new config removes the rules its ADD wrote under the old one.
/// </summary>
public class BackendSwitchTests
{
    [Fact]
    public async Task IptablesToNftables_WithPodsAlive_BothForward_AndDelCleansEachLayout()
    {
        using var node = new PluginTestNode(("bridge", PluginTestNode.Ours("bridge")), ("portmap", PluginTestNode.Ours("portmap")),
            ("host-local", PluginTestNode.Reference("host-local")));
        using var old = new TestNamespace("swold");
        using var now = new TestNamespace("swnew");
        string iptables = node.Conflist(portmap: true, extraBridgeKeys: ",\"ipMasqBackend\":\"iptables\"")
            .Replace("\"snat\":true", "\"snat\":true,\"backend\":\"iptables\"", StringComparison.Ordinal);
        string nftables = node.Conflist(portmap: true, extraBridgeKeys: ",\"ipMasqBackend\":\"nftables\"")
            .Replace("\"snat\":true", "\"snat\":true,\"backend\":\"nftables\"", StringComparison.Ordinal);
        using var oldServer = new NetfilterTestSupport.PeerEchoServer(old, 80);
        using var newServer = new NetfilterTestSupport.PeerEchoServer(now, 80);
        bool oldDeleted = false, newDeleted = false;
        try
        {
            CniResult a = await node.AddAsync(iptables, old, "ctr-sw-old", capabilityArgs: Ports(8181));
            string chainA = CniNames.PortMapChain("brtest", "ctr-sw-old");
            Assert.Contains(chainA, PluginTestNode.Nat(), StringComparison.Ordinal);
            Assert.Contains(CniNames.ContainerChain("brtest", "ctr-sw-old"), PluginTestNode.Nat(), StringComparison.Ordinal);

            // The config now says nftables; the next pod gets the native tables, the first keeps its chains.
            CniResult b = await node.AddAsync(nftables, now, "ctr-sw-new", capabilityArgs: Ports(8282));
            string hostports = Shell.Check("nft", ["list", "table", "ip", NftablesPortMap.Table]);
            Assert.Contains($"tcp dport 8282 dnat to {b.IPs[0].Address.Address}:80 comment \"ctr-sw-new\"", hostports, StringComparison.Ordinal);
            Assert.Contains(NftablesIPMasquerade.Comment("brtest", "eth0", "ctr-sw-new"),
                Shell.Check("nft", ["list", "table", "inet", NftablesIPMasquerade.Table]), StringComparison.Ordinal);
            Assert.DoesNotContain(CniNames.PortMapChain("brtest", "ctr-sw-new"), PluginTestNode.Nat(), StringComparison.Ordinal);

            // Both layouts forward at once: the node reaches each pod through its host port.
            Assert.Equal("peer=10.77.0.1", NetfilterTestSupport.Connect(null, "10.77.0.1", 8181));
            Assert.Equal("peer=10.77.0.1", NetfilterTestSupport.Connect(null, "10.77.0.1", 8282));

            // DEL of the old pod under the new config removes its iptables-layout rules.
            await node.DelAsync(nftables, old.Path, "ctr-sw-old", capabilityArgs: Ports(8181));
            oldDeleted = true;
            string nat = PluginTestNode.Nat();
            Assert.DoesNotContain(chainA, nat, StringComparison.Ordinal);
            Assert.DoesNotContain(CniNames.ContainerChain("brtest", "ctr-sw-old"), nat, StringComparison.Ordinal);
            Assert.Null(NetfilterTestSupport.Connect(null, "10.77.0.1", 8181));
            Assert.Equal("peer=10.77.0.1", NetfilterTestSupport.Connect(null, "10.77.0.1", 8282));

            // And switching back: DEL of the new pod under the old config removes its native rules.
            await node.DelAsync(iptables, now.Path, "ctr-sw-new", capabilityArgs: Ports(8282));
            newDeleted = true;
            Assert.DoesNotContain("ctr-sw-new", Shell.Check("nft", ["list", "table", "ip", NftablesPortMap.Table]), StringComparison.Ordinal);
            Assert.DoesNotContain("ctr-sw-new", Shell.Check("nft", ["list", "table", "inet", NftablesIPMasquerade.Table]), StringComparison.Ordinal);
            Assert.Null(NetfilterTestSupport.Connect(null, "10.77.0.1", 8282));
            Assert.Empty(node.Reservations());
        }
        finally
        {
            if (!oldDeleted)
            {
                await node.DelAsync(iptables, old.Path, "ctr-sw-old", capabilityArgs: Ports(8181));
            }
            if (!newDeleted)
            {
                await node.DelAsync(nftables, now.Path, "ctr-sw-new", capabilityArgs: Ports(8282));
            }
            Shell.Run("nft", ["delete", "table", "ip", NftablesPortMap.Table]);
            Shell.Run("nft", ["delete", "table", "ip6", NftablesPortMap.Table]);
            Shell.Run("nft", ["delete", "table", "inet", NftablesIPMasquerade.Table]);
        }
    }

    [Theory]
    [InlineData("\"backend\":\"nftables\",\"externalSetMarkChain\":\"KUBE-MARK-MASQ\"", "nftables backend was requested but configuration contains iptables-specific options [externalSetMarkChain]")]
    [InlineData("\"backend\":\"nftables\",\"conditionsV4\":[\"-d\",\"10.0.0.1\"]", "nftables backend was requested but configuration contains iptables-specific options [conditionsV4]")]
    [InlineData("\"backend\":\"iptables\",\"conditionsV6\":[\"ip6 daddr fd00::1\"]", "iptables backend was requested but configuration contains nftables-specific options [conditionsV6]")]
    [InlineData("\"backend\":\"ebtables\"", "backend: unrecognized backend \"ebtables\" (iptables or nftables)")]
    [InlineData("\"backend\":\"nftables\",\"conditionsV4\":[\"tcp dport 22\"]", "nftables condition \"tcp\" is not supported")]
    public void PortMap_KeysOfTheOtherBackend_AreRefusedWithCode7(string keys, string message)
    {
        using var node = new PluginTestNode(("portmap", PluginTestNode.Ours("portmap")));
        using var pod = new TestNamespace("swbad");
        string config = $$$"""
            {"cniVersion":"1.0.0","name":"swbad","type":"portmap",{{{keys}}},
             "runtimeConfig":{"portMappings":[{"hostPort":8383,"containerPort":80,"protocol":"tcp"}]},
             "prevResult":{"cniVersion":"1.0.0","interfaces":[{"name":"eth0","sandbox":"{{{pod.Path}}}"}],"ips":[{"address":"10.77.0.9/24","interface":0}]}}
            """;
        string nftBefore = Shell.Check("nft", ["list", "ruleset"]);
        Shell.Output r = node.Exec(PluginTestNode.Ours("portmap"), "ADD", config, "ctr-swbad", pod.Path);
        Assert.Equal(1, r.ExitCode);
        var error = PluginTestNode.ParseError(r.StdOut);
        Assert.Equal(7u, error.GetProperty("code").GetUInt32());
        Assert.Contains(message, error.GetProperty("msg").GetString(), StringComparison.Ordinal);
        Assert.Equal(nftBefore, Shell.Check("nft", ["list", "ruleset"]));
    }

    private static JsonObject Ports(int hostPort) => new()
    {
        ["portMappings"] = new JsonArray(new JsonObject { ["hostPort"] = hostPort, ["containerPort"] = 80, ["protocol"] = "tcp" }),
    };
}
