using System.Text.Json;
using System.Text.Json.Nodes;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.IntegrationTests.Plugins.Bridge;
using Cni.Net.Spec;
using Cni.Net.TrafficControl;
using Cni.Net.Conventions;

namespace Cni.Net.IntegrationTests.Plugins;

/// <summary>Regression tests for defects a hostile node found (issue 14): each failed before its fix.</summary>
public sealed class NodeLifeDefectsTests
{
    private static readonly string s_longId = new('c', 300);

    private static string Chain(PluginTestNode node) => $$$"""
        {"cniVersion":"1.0.0","name":"longid","plugins":[
          {"type":"bridge","bridge":"{{{node.Bridge}}}","isGateway":true,"ipMasq":true,
           "ipam":{"type":"host-local","dataDir":"{{{node.DataDirectory}}}","ranges":[[{"subnet":"10.79.0.0/24"}]]}},
          {"type":"bandwidth","ingressRate":8000000,"ingressBurst":80000,"egressRate":8000000,"egressBurst":80000}]}
        """;

    [Fact]
    public async Task LongContainerId_AddDel_SameNatAsTheReference_AndNothingLeft()
    {
        async Task<string> RunAsync(bool ours)
        {
            using var node = new PluginTestNode(
                [.. new[] { "bridge", "host-local", "bandwidth" }.Select(p => (p, ours ? PluginTestNode.Ours(p) : PluginTestNode.Reference(p)))]);
            using var pod = new TestNamespace("longid");
            string conflist = Chain(node);
            string ifb = IfbNames.ForContainer("longid", s_longId);
            await node.AddAsync(conflist, pod, s_longId);
            string state = KernelState.Capture(node, pod);
            JsonElement link = Shell.Json("ip", "-j", "-d", "link", "show", ifb)[0];
            if (ours)
            {
                Assert.Equal(IfbNames.Alias("longid", s_longId), link.GetProperty("ifalias").GetString());
            }
            await node.DelAsync(conflist, pod.Path, s_longId);
            Assert.NotEqual(0, Shell.Run("ip", ["link", "show", ifb]).ExitCode);
            Assert.DoesNotContain("CNI-", PluginTestNode.Nat(), StringComparison.Ordinal);
            Assert.Empty(node.Reservations("longid"));
            return state;
        }

        string ours = await RunAsync(ours: true);
        string reference = await RunAsync(ours: false);
        // iptables cuts the reference's comment to 255 bytes; ours is cut the same way, so the rules are identical.
        Assert.Equal(reference, ours);
        Assert.Contains("--comment \"name: \\\"longid\\\" id: \\\"ccc", ours, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(70000)]
    [InlineData(65536)]
    [InlineData(20)]
    public void BridgeMtuOutOfRange_Code7NamingMtu_BeforeAnyLink(int mtu)
    {
        using var node = new PluginTestNode(("bridge", PluginTestNode.Ours("bridge")), ("host-local", PluginTestNode.Ours("host-local")));
        using var pod = new TestNamespace("mtu");
        string config = node.PluginConfig(extraBridgeKeys: $",\"mtu\":{mtu}");
        Shell.Output r = node.Exec(PluginTestNode.Ours("bridge"), "ADD", config, "ctr-mtu-1", pod.Path);
        Assert.NotEqual(0, r.ExitCode);
        JsonObject error = JsonNode.Parse(r.StdOut)!.AsObject();
        Assert.Equal((int)CniErrorCode.InvalidNetworkConfig, (int)error["code"]!);
        Assert.StartsWith("mtu: " + mtu, (string)error["msg"]!, StringComparison.Ordinal);
        Assert.NotEqual(0, Shell.Run("ip", ["link", "show", node.Bridge]).ExitCode); // no bridge was made
        Assert.Empty(PluginTestNode.NodeVeths());
        Assert.Empty(node.Reservations());
    }

    [Fact]
    public async Task BridgeGC_PodsGoneWithoutDel_ReclaimsExactlyTheInvalidOnes()
    {
        using var node = new PluginTestNode(("bridge", PluginTestNode.Ours("bridge")), ("host-local", PluginTestNode.Ours("host-local")));
        string conflist = node.Conflist(cniVersion: "1.1.0");
        string[] ids = ["ctr-gc-0", "ctr-gc-1", "ctr-gc-2", "ctr-gc-3"];
        var pods = ids.Select(id => new TestNamespace("gc")).ToList();
        try
        {
            for (int i = 0; i < ids.Length; i++)
            {
                await node.AddAsync(conflist, pods[i], ids[i]);
            }
            Assert.Equal(4, node.Reservations().Count);
            // The runtime crashed: pods 2 and 3 vanished without a DEL.
            pods[2].Dispose();
            pods[3].Dispose();

            var config = JsonNode.Parse(node.PluginConfig(cniVersion: "1.1.0"))!.AsObject();
            config["cni.dev/valid-attachments"] = new JsonArray(
                new JsonObject { ["containerID"] = ids[0], ["ifname"] = "eth0" },
                new JsonObject { ["containerID"] = ids[1], ["ifname"] = "eth0" });
            Shell.Output r = node.Exec(PluginTestNode.Ours("bridge"), "GC", config.ToJsonString(), "", null);
            Assert.True(r.ExitCode == 0, r.StdOut + r.StdErr);

            string nat = PluginTestNode.Nat();
            foreach (string id in ids[..2])
            {
                Assert.Contains(Cni.Net.Conventions.CniNames.ContainerChain("brtest", id), nat, StringComparison.Ordinal);
            }
            foreach (string id in ids[2..])
            {
                Assert.DoesNotContain(Cni.Net.Conventions.CniNames.ContainerChain("brtest", id), nat, StringComparison.Ordinal);
            }
            List<string> kept = node.Reservations();
            Assert.Equal(2, kept.Count);
            string[] owners = [.. kept.Select(ip => File.ReadAllText(Path.Combine(node.DataDirectory, "brtest", ip)).Split('\r', '\n')[0]).Order(StringComparer.Ordinal)];
            Assert.Equal(ids[..2], owners);
        }
        finally
        {
            for (int i = 0; i < ids.Length; i++)
            {
                await node.DelAsync(conflist, i < 2 ? pods[i].Path : null, ids[i]);
            }
            foreach (TestNamespace pod in pods)
            {
                pod.Dispose();
            }
        }
        Assert.DoesNotContain("CNI-", PluginTestNode.Nat(), StringComparison.Ordinal);
        Assert.Empty(node.Reservations());
    }
}
