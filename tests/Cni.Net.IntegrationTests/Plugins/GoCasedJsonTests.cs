using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.IntegrationTests.Plugins.Bridge;
using Cni.Net.Spec;

namespace Cni.Net.IntegrationTests.Plugins;

/// <summary>
/// What real callers send, not what our own tests write: containerd's Go-cased capability arguments and configs
/// whose keys are spelled in other cases or repeated. Each chain runs once with our four plugins and once with the
/// reference ones (/usr/lib/cni) on the same node; both must leave the same kernel state.
/// </summary>
public sealed class GoCasedJsonTests
{
    // Exactly what containerd 1.6 (go-cni) puts into the plugins' runtimeConfig for a pod with a hostPort and
    // bandwidth annotations (bursts default to MaxUint32 when the pod sets only rates).
    private const string ContainerdCapabilityArgs = """
        {"portMappings":[{"HostPort":18080,"ContainerPort":80,"Protocol":"tcp","HostIP":""}],
         "bandwidth":{"IngressRate":10000000,"IngressBurst":4294967295,"EgressRate":5000000,"EgressBurst":4294967295}}
        """;

    private static readonly string[] s_plugins = ["bridge", "host-local", "portmap", "bandwidth"];

    private static PluginTestNode Node(bool ours) =>
        new([.. s_plugins.Select(p => (p, ours ? PluginTestNode.Ours(p) : PluginTestNode.Reference(p)))]);

    private static string Chain(PluginTestNode node, string version) => $$$"""
        {"cniVersion":"{{{version}}}","name":"gocased","plugins":[
          {"type":"bridge","bridge":"{{{node.Bridge}}}","isGateway":true,"ipMasq":true,
           "ipam":{"type":"host-local","dataDir":"{{{node.DataDirectory}}}","ranges":[[{"subnet":"10.78.0.0/24"}]]}},
          {"type":"portmap","capabilities":{"portMappings":true},"snat":true},
          {"type":"bandwidth","capabilities":{"bandwidth":true}}]}
        """;

    [Theory]
    [InlineData("0.4.0")]
    [InlineData("1.0.0")]
    public async Task ContainerdCapabilityArgs_OursAndReference_SameKernelState(string version)
    {
        (string ours, string ourTc) = await RunAsync(ours: true, node => Chain(node, version), ContainerdCapabilityArgs);
        (string reference, string referenceTc) = await RunAsync(ours: false, node => Chain(node, version), ContainerdCapabilityArgs);

        Assert.Equal(reference, ours);
        // The hostPort reached portmap: its DNAT to the pod's port 80 is there.
        Assert.Matches(@"--dport 18080 -j DNAT --to-destination 10\.78\.0\.\d+:80", ours);
        // The bandwidth reached the bandwidth plugin: tbf on the host veth (ingress) and on the ifb (egress), at the
        // annotations' rates. The reference's bursts overflow (compat.md), so only kinds and rates are compared.
        Assert.Equal(referenceTc, ourTc);
        Assert.Contains("veth* tbf rate=1250000", ourTc, StringComparison.Ordinal);
        Assert.Contains("ifb tbf rate=625000", ourTc, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigKeysInGoCasesAndRepeated_OursAndReference_SameKernelState()
    {
        // Keys as a hand-written config may spell them; "mtu" comes twice and the last (1400) wins, as in Go.
        string Chain(PluginTestNode node) => $$$"""
            {"cniVersion":"1.0.0","name":"gocased","plugins":[
              {"Type":"bridge","Bridge":"{{{node.Bridge}}}","IsGateway":true,"IPMasq":true,"mtu":1300,"MTU":1400,"HairpinMode":true,
               "IPAM":{"Type":"host-local","DataDir":"{{{node.DataDirectory}}}","Ranges":[[{"Subnet":"10.78.0.0/24","RangeStart":"10.78.0.50","Gateway":"10.78.0.1"}]]}},
              {"type":"portmap","capabilities":{"portMappings":true},"SNAT":true},
              {"type":"bandwidth","IngressRate":8000000,"IngressBurst":80000,"EgressRate":16000000,"EgressBurst":160000}]}
            """;
        string capabilityArgs = """{"portMappings":[{"hostPort":18081,"containerPort":81,"protocol":"udp"}]}""";

        (string ours, string ourTc) = await RunAsync(ours: true, Chain, capabilityArgs);
        (string reference, string referenceTc) = await RunAsync(ours: false, Chain, capabilityArgs);

        Assert.Equal(reference, ours);
        Assert.Equal(referenceTc, ourTc);
        Assert.Contains("veth* flags=BROADCAST,LOWER_UP,MULTICAST,UP mtu=1400", ours, StringComparison.Ordinal);
        Assert.Contains("10.78.0.50/24", ours, StringComparison.Ordinal); // rangeStart honoured
        Assert.Contains("--dport 18081 -j DNAT --to-destination 10.78.0.50:81", ours, StringComparison.Ordinal);
        Assert.Contains("veth* tbf rate=1000000", ourTc, StringComparison.Ordinal);
        Assert.Contains("ifb tbf rate=2000000", ourTc, StringComparison.Ordinal);
    }

    /// <summary>ADD through the executor, capture the node and pod, DEL; nothing of the chain may stay.</summary>
    private static async Task<(string State, string Tc)> RunAsync(bool ours, Func<PluginTestNode, string> chain, string capabilityArgs)
    {
        using PluginTestNode node = Node(ours);
        using var pod = new TestNamespace("gocased");
        string conflist = chain(node);
        JsonObject args = JsonNode.Parse(capabilityArgs)!.AsObject();
        string containerId = "ctr-gocased-1";
        try
        {
            await node.AddAsync(conflist, pod, containerId, capabilityArgs: args);
            string state = KernelState.Capture(node, pod);
            string tc = TrafficControl();
            return (state, tc);
        }
        finally
        {
            await node.DelAsync(conflist, pod.Path, containerId, capabilityArgs: args);
            // The shared CNI-HOSTPORT-* chains stay (as the reference leaves them); the pod's own rules must not.
            string nat = PluginTestNode.Nat();
            Assert.DoesNotMatch("CNI-DN-|CNI-[0-9a-f]{24}|-j DNAT", nat);
            Assert.DoesNotContain("tbf", TrafficControl(), StringComparison.Ordinal);
        }
    }

    /// <summary>The node's qdiscs that carry a rate, one line each: normalized device, kind and rate in bytes/s.</summary>
    private static string TrafficControl()
    {
        var lines = new List<string>();
        foreach (JsonElement q in Shell.Json("tc", ["-j", "-d", "qdisc", "show"]).EnumerateArray())
        {
            string kind = q.GetProperty("kind").GetString()!;
            if (kind != "tbf")
            {
                continue;
            }
            string dev = q.GetProperty("dev").GetString()!;
            string name = dev.StartsWith("veth", StringComparison.Ordinal) ? "veth*" : dev.StartsWith("bwp", StringComparison.Ordinal) ? "ifb" : dev;
            lines.Add($"{name} {kind} rate={q.GetProperty("options").GetProperty("rate").GetUInt64()}");
        }
        lines.Sort(StringComparer.Ordinal);
        return string.Join('\n', lines);
    }
}
