using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Cni.Net.IntegrationTests.Infrastructure;

namespace Cni.Net.IntegrationTests.Cri;

/// <summary>
/// containerd's CRI plugin driving our five plugins end to end: the test plays the kubelet over CRI v1
/// (RunPodSandbox with hostPorts and bandwidth annotations, PodSandboxStatus, StopPodSandbox twice,
/// RemovePodSandbox) against a private containerd whose conflist is bridge(host-local) → portmap → bandwidth,
/// in CNI 0.4.0 and 1.0.0. What is asserted is what the pods get: addresses, packets that cross, tc state, and
/// that nothing of the pods is left on the node afterwards.
/// </summary>
public sealed partial class ContainerdCriTests
{
    public static TheoryData<string> Versions => new() { "0.4.0", "1.0.0" };

    [Theory]
    [MemberData(nameof(Versions))]
    public void RunPodSandbox_PodGetsAddressInRange_WithLoopbackUp(string cniVersion)
    {
        using var node = new ContainerdNode(cniVersion);
        CriPod pod = node.RunPod("solo");

        Assert.True(InSubnet(pod.Address), $"pod address {pod.Address} is not in {ContainerdNode.Subnet}");
        Assert.NotEqual(ContainerdNode.Gateway, pod.Address);
        JsonElement eth0 = Shell.Json(pod.Enter[0], [.. pod.Enter[1..], "ip", "-j", "addr", "show", "eth0"])[0];
        Assert.Contains(eth0.GetProperty("addr_info").EnumerateArray(), a => a.GetProperty("local").GetString() == pod.Address);
        JsonElement lo = Shell.Json(pod.Enter[0], [.. pod.Enter[1..], "ip", "-j", "addr", "show", "lo"])[0];
        Assert.Contains("UP", lo.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        Assert.Contains(lo.GetProperty("addr_info").EnumerateArray(), a => a.GetProperty("local").GetString() == "127.0.0.1");
        Assert.True(pod.Exec("ping", "-c", "1", "-W", "2", "127.0.0.1").ExitCode == 0, "ping over the pod's lo failed");
        // The node reaches the pod over the bridge (the gateway address is the node's).
        Assert.True(node.Node.Exec("ping", "-c", "1", "-W", "2", pod.Address).ExitCode == 0, "node cannot ping the pod");

        node.StopAndRemove(pod);
        AssertNothingLeft(node, [pod]);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void TwoPods_PingEachOther(string cniVersion)
    {
        using var node = new ContainerdNode(cniVersion);
        CriPod a = node.RunPod("ping-a");
        CriPod b = node.RunPod("ping-b");

        Assert.NotEqual(a.Address, b.Address);
        Assert.True(a.Ping(b.Address), $"{a.Name} cannot ping {b.Address}");
        Assert.True(b.Ping(a.Address), $"{b.Name} cannot ping {a.Address}");

        node.StopAndRemove(a);
        node.StopAndRemove(b);
        AssertNothingLeft(node, [a, b]);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void ContainerdRestart_KeepsTheRunningPod_AndNetworksTheNext(string cniVersion)
    {
        using var node = new ContainerdNode(cniVersion);
        CriPod first = node.RunPod("before");

        node.Restart();

        // containerd recovers the sandbox from its state: same pause process, same address, still reachable.
        CriPod recovered = node.Status(first.Id, first.Name);
        Assert.Equal(first.Address, recovered.Address);
        Assert.Equal(first.Pid, recovered.Pid);
        Assert.True(node.Node.Exec("ping", "-c", "1", "-W", "2", first.Address).ExitCode == 0, "the first pod is unreachable after the restart");
        CriPod second = node.RunPod("after");
        Assert.NotEqual(first.Address, second.Address);
        Assert.True(second.Ping(first.Address), "the pod made after the restart cannot ping the first");
        Assert.True(first.Ping(second.Address), "the first pod cannot ping the pod made after the restart");

        node.StopAndRemove(first);
        node.StopAndRemove(second);
        AssertNothingLeft(node, [first, second]);
    }

    /// <summary>
    /// After StopPodSandbox and RemovePodSandbox: no veth or ifb (only lo, the node's link and the bridge, which the
    /// bridge plugin keeps by design), no tbf or ingress qdisc, no per-pod chain or rule naming a pod (the top-level
    /// CNI-HOSTPORT-* chains stay, as the reference leaves them), no host-local reservation, no libcni cache entry,
    /// no netns file.
    /// </summary>
    private static void AssertNothingLeft(ContainerdNode node, IReadOnlyList<CriPod> pods)
    {
        string[] links = node.Node.IpJson("link", "show").EnumerateArray().Select(l => l.GetProperty("ifname").GetString()!).Order().ToArray();
        Assert.Equal(new[] { ContainerdNode.Bridge, ContainerdNode.NodeLink, "lo" }.Order(), links);

        string[] qdiscKinds = Shell.Json("tc", "-j", "-n", node.Node.Name, "qdisc", "show").EnumerateArray()
            .Select(q => q.GetProperty("kind").GetString()!).ToArray();
        Assert.DoesNotContain("tbf", qdiscKinds);
        Assert.DoesNotContain("ingress", qdiscKinds);

        string ruleset = node.Node.ExecCheck("nft", "list", "ruleset");
        Assert.DoesNotMatch(PerPodChain(), ruleset);
        foreach (CriPod pod in pods)
        {
            Assert.DoesNotContain(pod.Address, ruleset, StringComparison.Ordinal);
            Assert.DoesNotContain(pod.Id, ruleset, StringComparison.Ordinal);
        }

        string store = Path.Combine(node.VarLibCni, "networks", ContainerdNode.Network);
        string[] reserved = Directory.Exists(store)
            ? Directory.GetFiles(store).Select(f => Path.GetFileName(f)).Where(f => f != "lock" && !f.StartsWith("last_reserved_ip.", StringComparison.Ordinal)).ToArray()
            : [];
        Assert.Empty(reserved);
        string results = Path.Combine(node.VarLibCni, "results");
        Assert.Empty(Directory.Exists(results) ? Directory.GetFiles(results) : []);
        Assert.Empty(node.NetnsFiles());
    }

    private static bool InSubnet(string address)
    {
        IPNetwork subnet = IPNetwork.Parse(ContainerdNode.Subnet);
        return IPAddress.TryParse(address, out IPAddress? ip) && subnet.Contains(ip);
    }

    // Per-container chains of bridge's ipMasq (CNI-<hash>) and portmap (CNI-DN-<hash>); CNI-HOSTPORT-* are top-level.
    [GeneratedRegex(@"chain CNI-(DN-)?[0-9a-f]{8,}")]
    private static partial Regex PerPodChain();
}
