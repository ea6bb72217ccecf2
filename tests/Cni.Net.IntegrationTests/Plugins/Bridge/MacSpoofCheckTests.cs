using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.Spec;

namespace Cni.Net.IntegrationTests.Plugins.Bridge;

/// <summary>macspoofchk of our bridge: the nftables layout of the reference plugin, enforced on real frames.</summary>
public class MacSpoofCheckTests
{
    private static string BridgeNat() => Shell.Run("nft", ["list", "table", "bridge", "nat"]).StdOut;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task MacSpoofCheck_DropsForeignSourceMacs_AndDelRemovesTheChains(bool referenceDeletes)
    {
        using var node = new PluginTestNode(("bridge", PluginTestNode.Ours("bridge")), ("host-local", PluginTestNode.Reference("host-local")));
        using var pod = new TestNamespace("brpod");
        string conflist = node.Conflist(ipMasq: false, extraBridgeKeys: ",\"macspoofchk\":true");
        try
        {
            CniResult result = await node.AddAsync(conflist, pod, "ctr-msc-1");
            string mac = result.Interfaces[2].Mac!;
            string table = BridgeNat();
            Assert.Contains($"iifname \"{result.Interfaces[1].Name}\" jump cni-br-iface-ctr-msc-1-eth0 comment \"macspoofchk-ctr-msc-1-eth0\"", table, StringComparison.Ordinal);
            Assert.Contains($"ether saddr {mac} return comment \"macspoofchk-ctr-msc-1-eth0\"", table, StringComparison.Ordinal);
            Assert.Equal(0, pod.Exec("ping", "-c", "1", "-W", "2", "10.77.0.1").ExitCode);

            // Another source MAC: its frames (ARP included) no longer reach the bridge.
            pod.ExecCheck("ip", "link", "set", "eth0", "address", "02:00:00:00:00:99");
            pod.ExecCheck("ip", "neigh", "flush", "all");
            Assert.NotEqual(0, pod.Exec("ping", "-c", "1", "-W", "1", "10.77.0.1").ExitCode);

            if (referenceDeletes)
            {
                File.Delete(Path.Combine(node.BinDirectory, "bridge"));
                File.CreateSymbolicLink(Path.Combine(node.BinDirectory, "bridge"), PluginTestNode.Reference("bridge"));
            }
            await node.DelAsync(conflist, pod.Path, "ctr-msc-1");
            Assert.DoesNotContain("cni-br-iface-ctr-msc-1-eth0", BridgeNat(), StringComparison.Ordinal);
            Assert.DoesNotContain("macspoofchk", BridgeNat(), StringComparison.Ordinal);
        }
        finally
        {
            Shell.Run("nft", ["delete", "table", "bridge", "nat"]);
        }
    }
}
