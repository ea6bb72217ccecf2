using System.Text.Json.Nodes;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.Netfilter;
using Cni.Net.Spec;
using Cni.Net.Conventions;

namespace Cni.Net.IntegrationTests.Plugins.Bridge;

/// <summary>Our published bridge and loopback beside the reference plugins of /usr/lib/cni, on the real kernel.</summary>
public class BridgeInteropTests
{
    private static readonly JsonObject s_portMappings = new()
    {
        ["portMappings"] = new JsonArray(new JsonObject { ["hostPort"] = 18080, ["containerPort"] = 80, ["protocol"] = "tcp" }),
    };

    [Fact]
    public async Task MixedChain_OurBridge_ReferenceHostLocalAndPortmap_AddCheckDel_LeavesNothing()
    {
        using var node = new PluginTestNode(
            ("bridge", PluginTestNode.Ours("bridge")), ("host-local", PluginTestNode.Reference("host-local")), ("portmap", PluginTestNode.Reference("portmap")));
        using var pod = new TestNamespace("brpod");
        string conflist = node.Conflist(portmap: true);

        CniResult result = await node.AddAsync(conflist, pod, "ctr-mixed-1", capabilityArgs: s_portMappings);

        Assert.Equal(3, result.Interfaces.Count);
        Assert.Equal(node.Bridge, result.Interfaces[0].Name);
        Assert.StartsWith("veth", result.Interfaces[1].Name, StringComparison.Ordinal);
        Assert.Equal("eth0", result.Interfaces[2].Name);
        Assert.Equal(pod.Path, result.Interfaces[2].Sandbox);
        CniIPConfig ip = Assert.Single(result.IPs);
        Assert.Equal("10.77.0.2/24", ip.Address.ToString());
        Assert.Equal("10.77.0.1", ip.Gateway?.ToString());
        Assert.Equal(2, ip.Interface);

        // Kernel: the pod has its address and default route, the bridge the gateway, nat the reference chains.
        Assert.Contains("10.77.0.2/24", pod.ExecCheck("ip", "-o", "addr", "show", "dev", "eth0"), StringComparison.Ordinal);
        Assert.Contains("default via 10.77.0.1 dev eth0", pod.ExecCheck("ip", "route"), StringComparison.Ordinal);
        Assert.Contains("10.77.0.1/24", Shell.Check("ip", "-o", "addr", "show", "dev", node.Bridge), StringComparison.Ordinal);
        Assert.Equal(node.Bridge, Shell.Json("ip", "-j", "link", "show", result.Interfaces[1].Name)[0].GetProperty("master").GetString());
        string masq = CniNames.ContainerChain("brtest", "ctr-mixed-1");
        string dnat = CniNames.PortMapChain("brtest", "ctr-mixed-1");
        string nat = PluginTestNode.Nat();
        Assert.Contains($"-A POSTROUTING -s 10.77.0.2/32 -m comment --comment \"name: \\\"brtest\\\" id: \\\"ctr-mixed-1\\\"\" -j {masq}", nat, StringComparison.Ordinal);
        Assert.Contains($":{dnat}", nat, StringComparison.Ordinal);

        // CHECK of our bridge against the chain's cached result. (The reference portmap 1.1.1 fails its own CHECK on
        // a node without ip6tables CNI chains — "could not check ipv6 dnat" — with the reference bridge too, so it
        // is left out of the CHECK list.)
        await node.CheckAsync(node.Conflist(), pod, "ctr-mixed-1");

        await node.DelAsync(conflist, pod.Path, "ctr-mixed-1", capabilityArgs: s_portMappings);
        Assert.Empty(PluginTestNode.NodeVeths());
        Assert.DoesNotContain("eth0", pod.ExecCheck("ip", "-o", "link"), StringComparison.Ordinal);
        nat = PluginTestNode.Nat();
        Assert.DoesNotContain(masq, nat, StringComparison.Ordinal);
        Assert.DoesNotContain(dnat, nat, StringComparison.Ordinal);
        Assert.Empty(node.Reservations());
    }

    [Fact]
    public async Task MixedChain_ReferenceBridge_OurLoopback_AddCheckDel_PodReachesGateway()
    {
        using var node = new PluginTestNode(("bridge", PluginTestNode.Reference("bridge")), ("host-local", PluginTestNode.Reference("host-local")),
            ("loopback", PluginTestNode.Ours("loopback")));
        using var pod = new TestNamespace("brpod");
        Shell.Check("ip", "-n", pod.Name, "link", "set", "lo", "down");
        const string Lo = """{"cniVersion":"1.0.0","name":"cni-loopback","plugins":[{"type":"loopback"}]}""";
        string conflist = node.Conflist();

        CniResult lo = await node.AddAsync(Lo, pod, "ctr-lo-1", "lo");
        CniResult result = await node.AddAsync(conflist, pod, "ctr-lo-1");

        Assert.Equal("lo", Assert.Single(lo.Interfaces).Name);
        Assert.Contains(lo.IPs, i => i.Address.ToString() == "127.0.0.1/8");
        Assert.Contains("UP", pod.IpJson("link", "show", "lo")[0].GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal(0, pod.Exec("ping", "-c", "1", "-W", "2", "127.0.0.1").ExitCode);
        Assert.Equal(0, pod.Exec("ping", "-c", "1", "-W", "2", result.IPs[0].Gateway!.ToString()).ExitCode);
        await node.CheckAsync(Lo, pod, "ctr-lo-1", "lo");
        await node.CheckAsync(conflist, pod, "ctr-lo-1");

        await node.DelAsync(conflist, pod.Path, "ctr-lo-1");
        await node.DelAsync(Lo, pod.Path, "ctr-lo-1", "lo");
        Assert.DoesNotContain("UP", pod.IpJson("link", "show", "lo")[0].GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        Assert.Empty(PluginTestNode.NodeVeths());
        Assert.DoesNotContain("CNI-", PluginTestNode.Nat(), StringComparison.Ordinal);
        Assert.Empty(node.Reservations());
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public async Task PodMadeByOne_TornDownByTheOther_LeavesNothing(bool referenceAdds, bool emptyNetnsOnDel)
    {
        using var adder = new PluginTestNode(("bridge", referenceAdds ? PluginTestNode.Reference("bridge") : PluginTestNode.Ours("bridge")),
            ("host-local", PluginTestNode.Reference("host-local")));
        using var pod = new TestNamespace("brpod");
        string conflist = adder.Conflist();
        await adder.AddAsync(conflist, pod, "ctr-cross-1");
        Assert.Single(PluginTestNode.NodeVeths());
        Assert.Contains(CniNames.ContainerChain("brtest", "ctr-cross-1"), PluginTestNode.Nat(), StringComparison.Ordinal);

        // The other plugin, same bin directory layout: swap the bridge binary in place.
        string link = Path.Combine(adder.BinDirectory, "bridge");
        File.Delete(link);
        File.CreateSymbolicLink(link, referenceAdds ? PluginTestNode.Ours("bridge") : PluginTestNode.Reference("bridge"));
        if (emptyNetnsOnDel)
        {
            // The pod is gone before the runtime's DEL: the veth goes with it; the rules are ours to find.
            Shell.Check("ip", "netns", "delete", pod.Name);
        }
        await adder.DelAsync(conflist, emptyNetnsOnDel ? null : pod.Path, "ctr-cross-1");

        Assert.Empty(PluginTestNode.NodeVethsAfterSettling());
        Assert.DoesNotContain("CNI-", PluginTestNode.Nat(), StringComparison.Ordinal);
        Assert.Empty(adder.Reservations());
    }

    [Fact]
    public async Task SameConflist_OursAndReference_LeaveTheSameKernelState()
    {
        string Run(string bridgeBinary, out CniResult result)
        {
            using var node = new PluginTestNode(("bridge", bridgeBinary), ("host-local", PluginTestNode.Reference("host-local")));
            using var pod = new TestNamespace("brpod");
            string conflist = node.Conflist(extraBridgeKeys: ",\"mtu\":1400");
            result = node.AddAsync(conflist, pod, "ctr-same-1").AsTask().GetAwaiter().GetResult();
            string state = KernelState.Capture(node, pod);
            node.DelAsync(conflist, pod.Path, "ctr-same-1").AsTask().GetAwaiter().GetResult();
            return state;
        }

        string ours = Run(PluginTestNode.Ours("bridge"), out CniResult ourResult);
        string reference = Run(PluginTestNode.Reference("bridge"), out CniResult referenceResult);

        Assert.Equal(reference, ours);
        Assert.Contains("veth* flags=BROADCAST,LOWER_UP,MULTICAST,UP mtu=1400", ours, StringComparison.Ordinal);
        Assert.Contains("CNI-", ours, StringComparison.Ordinal);
        // Equivalent results: same addresses, gateways, routes and interface layout; names and MACs differ.
        Assert.Equal(Normalize(referenceResult), Normalize(ourResult));
        await Task.CompletedTask;
    }

    private static string Normalize(CniResult result)
    {
        JsonNode node = result.ConvertTo(CniVersion.V1_0_0).ToJsonNode();
        foreach (JsonNode? i in node["interfaces"]!.AsArray())
        {
            i!["mac"] = "MAC";
            if (i["name"]!.GetValue<string>().StartsWith("veth", StringComparison.Ordinal))
            {
                i["name"] = "veth*";
            }
            if (i["sandbox"] is not null)
            {
                i["sandbox"] = "SANDBOX";
            }
            if (i["name"]!.GetValue<string>().StartsWith("cntbr", StringComparison.Ordinal))
            {
                i["name"] = "BRIDGE";
            }
        }
        return node.ToJsonString();
    }
}
