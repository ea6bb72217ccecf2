using System.Text.Json;
using System.Text.Json.Nodes;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.IntegrationTests.Netfilter;
using Cni.Net.IntegrationTests.Plugins.Bridge;
using Cni.Net.Spec;

namespace Cni.Net.IntegrationTests.Plugins.Firewall;

/// <summary>Our published firewall (iptables backend) on the real kernel, beside the reference plugins of /usr/lib/cni.</summary>
public class FirewallPluginTests
{
    private static PluginTestNode Node(string firewall = "ours") => new(
        ("bridge", PluginTestNode.Reference("bridge")), ("host-local", PluginTestNode.Reference("host-local")),
        ("firewall", firewall == "ours" ? PluginTestNode.Ours("firewall") : PluginTestNode.Reference("firewall")));

    private static string Conflist(PluginTestNode node, string firewallKeys = "") =>
        $$$"""{"cniVersion":"1.0.0","name":"fwtest","plugins":[{"type":"bridge","bridge":"{{{node.Bridge}}}","isGateway":true,"ipMasq":true,"ipam":{"type":"host-local","dataDir":"{{{node.DataDirectory}}}","ranges":[[{"subnet":"10.80.0.0/24"}]],"routes":[{"dst":"0.0.0.0/0"}]}},{"type":"firewall"{{{firewallKeys}}}}]}""";

    private static string Filter() => NetfilterTestSupport.Save("filter");

    private static string FirewallConfig(string keys, string bridge, string version = "1.0.0", string ip = "10.80.0.9/24") =>
        JsonNode.Parse($"{{\"cniVersion\":\"{version}\",\"name\":\"fwtest\",\"type\":\"firewall\"{keys}," +
            $"\"prevResult\":{{\"cniVersion\":\"{version}\",\"interfaces\":[{{\"name\":\"{bridge}\"}},{{\"name\":\"eth0\",\"sandbox\":\"/run/netns/x\"}}],\"ips\":[{{\"address\":\"{ip}\",\"interface\":1}}]}}}}")!.ToJsonString();

    private static void Ok(Shell.Output r) => Assert.True(r.ExitCode == 0, r.StdOut + r.StdErr);

    [Fact]
    public async Task Chain_ReferenceBridge_OurFirewall_AddCheckDel()
    {
        using PluginTestNode node = Node();
        using var pod = new TestNamespace("fwpod");
        string conflist = Conflist(node);

        CniResult result = await node.AddAsync(conflist, pod, "ctr-fw-1");

        Assert.Equal("10.80.0.2/24", result.IPs[0].Address.ToString());
        string filter = Filter();
        Assert.Contains("-A FORWARD -m comment --comment \"CNI firewall plugin rules\" -j CNI-FORWARD", filter, StringComparison.Ordinal);
        Assert.Contains("-A CNI-FORWARD -m comment --comment \"CNI firewall plugin admin overrides\" -j CNI-ADMIN", filter, StringComparison.Ordinal);
        Assert.Contains("-A CNI-FORWARD -d 10.80.0.2/32 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", filter, StringComparison.Ordinal);
        Assert.Contains("-A CNI-FORWARD -s 10.80.0.2/32 -j ACCEPT", filter, StringComparison.Ordinal);
        Assert.Equal(0, pod.Exec("ping", "-c", "1", "-W", "2", "10.80.0.1").ExitCode);

        await node.CheckAsync(conflist, pod, "ctr-fw-1");
        // CHECK notices a missing rule.
        Shell.Check("iptables-nft", "-D", "CNI-FORWARD", "-s", "10.80.0.2/32", "-j", "ACCEPT");
        CniException e = await Assert.ThrowsAsync<CniException>(() => node.CheckAsync(conflist, pod, "ctr-fw-1").AsTask());
        Assert.Contains("CNI-FORWARD lacks the rule for 10.80.0.2/32", e.Message, StringComparison.Ordinal);

        await node.DelAsync(conflist, pod.Path, "ctr-fw-1");
        filter = Filter();
        Assert.DoesNotContain("10.80.0.2", filter, StringComparison.Ordinal);
        // The chains stay, as the reference leaves them (other pods' rules live there).
        Assert.Contains(":CNI-FORWARD", filter, StringComparison.Ordinal);
        Assert.Empty(PluginTestNode.NodeVeths());
    }

    [Theory]
    [InlineData("")]
    [InlineData(",\"iptablesAdminChainName\":\"MY-ADMIN\"")]
    [InlineData(",\"ingressPolicy\":\"same-bridge\"")]
    public void SameFilterTable_AsTheReferenceFirewall(string keys)
    {
        string Capture(string which)
        {
            using PluginTestNode node = Node(which);
            string binary = which == "ours" ? PluginTestNode.Ours("firewall") : PluginTestNode.Reference("firewall");
            // Two pods, the second ADD twice: the layout, its order and its idempotence all count.
            Ok(node.Exec(binary, "ADD", FirewallConfig(keys, "cni-fw0"), "ctr-fw-a", "/run/netns/x"));
            Ok(node.Exec(binary, "ADD", FirewallConfig(keys, "cni-fw0", ip: "10.80.0.10/24"), "ctr-fw-b", "/run/netns/x"));
            Ok(node.Exec(binary, "ADD", FirewallConfig(keys, "cni-fw0", ip: "10.80.0.10/24"), "ctr-fw-b", "/run/netns/x"));
            string added = Filter();
            Ok(node.Exec(binary, "DEL", FirewallConfig(keys, "cni-fw0"), "ctr-fw-a", "/run/netns/x"));
            return added + "--- after DEL of a\n" + Filter();
        }
        string reference = Capture("reference");
        Assert.Contains("10.80.0.10/32", reference, StringComparison.Ordinal);
        // Reference 1.1.1 comments every isolation rule with its policy; v1.9.1 (ours) comments the rules that both
        // policies share "(ingressPolicy: same-bridge|isolated)". Rules, order and chains are otherwise the same.
        Assert.Equal(reference, Capture("ours").Replace("same-bridge|isolated", "same-bridge", StringComparison.Ordinal));
    }

    [Fact]
    public async Task IsolatedPolicy_DropsTrafficBetweenPortsOfTheBridge_OpenPolicyDoesNot()
    {
        // v1.9.1's "isolated" (reference 1.1.1 does not know it): two pods on one bridge cannot reach each other.
        foreach ((string keys, bool reachable) in new[] { ("", true), (",\"ingressPolicy\":\"isolated\"", false) })
        {
            using PluginTestNode node = Node();
            using var a = new TestNamespace("fwa");
            using var b = new TestNamespace("fwb");
            string conflist = Conflist(node, keys);
            await node.AddAsync(conflist, a, "ctr-fw-a");
            CniResult rb = await node.AddAsync(conflist, b, "ctr-fw-b");
            // Bridged traffic passes FORWARD only with br_netfilter's call-iptables, as on a node with podman/kubelet.
            Assert.Equal("1", File.ReadAllText("/proc/sys/net/bridge/bridge-nf-call-iptables").Trim());
            Assert.Equal(reachable, a.Exec("ping", "-c", "1", "-W", "1", rb.IPs[0].Address.Address.ToString()).ExitCode == 0);
            Assert.Equal(0, a.Exec("ping", "-c", "1", "-W", "2", "10.80.0.1").ExitCode);
            await node.DelAsync(conflist, a.Path, "ctr-fw-a");
            await node.DelAsync(conflist, b.Path, "ctr-fw-b");
        }
    }

    [Theory]
    [InlineData("reference", "ours")]
    [InlineData("ours", "reference")]
    public void MixedPlugins_OneAdds_TheOtherChecksAndDeletes(string adder, string deleter)
    {
        using PluginTestNode node = Node();
        string Binary(string which) => which == "ours" ? PluginTestNode.Ours("firewall") : PluginTestNode.Reference("firewall");
        string config = FirewallConfig("", "cni-fw0");
        Ok(node.Exec(Binary(adder), "ADD", config, "ctr-fw-m", "/run/netns/x"));
        Ok(node.Exec(Binary(deleter), "CHECK", config, "ctr-fw-m", "/run/netns/x"));
        Ok(node.Exec(Binary(deleter), "DEL", config, "ctr-fw-m", "/run/netns/x"));
        Assert.DoesNotContain("10.80.0.9", Filter(), StringComparison.Ordinal);
        Assert.NotEqual(0, node.Exec(Binary(deleter), "CHECK", config, "ctr-fw-m", "/run/netns/x").ExitCode);
    }

    [Fact]
    public void Version_StartsAt040_AsTheReference()
    {
        using PluginTestNode node = Node();
        Shell.Output r = node.Exec(PluginTestNode.Ours("firewall"), "VERSION", "{\"cniVersion\":\"1.1.0\"}", "", null);
        Ok(r);
        using JsonDocument doc = JsonDocument.Parse(r.StdOut);
        string[] versions = [.. doc.RootElement.GetProperty("supportedVersions").EnumerateArray().Select(v => v.GetString()!)];
        Assert.Equal("0.4.0", versions[0]);
        Assert.Contains("1.1.0", versions);
        Assert.DoesNotContain("0.3.1", versions);
    }

    [Theory]
    [InlineData(",\"backend\":\"firewalld\"", true, 7, "firewalld not available")]
    [InlineData(",\"ingressPolicy\":\"wide-open\"", true, 7, "unknown ingress policy")]
    [InlineData("", false, 7, "missing prevResult")]
    public void BadInput_IsRefusedWithItsCode_AndTouchesNoTable(string keys, bool prev, uint code, string messagePart)
    {
        using PluginTestNode node = Node();
        string config = prev ? FirewallConfig(keys, "cni-fw0") : $"{{\"cniVersion\":\"1.0.0\",\"name\":\"fwtest\",\"type\":\"firewall\"{keys}}}";
        string before = Filter();
        Shell.Output r = node.Exec(PluginTestNode.Ours("firewall"), "ADD", config, "ctr-fw-bad", "/run/netns/x");
        Assert.Equal(1, r.ExitCode);
        JsonElement error = PluginTestNode.ParseError(r.StdOut);
        Assert.Equal(code, error.GetProperty("code").GetUInt32());
        Assert.Contains(messagePart, error.GetProperty("msg").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, Filter());
    }
}
