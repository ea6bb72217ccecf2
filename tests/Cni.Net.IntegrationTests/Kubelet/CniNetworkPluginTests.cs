using System.Net;
using System.Text.Json;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.Kubelet;
using Cni.Net.Spec;

namespace Cni.Net.IntegrationTests.Kubelet;

public class CniNetworkPluginTests
{
    private static string BridgeList(string name, string bridge, string subnet, string dataDir, string type = "bridge") => $$$"""
        {"cniVersion":"0.4.0","name":"{{{name}}}","plugins":[
          {"type":"{{{type}}}","bridge":"{{{bridge}}}","isGateway":true,
           "ipam":{"type":"host-local","subnet":"{{{subnet}}}","dataDir":"{{{dataDir}}}"}}]}
        """;

    [Fact]
    public async Task ConfDir_NotReadyWithoutConfig_ThenFirstValidInOrder_PickedUpLater()
    {
        using var node = new KubeletTestNode();
        CancellationToken ct = TestContext.Current.CancellationToken;
        INetworkPlugin plugin = await NetworkPlugins.InitAsync(node.Options("cni"), ct);
        node.Plugin = plugin;

        NetworkPluginStatus status = await plugin.GetStatusAsync(ct);
        Assert.False(status.IsReady);
        Assert.Contains("no valid networks found in " + node.ConfDir, status.Reason, StringComparison.Ordinal);
        (PodSandbox pod, TestNamespace ns) = node.NewPod("c");
        CniException notReady = await Assert.ThrowsAsync<CniException>(() => plugin.SetUpPodAsync(pod, ct).AsTask());
        Assert.Equal(CniErrorCode.PluginNotAvailable, notReady.Code);

        // Files that are not usable: garbage, and a network whose plugin is not installed. Neither makes it ready.
        File.WriteAllText(Path.Combine(node.ConfDir, "00-garbage.conflist"), "{not json");
        File.WriteAllText(Path.Combine(node.ConfDir, "05-missing.conflist"), BridgeList("net-missing", "cntbrm", "10.98.9.0/24", node.DataDir, "no-such-plugin"));
        status = await plugin.GetStatusAsync(ct);
        Assert.False(status.IsReady);
        Assert.Contains("00-garbage.conflist", status.Reason, StringComparison.Ordinal);
        Assert.Contains("no-such-plugin", status.Reason, StringComparison.Ordinal);

        // Dropped in later, in reverse name order: 10-a sorts first and wins.
        File.WriteAllText(Path.Combine(node.ConfDir, "20-b.conflist"), BridgeList("net-b", "cntbrb", "10.98.2.0/24", node.DataDir));
        File.WriteAllText(Path.Combine(node.ConfDir, "10-a.conflist"), BridgeList("net-a", "cntbra", "10.98.1.0/24", node.DataDir));
        Assert.True((await plugin.GetStatusAsync(ct)).IsReady);

        Shell.Check("ip", "-n", ns.Name, "link", "set", "lo", "down");
        await plugin.SetUpPodAsync(pod, ct);
        JsonElement eth0 = ns.IpJson("-4", "addr", "show", "dev", "eth0");
        var ip = IPAddress.Parse(eth0[0].GetProperty("addr_info")[0].GetProperty("local").GetString()!);
        Assert.True(IPNetwork.Parse("10.98.1.0/24").Contains(ip));
        Assert.Contains("UP", ns.IpJson("link", "show", "lo")[0].GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal(1, Shell.Json("ip", "-j", "link", "show", "master", "cntbra").GetArrayLength());
        Assert.Equal([ip], (await plugin.GetPodNetworkStatusAsync(pod, ct))!.IPs);

        // Without the cache entry the address is read from the pod's namespace.
        string results = Path.Combine(node.CacheDir, "results");
        Assert.Contains(Directory.GetFiles(results), f => Path.GetFileName(f) == $"net-a-{pod.SandboxId}-eth0");
        string saved = Path.Combine(node.Root, "saved-entry");
        File.Move(Path.Combine(results, $"net-a-{pod.SandboxId}-eth0"), saved);
        Assert.Equal([ip], (await plugin.GetPodNetworkStatusAsync(pod, ct))!.IPs);
        File.Move(saved, Path.Combine(results, $"net-a-{pod.SandboxId}-eth0"));

        // A config sorting earlier appears: the running pod is still torn down from the network it joined.
        File.WriteAllText(Path.Combine(node.ConfDir, "01-c.conflist"), BridgeList("net-c", "cntbrc", "10.98.3.0/24", node.DataDir));
        await plugin.TearDownPodAsync(pod, ct);
        Assert.Equal(["lo"], ns.IpJson("link", "show").EnumerateArray().Select(l => l.GetProperty("ifname").GetString()));
        Assert.Equal([], Directory.GetFiles(results).Select(Path.GetFileName));
        Assert.DoesNotContain(Directory.GetFiles(Path.Combine(node.DataDir, "net-a")), f => File.ReadAllText(f).StartsWith(pod.SandboxId, StringComparison.Ordinal));
        Assert.Null(await plugin.GetPodNetworkStatusAsync(pod, ct));
    }
}
