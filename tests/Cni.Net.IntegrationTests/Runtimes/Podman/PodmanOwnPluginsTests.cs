using System.Globalization;
using System.Text.Json;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.IntegrationTests.Plugins.Bridge;
using Cni.Net.TrafficControl;
using Cni.Net.Conventions;

namespace Cni.Net.IntegrationTests.Runtimes.Podman;

/// <summary>
/// podman on a conflist of our plugins only — bridge (host-local, isGateway, ipMasq, hairpin) → portmap → bandwidth,
/// cniVersion 1.0.0 — with artifacts/cni/bin as its only plugin dir, so no reference plugin can stand in.
/// </summary>
public sealed class PodmanOwnPluginsTests() : PodmanNetworkTests(new PodmanHost(Path.GetDirectoryName(PluginTestNode.Ours("bridge"))!))
{
    // bits per second and bits, as in the conflist; tc reports bytes per second.
    private const ulong IngressRate = 8_000_000, IngressBurst = 800_000, EgressRate = 16_000_000, EgressBurst = 1_600_000;

    private protected override (string Network, string Bridge) NewNetwork()
    {
        PodmanHost host = Host;
        host.AddConflist(host.Tag, host.Tag, string.Create(CultureInfo.InvariantCulture, $$$"""
            {"cniVersion":"1.0.0","name":"{{{host.Tag}}}","plugins":[
              {"type":"bridge","bridge":"{{{host.Tag}}}","isGateway":true,"ipMasq":true,"hairpinMode":true,
               "ipam":{"type":"host-local","ranges":[[{"subnet":"{{{host.Subnet}}}"}]],"routes":[{"dst":"0.0.0.0/0"}]}},
              {"type":"portmap","capabilities":{"portMappings":true}},
              {"type":"bandwidth","ingressRate":{{{IngressRate}}},"ingressBurst":{{{IngressBurst}}},
               "egressRate":{{{EgressRate}}},"egressBurst":{{{EgressBurst}}}}]}
            """));
        return (host.Tag, host.Tag);
    }

    [Fact]
    public void Bandwidth_FromTheConflist_ShapesTheContainerBothWays()
    {
        PodmanHost host = Host;
        (string network, _) = NewNetwork();
        PodmanContainer c = host.Run("bw", network, null, "sleep", "1000");

        // Toward the container: tbf at the root of its node-side veth.
        Assert.Equal(IngressRate / 8, RootTbfRate(c.HostVeth));
        // From the container: the veth's ingress redirected to the container's ifb, tbf at the ifb's root.
        string ifb = IfbNames.ForContainer(network, c.Id);
        Assert.Equal(EgressRate / 8, RootTbfRate(ifb));
        JsonElement[] actions = Shell.Json("tc", "-j", "filter", "show", "dev", c.HostVeth, "parent", "ffff:").EnumerateArray()
            .Where(f => f.TryGetProperty("options", out JsonElement o) && o.TryGetProperty("actions", out _))
            .SelectMany(f => f.GetProperty("options").GetProperty("actions").EnumerateArray()).ToArray();
        Assert.Contains(actions, a => a.GetProperty("kind").GetString() == "mirred" && a.GetProperty("to_dev").GetString() == ifb);

        host.RemoveAndAssertLeftNothing(c);
    }

    private static ulong RootTbfRate(string device)
    {
        JsonElement tbf = Shell.Json("tc", "-j", "qdisc", "show", "dev", device).EnumerateArray()
            .Single(q => q.GetProperty("kind").GetString() == "tbf");
        Assert.True(tbf.TryGetProperty("root", out JsonElement root) && root.GetBoolean(), $"the tbf on {device} is not at the root");
        return tbf.GetProperty("options").GetProperty("rate").GetUInt64();
    }
}
