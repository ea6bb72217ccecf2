using System.Text.Json;
using Cni.Net.IntegrationTests.Plugins.Bridge;

namespace Cni.Net.IntegrationTests.Runtimes.Podman;

/// <summary>
/// podman on the conflist it writes itself (<c>podman network create --subnet</c>, cni backend): bridge (host-local)
/// → portmap → firewall → tuning, cniVersion 0.4.0. The plugin dirs are artifacts/cni/bin first and /usr/lib/cni
/// second: ours serve every plugin eng/publish.sh published (now all four) and a reference plugin (1.1.1) stands in
/// for any that is missing. <see cref="PodmanDefaultNetworkOwnPluginsTests"/> runs the same shape with ours alone.
/// </summary>
public sealed class PodmanDefaultConflistTests()
    : PodmanNetworkTests(new PodmanHost(Path.GetDirectoryName(PluginTestNode.Ours("bridge"))!, PodmanHost.ReferencePlugins))
{
    private protected override (string Network, string Bridge) NewNetwork()
    {
        JsonElement conflist = Host.CreateNetwork(Host.Tag);
        return (Host.Tag, conflist.GetProperty("plugins")[0].GetProperty("bridge").GetString()!);
    }

    [Fact]
    public void NetworkCreate_WritesBridgePortmapFirewallTuning()
    {
        PodmanHost host = Host;
        JsonElement conflist = host.CreateNetwork(host.Tag);

        Assert.Equal("0.4.0", conflist.GetProperty("cniVersion").GetString());
        Assert.Equal(["bridge", "portmap", "firewall", "tuning"],
            conflist.GetProperty("plugins").EnumerateArray().Select(p => p.GetProperty("type").GetString()));
        JsonElement bridge = conflist.GetProperty("plugins")[0];
        Assert.Equal("host-local", bridge.GetProperty("ipam").GetProperty("type").GetString());
        Assert.Equal(host.Subnet, bridge.GetProperty("ipam").GetProperty("ranges")[0][0].GetProperty("subnet").GetString());
        Assert.True(conflist.GetProperty("plugins")[1].GetProperty("capabilities").GetProperty("portMappings").GetBoolean());
    }
}
