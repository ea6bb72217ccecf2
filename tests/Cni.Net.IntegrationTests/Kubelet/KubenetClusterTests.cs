using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.Kubelet;
using Cni.Net.Spec;

namespace Cni.Net.IntegrationTests.Kubelet;

/// <summary>
/// Three kubenet nodes behind a cloud router (<see cref="KubenetCluster"/>), each with its own pod CIDR and the shared
/// non-masquerade CIDR 10.244.0.0/16: pod-to-pod across nodes keeps the pod address, traffic to the internet leaves
/// with the node's address, and a hostPort on one node is reached from another.
/// </summary>
public class KubenetClusterTests
{
    private static IPAddress PodIP(TestNamespace pod)
    {
        JsonElement addr = pod.IpJson("-4", "addr", "show", "dev", "eth0");
        return IPAddress.Parse(addr[0].GetProperty("addr_info")[0].GetProperty("local").GetString()!);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ThreeNodes_PodAddressPreservedAcrossNodes_MasqueradedToInternet_HostPortFromAnotherNode(bool ours)
    {
        var watch = Stopwatch.StartNew();
        string? ourPlugins = KubeletTestNode.OurPluginDir();
        Assert.True(!ours || ourPlugins is not null, "our plugins are missing: run eng/publish.sh (eng/test.sh does) first");
        string[] binDirs = ours ? [ourPlugins!, KubeletTestNode.ReferencePlugins] : [KubeletTestNode.ReferencePlugins];
        using var cluster = new KubenetCluster(3, binDirs);
        KubenetCluster.Node node1 = cluster.Nodes[0], node2 = cluster.Nodes[1], node3 = cluster.Nodes[2];

        (PodSandbox client, TestNamespace clientNs) = cluster.NewPod(node1, "client");
        (PodSandbox web, TestNamespace webNs) = cluster.NewPod(node2, "web");
        web.PortMappings.Add(new PortMapping { HostPort = 8080, ContainerPort = 80, Protocol = "tcp" });
        (PodSandbox server, TestNamespace serverNs) = cluster.NewPod(node3, "server");
        cluster.SetUpPod(node1, client);
        cluster.SetUpPod(node2, web);
        cluster.SetUpPod(node3, server);
        IPAddress clientIp = PodIP(clientNs), webIp = PodIP(webNs), serverIp = PodIP(serverNs);
        Assert.True(node1.PodCidr.Contains(clientIp), $"{clientIp} is not in node 1's {node1.PodCidr}");
        Assert.True(node2.PodCidr.Contains(webIp), $"{webIp} is not in node 2's {node2.PodCidr}");
        Assert.True(node3.PodCidr.Contains(serverIp), $"{serverIp} is not in node 3's {node3.PodCidr}");

        // Node 1's pod to node 3's pod through the cloud's routes: inside the non-masquerade CIDR, the server sees the
        // client pod's own address.
        IPEndPoint seen = KubeletTestNode.ConnectAndObserve(serverNs, new IPEndPoint(IPAddress.Any, 7100), clientNs,
            new IPEndPoint(serverIp, 7100));
        Assert.Equal(clientIp, seen.Address);
        KubeletTestNode.Ping(serverNs, clientIp.ToString());

        // To the internet (outside the cluster CIDR): masqueraded to node 1's address.
        IPEndPoint outside = KubeletTestNode.ConnectAndObserve(cluster.Internet, new IPEndPoint(IPAddress.Any, 7200), clientNs,
            new IPEndPoint(IPAddress.Parse(KubenetCluster.InternetAddress), 7200));
        Assert.Equal(node1.Address, outside.Address);

        // hostPort 8080 on node 2, from node 1 itself: DNAT to the pod's port 80, the client's address kept.
        IPEndPoint viaHostPort = KubeletTestNode.ConnectAndObserve(webNs, new IPEndPoint(IPAddress.Any, 80), node1.Ns,
            new IPEndPoint(node2.Address, 8080));
        Assert.Equal(node1.Address, viaHostPort.Address);

        cluster.TearDownPod(node1, client);
        cluster.TearDownPod(node2, web);
        cluster.TearDownPod(node3, server);
        foreach ((KubenetCluster.Node node, TestNamespace pod) in new[] { (node1, clientNs), (node2, webNs), (node3, serverNs) })
        {
            Assert.Equal(["lo"], pod.IpJson("link", "show").EnumerateArray().Select(l => l.GetProperty("ifname").GetString()));
            Assert.Equal(0, node.Ns.IpJson("link", "show", "master", "cbr0").GetArrayLength());
            string results = Path.Combine(node.StateDir, "cache", "results");
            Assert.True(!Directory.Exists(results) || Directory.GetFiles(results).Length == 0, "cache entries left on node " + node.Index);
            string store = Path.Combine(node.StateDir, "networks", "kubenet");
            Assert.DoesNotContain(Directory.Exists(store) ? Directory.GetFiles(store) : [],
                f => File.ReadAllText(f).StartsWith("sandbox-", StringComparison.Ordinal));
        }
        Assert.DoesNotContain("8080", node2.Ns.ExecCheck("iptables-save", "-t", "nat"), StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"the cluster test took {watch.Elapsed}");
    }
}
