using System.Net;
using System.Text;
using Cni.Net.Kubelet;
using Cni.Net.Spec;

namespace Cni.Net.Tests.Kubelet;

public class KubenetConfigTests
{
    [Fact]
    public void Build_FullChain_KubeletShapeWithPortMapAndBandwidth()
    {
        NetworkConfigList list = KubenetConfig.Build(CniVersion.V1_0_0, [IPNetwork.Parse("10.244.1.0/24")], 1450,
            HairpinMode.HairpinVeth, "/tmp/data", withPortMap: true, withBandwidth: true);
        string expected = """
            {
              "cniVersion": "1.0.0",
              "name": "kubenet",
              "plugins": [
                {
                  "type": "bridge",
                  "bridge": "cbr0",
                  "mtu": 1450,
                  "addIf": "eth0",
                  "isGateway": true,
                  "ipMasq": false,
                  "hairpinMode": true,
                  "ipam": {
                    "type": "host-local",
                    "ranges": [
                      [
                        {
                          "subnet": "10.244.1.0/24"
                        }
                      ]
                    ],
                    "routes": [
                      {
                        "dst": "0.0.0.0/0"
                      }
                    ],
                    "dataDir": "/tmp/data"
                  }
                },
                {
                  "type": "portmap",
                  "capabilities": {
                    "portMappings": true
                  }
                },
                {
                  "type": "bandwidth",
                  "capabilities": {
                    "bandwidth": true
                  }
                }
              ]
            }
            """;
        Assert.Equal(expected.ReplaceLineEndings("\n"), Encoding.UTF8.GetString(list.Bytes.Span).ReplaceLineEndings("\n"));
        Assert.Equal("kubenet", list.Name);
        Assert.Equal(["bridge", "portmap", "bandwidth"], list.Plugins.Select(p => p.Type));
        Assert.True(list.Plugins[1].Capabilities["portMappings"]);
        Assert.True(list.Plugins[2].Capabilities["bandwidth"]);
    }

    [Fact]
    public void Build_PromiscuousBridgeNoExtras_OnlyBridgeWithPromiscMode()
    {
        NetworkConfigList list = KubenetConfig.Build(CniVersion.V0_4_0, [IPNetwork.Parse("10.244.1.0/24")], 9001,
            HairpinMode.PromiscuousBridge, null, withPortMap: false, withBandwidth: false);
        PluginConfig bridge = Assert.Single(list.Plugins);
        Assert.Equal(CniVersion.V0_4_0, list.CniVersion);
        Assert.False(bridge.Json["hairpinMode"]!.GetValue<bool>());
        Assert.True(bridge.Json["promiscMode"]!.GetValue<bool>());
        Assert.Equal(9001, bridge.Json["mtu"]!.GetValue<int>());
        Assert.False(bridge.Json["ipam"]!.AsObject().ContainsKey("dataDir"));
    }

    [Fact]
    public void Build_HairpinNone_NeitherHairpinNorPromisc()
    {
        PluginConfig bridge = KubenetConfig.Build(CniVersion.V1_0_0, [IPNetwork.Parse("10.244.1.0/24")], 1500,
            HairpinMode.None, null, false, false).Plugins[0];
        Assert.False(bridge.Json["hairpinMode"]!.GetValue<bool>());
        Assert.False(bridge.Json.ContainsKey("promiscMode"));
    }

    [Fact]
    public void Build_DualStack_OneRangeSetAndDefaultRoutePerFamily()
    {
        PluginConfig bridge = KubenetConfig.Build(CniVersion.V1_0_0,
            [IPNetwork.Parse("10.244.1.0/24"), IPNetwork.Parse("fd00:1::/64")], 1500, HairpinMode.None, null, false, false).Plugins[0];
        Assert.Equal("""[[{"subnet":"10.244.1.0/24"}],[{"subnet":"fd00:1::/64"}]]""", bridge.Json["ipam"]!["ranges"]!.ToJsonString());
        Assert.Equal("""[{"dst":"0.0.0.0/0"},{"dst":"::/0"}]""", bridge.Json["ipam"]!["routes"]!.ToJsonString());
    }

    [Fact]
    public void Build_NoCidr_ArgumentException() =>
        Assert.Throws<ArgumentException>(() => KubenetConfig.Build(CniVersion.V1_0_0, [], 1500, HairpinMode.None, null, false, false));

    [Fact]
    public void MasqueradeRule_RendersTheKubeletRule()
    {
        NetfilterRuleText(KubenetNetworkPlugin.MasqueradeRule(IPNetwork.Parse("10.0.0.0/8")), out string text);
        Assert.Contains("! -d 10.0.0.0/8", text, StringComparison.Ordinal);
        Assert.Contains("-m comment --comment \"kubenet: SNAT for outbound traffic from cluster\"", text, StringComparison.Ordinal);
        Assert.Contains("-m addrtype ! --dst-type LOCAL", text, StringComparison.Ordinal);
        Assert.EndsWith("-j MASQUERADE", text, StringComparison.Ordinal);
        Assert.DoesNotContain("-s ", text, StringComparison.Ordinal);
    }

    private static void NetfilterRuleText(Cni.Net.Netfilter.NetfilterRule rule, out string text) =>
        text = Cni.Net.Netfilter.Iptables.IptablesRuleFormatter.FormatSpec(rule);
}
