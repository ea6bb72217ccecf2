using System.Net;
using System.Text.Json;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.Kubelet;
using Cni.Net.Spec;
using Cni.Net.TrafficControl;
using Cni.Net.Conventions;

namespace Cni.Net.IntegrationTests.Kubelet;

/// <summary>kubenet against real plugins: the reference ones, and ours (artifacts/cni/bin) first where published.</summary>
public class KubenetNetworkPluginTests
{
    private static async Task<KubenetNetworkPlugin> InitAsync(KubeletTestNode node, NetworkPluginOptions options)
    {
        var plugin = (KubenetNetworkPlugin)NetworkPlugins.Create("kubenet");
        node.Plugin = plugin;
        await plugin.InitAsync(options, TestContext.Current.CancellationToken);
        return plugin;
    }

    private static IPAddress PodIP(TestNamespace pod)
    {
        JsonElement addr = pod.IpJson("-4", "addr", "show", "dev", "eth0");
        return IPAddress.Parse(addr[0].GetProperty("addr_info")[0].GetProperty("local").GetString()!);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TwoPods_ReachEachOtherAndTheNode_MasqueradeOnlyOutsideNonMasqueradeCidr(bool ours)
    {
        using var node = new KubeletTestNode();
        CancellationToken ct = TestContext.Current.CancellationToken;
        // A peer outside the cluster: 192.168.77.2 (outside 10.0.0.0/8) and 10.200.0.2 (inside).
        TestNamespace peer = node.NewNamespace("peer");
        node.AddVethTo(peer, "cntkpeer0", "eth0");
        Shell.Check("ip", "addr", "add", "192.168.77.1/24", "dev", "cntkpeer0");
        Shell.Check("ip", "addr", "add", "10.200.0.1/24", "dev", "cntkpeer0");
        Shell.Check("ip", "-n", peer.Name, "addr", "add", "192.168.77.2/24", "dev", "eth0");
        Shell.Check("ip", "-n", peer.Name, "addr", "add", "10.200.0.2/24", "dev", "eth0");
        Shell.Check("ip", "-n", peer.Name, "route", "add", "10.99.1.0/24", "via", "10.200.0.1");

        KubenetNetworkPlugin plugin = await InitAsync(node, node.Options("kubenet", ours));
        Assert.True((await plugin.GetStatusAsync(ct)).IsReady);
        (PodSandbox podA, TestNamespace nsA) = node.NewPod("a");
        (PodSandbox podB, TestNamespace nsB) = node.NewPod("b");
        Shell.Check("ip", "-n", nsA.Name, "link", "set", "lo", "down");
        await plugin.SetUpPodAsync(podA, ct);
        await plugin.SetUpPodAsync(podB, ct);

        IPAddress ipA = PodIP(nsA);
        IPAddress ipB = PodIP(nsB);
        Assert.True(IPNetwork.Parse("10.99.1.0/24").Contains(ipA));
        Assert.True(IPNetwork.Parse("10.99.1.0/24").Contains(ipB));
        Assert.Equal([ipA], (await plugin.GetPodNetworkStatusAsync(podA, ct))!.IPs);

        // Both host ends are ports of cbr0, which is the pods' gateway.
        JsonElement ports = Shell.Json("ip", "-j", "link", "show", "master", "cbr0");
        Assert.Equal(2, ports.GetArrayLength());
        JsonElement bridgeAddr = Shell.Json("ip", "-j", "-4", "addr", "show", "dev", "cbr0");
        Assert.Equal("10.99.1.1", bridgeAddr[0].GetProperty("addr_info")[0].GetProperty("local").GetString());

        KubeletTestNode.Ping(nsA, ipB.ToString());
        KubeletTestNode.Ping(nsB, ipA.ToString());
        KubeletTestNode.Ping(nsA, "10.99.1.1");
        KubeletTestNode.Ping(nsA, "192.168.77.1");
        Assert.Contains("UP", nsA.IpJson("link", "show", "lo")[0].GetProperty("flags").EnumerateArray().Select(f => f.GetString()));

        IPEndPoint outside = KubeletTestNode.ConnectAndObserve(peer, new IPEndPoint(IPAddress.Any, 7001), nsA,
            new IPEndPoint(IPAddress.Parse("192.168.77.2"), 7001));
        Assert.Equal(IPAddress.Parse("192.168.77.1"), outside.Address);
        IPEndPoint inside = KubeletTestNode.ConnectAndObserve(peer, new IPEndPoint(IPAddress.Any, 7002), nsA,
            new IPEndPoint(IPAddress.Parse("10.200.0.2"), 7002));
        Assert.Equal(ipA, inside.Address);

        // The kubelet's masquerade rule, once, whatever the number of pods.
        string nat = Shell.Check("iptables-save", "-t", "nat");
        Assert.Single(nat.Split('\n'), l => l.Contains("kubenet: SNAT for outbound traffic from cluster", StringComparison.Ordinal)
            && l.Contains("! -d 10.0.0.0/8", StringComparison.Ordinal) && l.EndsWith("-j MASQUERADE", StringComparison.Ordinal));

        await plugin.TearDownPodAsync(podA, ct);
        await plugin.TearDownPodAsync(podB, ct);
        AssertNothingLeft(node, nsA, podA);
        AssertNothingLeft(node, nsB, podB);
        // Teardown is idempotent.
        await plugin.TearDownPodAsync(podA, ct);
    }

    private static void AssertNothingLeft(KubeletTestNode node, TestNamespace ns, PodSandbox pod)
    {
        Assert.Equal(["lo"], ns.IpJson("link", "show").EnumerateArray().Select(l => l.GetProperty("ifname").GetString()));
        Assert.Equal(0, Shell.Json("ip", "-j", "link", "show", "master", "cbr0").GetArrayLength());
        string results = Path.Combine(node.CacheDir, "results");
        Assert.True(!Directory.Exists(results) || Directory.GetFiles(results).Length == 0,
            "cache entries left: " + (Directory.Exists(results) ? string.Join(", ", Directory.GetFiles(results)) : ""));
        string store = Path.Combine(node.DataDir, "kubenet");
        Assert.DoesNotContain(Directory.Exists(store) ? Directory.GetFiles(store) : [],
            f => File.ReadAllText(f).StartsWith(pod.SandboxId, StringComparison.Ordinal));
        string nat = Shell.Check("iptables-save", "-t", "nat");
        Assert.DoesNotContain(Cni.Net.Conventions.CniNames.PortMapChain("kubenet", pod.SandboxId), nat, StringComparison.Ordinal);
        Assert.DoesNotContain($"id: \"{pod.SandboxId}\"", nat, StringComparison.Ordinal);
        Assert.DoesNotContain(Shell.Json("ip", "-j", "link", "show").EnumerateArray(),
            l => l.GetProperty("ifname").GetString() == IfbNames.ForContainer("kubenet", pod.SandboxId));
    }

    [Fact]
    public async Task Mtu_SmallestActiveNodeInterface_UnlessOverridden()
    {
        using var node = new KubeletTestNode();
        CancellationToken ct = TestContext.Current.CancellationToken;
        TestNamespace peer = node.NewNamespace("mtu");
        node.AddVethTo(peer, "cntkmtu0", "p0", 1500);
        node.AddVethTo(peer, "cntkmtu1", "p1", 1450);
        Shell.Check("ip", "link", "add", "cntkmtu2", "mtu", "1280", "type", "veth", "peer", "name", "p2", "netns", peer.Name);
        try
        {
            // cntkmtu2 is down: it does not count.
            KubenetNetworkPlugin plugin = await InitAsync(node, node.Options("kubenet"));
            Assert.Equal(1450, plugin.Mtu);
            (PodSandbox pod, TestNamespace ns) = node.NewPod("mtu");
            await plugin.SetUpPodAsync(pod, ct);
            Assert.Equal(1450, Shell.Json("ip", "-j", "link", "show", "cbr0")[0].GetProperty("mtu").GetInt32());
            Assert.Equal(1450, ns.IpJson("link", "show", "eth0")[0].GetProperty("mtu").GetInt32());
            await plugin.TearDownPodAsync(pod, ct);
            Shell.Check("ip", "link", "del", "cbr0");

            NetworkPluginOptions options = node.Options("kubenet");
            options.NetworkPluginMtu = 1400;
            KubenetNetworkPlugin overridden = await InitAsync(node, options);
            Assert.Equal(1400, overridden.Mtu);
            await overridden.SetUpPodAsync(pod, ct);
            Assert.Equal(1400, Shell.Json("ip", "-j", "link", "show", "cbr0")[0].GetProperty("mtu").GetInt32());
            Assert.Equal(1400, ns.IpJson("link", "show", "eth0")[0].GetProperty("mtu").GetInt32());
            await overridden.TearDownPodAsync(pod, ct);
        }
        finally
        {
            Shell.Run("ip", ["link", "del", "cntkmtu2"]);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task HostPortAndBandwidth_PortReachableAndTbfAsAnnotated(bool ours)
    {
        using var node = new KubeletTestNode();
        CancellationToken ct = TestContext.Current.CancellationToken;
        TestNamespace client = node.NewNamespace("client");
        node.AddVethTo(client, "cntkcli0", "eth0");
        Shell.Check("ip", "addr", "add", "192.168.78.1/24", "dev", "cntkcli0");
        Shell.Check("ip", "-n", client.Name, "addr", "add", "192.168.78.2/24", "dev", "eth0");

        KubenetNetworkPlugin plugin = await InitAsync(node, node.Options("kubenet", ours));
        Assert.Equal(["bridge", "host-local", "loopback", "portmap", "bandwidth"], plugin.PluginPaths.Keys);
        (PodSandbox pod, TestNamespace ns) = node.NewPod("web");
        pod.PortMappings.Add(new PortMapping { HostPort = 8080, ContainerPort = 80, Protocol = "TCP" });
        pod.Annotations["kubernetes.io/ingress-bandwidth"] = "1M";
        pod.Annotations["kubernetes.io/egress-bandwidth"] = "2M";
        await plugin.SetUpPodAsync(pod, ct);
        IPAddress podIp = PodIP(ns);

        // hostPort: the node's address, port 8080, reaches the pod's port 80.
        IPEndPoint seen = KubeletTestNode.ConnectAndObserve(ns, new IPEndPoint(IPAddress.Any, 80), client,
            new IPEndPoint(IPAddress.Parse("192.168.78.1"), 8080));
        Assert.Equal(IPAddress.Parse("192.168.78.2"), seen.Address);

        // Shaping: ingress (to the pod) as tbf on the host veth, egress as tbf on the ifb fed from the host veth.
        string hostVeth = Shell.Json("ip", "-j", "link", "show", "master", "cbr0")[0].GetProperty("ifname").GetString()!;
        JsonElement ingress = Shell.Json("tc", "-j", "qdisc", "show", "dev", hostVeth, "root");
        Assert.Equal("tbf", ingress[0].GetProperty("kind").GetString());
        Assert.Equal(1_000_000 / 8, ingress[0].GetProperty("options").GetProperty("rate").GetInt64());
        string ifb = IfbNames.ForContainer("kubenet", pod.SandboxId);
        JsonElement egress = Shell.Json("tc", "-j", "qdisc", "show", "dev", ifb, "root");
        Assert.Equal("tbf", egress[0].GetProperty("kind").GetString());
        Assert.Equal(2_000_000 / 8, egress[0].GetProperty("options").GetProperty("rate").GetInt64());
        Assert.Contains(PodIP(ns).ToString(), Shell.Check("iptables-save", "-t", "nat"), StringComparison.Ordinal);
        Assert.Equal(podIp, (await plugin.GetPodNetworkStatusAsync(pod, ct))!.IP);

        await plugin.TearDownPodAsync(pod, ct);
        AssertNothingLeft(node, ns, pod);
        Assert.DoesNotContain(podIp.ToString(), Shell.Check("iptables-save", "-t", "nat"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task LatePodCidr_NotReadyUntilTheEvent_ThenPodsGetAddressesFromIt()
    {
        using var node = new KubeletTestNode();
        CancellationToken ct = TestContext.Current.CancellationToken;
        KubenetNetworkPlugin plugin = await InitAsync(node, node.Options("kubenet", podCidr: null));
        NetworkPluginStatus status = await plugin.GetStatusAsync(ct);
        Assert.False(status.IsReady);
        Assert.Contains("lack of PodCIDR", status.Reason, StringComparison.Ordinal);
        (PodSandbox pod, TestNamespace ns) = node.NewPod("late");
        CniException e = await Assert.ThrowsAsync<CniException>(() => plugin.SetUpPodAsync(pod, ct).AsTask());
        Assert.Equal(CniErrorCode.PluginNotAvailable, e.Code);
        Assert.Equal(["lo"], ns.IpJson("link", "show").EnumerateArray().Select(l => l.GetProperty("ifname").GetString()));

        plugin.OnPodCidrChanged("10.99.7.0/24");
        Assert.True((await plugin.GetStatusAsync(ct)).IsReady);
        // As the kubelet's kubenet: the first CIDR sticks.
        plugin.OnPodCidrChanged("10.99.8.0/24");
        await plugin.SetUpPodAsync(pod, ct);
        Assert.True(IPNetwork.Parse("10.99.7.0/24").Contains(PodIP(ns)));
        await plugin.TearDownPodAsync(pod, ct);
        AssertNothingLeft(node, ns, pod);
    }

    [Fact]
    public async Task Init_RequiredPluginMissing_ReportsEveryMissingOneAtInit()
    {
        using var node = new KubeletTestNode();
        string bin = Path.Combine(node.Root, "bin");
        Directory.CreateDirectory(bin);
        File.CreateSymbolicLink(Path.Combine(bin, "bridge"), "/usr/lib/cni/bridge");
        NetworkPluginOptions options = node.Options("kubenet");
        options.CniBinDirectories.Clear();
        options.CniBinDirectories.Add(bin);
        CniException e = await Assert.ThrowsAsync<CniException>(() => NetworkPlugins.InitAsync(options, TestContext.Current.CancellationToken).AsTask());
        Assert.Equal(CniErrorCode.PluginNotAvailable, e.Code);
        Assert.Contains("[host-local, loopback]", e.Message, StringComparison.Ordinal);
        Assert.Contains(bin, e.Message, StringComparison.Ordinal);
        Assert.Contains(node.EmptyBinDir, e.Message, StringComparison.Ordinal);
    }
}
