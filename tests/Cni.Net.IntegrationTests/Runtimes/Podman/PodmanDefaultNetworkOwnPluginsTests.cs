using System.Text.Json;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.IntegrationTests.Plugins.Bridge;

namespace Cni.Net.IntegrationTests.Runtimes.Podman;

/// <summary>
/// podman's default network shape — the conflist <c>podman network create</c> writes: bridge (host-local) → portmap →
/// firewall → tuning, cniVersion 0.4.0 — served by our four plugins alone: artifacts/cni/bin is podman's only plugin
/// dir, so no reference plugin can stand in. Every test of <see cref="PodmanNetworkTests"/> runs on it (ping, the
/// published port from the node, a client and loopback, <c>podman rm</c> leaving nothing), plus the firewall's own rules.
/// </summary>
public sealed class PodmanDefaultNetworkOwnPluginsTests() : PodmanNetworkTests(new PodmanHost(Path.GetDirectoryName(PluginTestNode.Ours("bridge"))!))
{
    private const int HostPort = 18081;

    private protected override (string Network, string Bridge) NewNetwork()
    {
        JsonElement conflist = Host.CreateNetwork(Host.Tag);
        Assert.Equal(["bridge", "portmap", "firewall", "tuning"],
            conflist.GetProperty("plugins").EnumerateArray().Select(p => p.GetProperty("type").GetString()));
        return (Host.Tag, conflist.GetProperty("plugins")[0].GetProperty("bridge").GetString()!);
    }

    [Fact]
    public void Firewall_AdmitsThePublishedContainer_AndRemoveTakesItsRulesAway()
    {
        PodmanHost host = Host;
        (string network, _) = NewNetwork();
        PodmanContainer web = host.RunWebServer("web", network, $"{HostPort}:80");

        // Our firewall's iptables layout: FORWARD → CNI-FORWARD → CNI-ADMIN first, then the container's address both ways.
        string filter = Shell.Check("iptables-save", "-t", "filter");
        Assert.Contains("-A FORWARD -m comment --comment \"CNI firewall plugin rules\" -j CNI-FORWARD", filter, StringComparison.Ordinal);
        Assert.Contains("-A CNI-FORWARD -m comment --comment \"CNI firewall plugin admin overrides\" -j CNI-ADMIN", filter, StringComparison.Ordinal);
        Assert.Contains($"-A CNI-FORWARD -s {web.Address}/32 -j ACCEPT", filter, StringComparison.Ordinal);
        Assert.Contains($"-A CNI-FORWARD -d {web.Address}/32 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", filter, StringComparison.Ordinal);

        // The published port, through our portmap's DNAT and our firewall's FORWARD rules, from a client namespace.
        Shell.Output curl = PodmanHost.Http(PodmanHost.NodeAddress, HostPort, host.Client);
        Assert.True(curl.ExitCode == 0, $"curl failed ({curl.ExitCode}): {curl.StdErr}\n{Shell.Run("iptables-save", []).StdOut}");
        Assert.Equal(PodmanHost.Page("web"), curl.StdOut);

        host.RemoveAndAssertLeftNothing(web);
        Assert.DoesNotContain(web.Address.ToString(), Shell.Check("iptables-save", "-t", "filter"), StringComparison.Ordinal);
        Assert.NotEqual(0, PodmanHost.Http(PodmanHost.NodeAddress, HostPort, host.Client).ExitCode);
    }
}
