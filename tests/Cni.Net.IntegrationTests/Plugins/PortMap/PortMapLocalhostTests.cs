using System.Text.Json.Nodes;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.IntegrationTests.Netfilter;
using Cni.Net.IntegrationTests.Plugins.Bridge;
using Cni.Net.Spec;

namespace Cni.Net.IntegrationTests.Plugins.PortMap;

/// <summary>
/// hostPort from the node itself: a client on the node reaching <c>127.0.0.1:&lt;hostPort&gt;</c> through a
/// bridge + host-local + portmap chain. The DNAT alone is not enough — the kernel drops a packet from 127/8 leaving
/// through the bridge unless <c>route_localnet</c> is on there — so the reference portmap sets it when it SNATs; ours
/// must too, with the same chain of ours and of the reference giving the same answer and the same sysctls.
/// </summary>
public sealed class PortMapLocalhostTests
{
    private const int HostPort = 18080;
    private const int PodPort = 80;
    private const string ContainerId = "ctr-localnet-1";

    private static readonly JsonObject s_portMappings = new()
    {
        ["portMappings"] = new JsonArray(new JsonObject { ["hostPort"] = HostPort, ["containerPort"] = PodPort, ["protocol"] = "tcp" }),
    };

    public static TheoryData<bool> Implementations => new() { true, false };

    [Theory]
    [MemberData(nameof(Implementations))]
    public async Task SnatOn_LocalhostReachesThePod_AndRouteLocalnetIsOnTheBridgeOnly(bool ours)
    {
        using PluginTestNode node = Node(ours);
        using var pod = new TestNamespace("lnpod");
        string conflist = Conflist(node, snat: true);
        using var server = new NetfilterTestSupport.PeerEchoServer(pod, PodPort);

        CniResult result = await node.AddAsync(conflist, pod, ContainerId, capabilityArgs: s_portMappings);
        string hostVeth = result.Interfaces[1].Name;
        try
        {
            // Bytes from the pod's server back to a client on the node that dialled localhost: DNAT to the pod, routed
            // out of the bridge (route_localnet), masqueraded to the bridge address so the pod can answer.
            Assert.Equal("peer=10.77.0.1", NetfilterTestSupport.Connect(null, "127.0.0.1", HostPort));
            Assert.Equal("1", RouteLocalnet(node.Bridge));
            Assert.Equal("0", RouteLocalnet(hostVeth));
            Assert.Equal("0", RouteLocalnet("all"));
            Assert.Equal("0", RouteLocalnet("default"));
        }
        finally
        {
            await node.DelAsync(conflist, pod.Path, ContainerId, capabilityArgs: s_portMappings);
        }

        // DEL leaves it on, as the reference does (other pods on the bridge may rely on it).
        Assert.Equal("1", RouteLocalnet(node.Bridge));
        Assert.Null(NetfilterTestSupport.Connect(null, "127.0.0.1", HostPort, 1));
    }

    [Theory]
    [MemberData(nameof(Implementations))]
    public async Task SnatOff_RouteLocalnetStaysOff_AndLocalhostDoesNotReachThePod(bool ours)
    {
        using PluginTestNode node = Node(ours);
        using var pod = new TestNamespace("lnpod");
        string conflist = Conflist(node, snat: false);
        using var server = new NetfilterTestSupport.PeerEchoServer(pod, PodPort);

        await node.AddAsync(conflist, pod, ContainerId, capabilityArgs: s_portMappings);
        try
        {
            Assert.Equal("0", RouteLocalnet(node.Bridge));
            Assert.Null(NetfilterTestSupport.Connect(null, "127.0.0.1", HostPort, 2));
            // The mapping itself works: the node reaching its bridge address is forwarded to the pod.
            Assert.Equal("peer=10.77.0.1", NetfilterTestSupport.Connect(null, "10.77.0.1", HostPort));
        }
        finally
        {
            await node.DelAsync(conflist, pod.Path, ContainerId, capabilityArgs: s_portMappings);
        }
    }

    private static PluginTestNode Node(bool ours) => ours
        ? new PluginTestNode(("bridge", PluginTestNode.Ours("bridge")), ("host-local", PluginTestNode.Ours("host-local")),
            ("portmap", PluginTestNode.Ours("portmap")))
        : new PluginTestNode(("bridge", PluginTestNode.Reference("bridge")), ("host-local", PluginTestNode.Reference("host-local")),
            ("portmap", PluginTestNode.Reference("portmap")));

    private static string Conflist(PluginTestNode node, bool snat)
    {
        JsonNode list = JsonNode.Parse(node.Conflist(portmap: true))!;
        list["plugins"]![1]!["snat"] = snat;
        return list.ToJsonString();
    }

    private static string RouteLocalnet(string ifName) => File.ReadAllText($"/proc/sys/net/ipv4/conf/{ifName}/route_localnet").Trim();
}
