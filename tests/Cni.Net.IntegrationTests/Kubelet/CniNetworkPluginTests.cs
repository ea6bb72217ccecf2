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

    /// <summary>The seed's conflist: host-local on "usePodCidr", the range handed over as the ipRanges capability.</summary>
    private static string PodCidrList(string ipam, string dataDir, bool declareIpRanges) => $$$"""
        {"cniVersion":"1.0.0","name":"net-podcidr","plugins":[
          {"type":"bridge","bridge":"cntbrp","isGateway":true{{{(declareIpRanges ? ""","capabilities":{"ipRanges":true}""" : "")}}},
           "ipam":{"type":"host-local",{{{ipam}}},"dataDir":"{{{dataDir}}}"}}]}
        """;

    [Theory]
    [InlineData("\"subnet\":\"usePodCidr\"")]
    [InlineData("\"ranges\":[[{\"subnet\":\"usePodCidr\"}]]")]
    public async Task UsePodCidr_OurHostLocal_PodAddressFromTheNodesPodCidr(string ipam)
    {
        Assert.True(KubeletTestNode.OurPluginDir() is not null, "our plugins are missing: run eng/publish.sh (eng/test.sh does) first");
        using var node = new KubeletTestNode();
        CancellationToken ct = TestContext.Current.CancellationToken;
        File.WriteAllText(Path.Combine(node.ConfDir, "10-podcidr.conflist"), PodCidrList(ipam, node.DataDir, declareIpRanges: true));
        INetworkPlugin plugin = await NetworkPlugins.InitAsync(node.Options("cni", ours: true, podCidr: "10.98.44.0/24"), ct);
        node.Plugin = plugin;
        Assert.True((await plugin.GetStatusAsync(ct)).IsReady);

        (PodSandbox pod, TestNamespace ns) = node.NewPod("podcidr");
        await plugin.SetUpPodAsync(pod, ct);
        JsonElement eth0 = ns.IpJson("-4", "addr", "show", "dev", "eth0");
        JsonElement info = eth0[0].GetProperty("addr_info")[0];
        var ip = IPAddress.Parse(info.GetProperty("local").GetString()!);
        Assert.True(IPNetwork.Parse("10.98.44.0/24").Contains(ip), $"{ip} is not in the pod CIDR");
        Assert.Equal(24, info.GetProperty("prefixlen").GetInt32());
        Assert.Equal("10.98.44.1", Shell.Json("ip", "-j", "-4", "addr", "show", "dev", "cntbrp")[0].GetProperty("addr_info")[0].GetProperty("local").GetString());
        Assert.Contains(Directory.GetFiles(Path.Combine(node.DataDir, "net-podcidr")), f => Path.GetFileName(f) == ip.ToString());
        KubeletTestNode.Ping(ns, "10.98.44.1");

        await plugin.TearDownPodAsync(pod, ct);
        Assert.Equal(["lo"], ns.IpJson("link", "show").EnumerateArray().Select(l => l.GetProperty("ifname").GetString()));
        Assert.DoesNotContain(Directory.GetFiles(Path.Combine(node.DataDir, "net-podcidr")), f => Path.GetFileName(f) == ip.ToString());
    }

    [Fact]
    public async Task UsePodCidr_NoPodCidr_KubeletRefusesThenHostLocalAnswersCode7()
    {
        Assert.True(KubeletTestNode.OurPluginDir() is not null, "our plugins are missing: run eng/publish.sh (eng/test.sh does) first");
        using var node = new KubeletTestNode();
        CancellationToken ct = TestContext.Current.CancellationToken;
        string conf = Path.Combine(node.ConfDir, "10-podcidr.conflist");
        File.WriteAllText(conf, PodCidrList("\"subnet\":\"usePodCidr\"", node.DataDir, declareIpRanges: true));
        INetworkPlugin plugin = await NetworkPlugins.InitAsync(node.Options("cni", ours: true, podCidr: null), ct);
        node.Plugin = plugin;
        (PodSandbox pod, TestNamespace ns) = node.NewPod("nocidr");

        // The network wants ipRanges and the node has no pod CIDR: not ready, as the kubelet's checkInitialized.
        NetworkPluginStatus status = await plugin.GetStatusAsync(ct);
        Assert.False(status.IsReady);
        Assert.Equal("cni config needs ipRanges but no PodCIDR set", status.Reason);
        CniException refused = await Assert.ThrowsAsync<CniException>(() => plugin.SetUpPodAsync(pod, ct).AsTask());
        Assert.Equal(CniErrorCode.PluginNotAvailable, refused.Code);

        // A config that forgets to declare the capability: host-local gets no range and says so (code 7); the failed
        // ADD is undone.
        File.WriteAllText(conf, PodCidrList("\"subnet\":\"usePodCidr\"", node.DataDir, declareIpRanges: false));
        Assert.True((await plugin.GetStatusAsync(ct)).IsReady);
        CniException e = await Assert.ThrowsAsync<CniException>(() => plugin.SetUpPodAsync(pod, ct).AsTask());
        Assert.Equal(CniErrorCode.InvalidNetworkConfig, e.Code);
        Assert.Contains("usePodCidr", e.Message, StringComparison.Ordinal);
        Assert.Contains("runtimeConfig.ipRanges", e.Message, StringComparison.Ordinal);
        Assert.Equal(["lo"], ns.IpJson("link", "show").EnumerateArray().Select(l => l.GetProperty("ifname").GetString()));
        string results = Path.Combine(node.CacheDir, "results");
        Assert.True(!Directory.Exists(results) || !Directory.GetFiles(results).Any(f => f.Contains("net-podcidr", StringComparison.Ordinal)));
    }
}
