using System.Text.Json.Nodes;
using Cni.Net.IntegrationTests.Infrastructure;

namespace Cni.Net.IntegrationTests.Plugins.Parity;

/// <summary>
/// Our bridge + host-local + portmap against the reference binaries (Debian 1.1.1, /usr/lib/cni) for the same
/// configs, each in a fresh node namespace with two pods: after ADD and after DEL, every sysctl of the node and the
/// pods, every link property, the bridge's forwarding database, addresses, routes, all iptables-nft tables and the
/// results must be the same, up to the names that must differ (see <see cref="ObservableState"/>).
/// </summary>
public sealed class ReferenceParityTests
{
    private const string Mappings =
        """[{"hostPort":8080,"containerPort":80,"protocol":"tcp"},{"hostPort":5353,"containerPort":53,"protocol":"udp"},{"hostPort":8443,"containerPort":443,"protocol":"tcp","hostIP":"10.66.0.1"}]""";

    private const string MappingsB = """[{"hostPort":9090,"containerPort":90,"protocol":"tcp"}]""";

    // What containerd 1.6 (go-cni) sends: Go field names, an empty HostIP.
    private const string GoCasedMappings =
        """[{"HostPort":8080,"ContainerPort":80,"Protocol":"tcp","HostIP":""},{"HostPort":5353,"ContainerPort":53,"Protocol":"udp","HostIP":""}]""";

    public static TheoryData<string, string, bool, string, string> Configs => new()
    {
        // bridge keys, portmap keys, dual stack, pod A's mappings, extra host-local keys
        { ",\"isGateway\":true,\"ipMasq\":true,\"hairpinMode\":true", "", false, Mappings, "" },
        { ",\"isGateway\":true,\"ipMasq\":true,\"hairpinMode\":false", ",\"snat\":false", false, Mappings, "" },
        { ",\"isGateway\":false,\"ipMasq\":false", ",\"markMasqBit\":5", false, Mappings, "" },
        { ",\"isDefaultGateway\":true,\"ipMasq\":true,\"promiscMode\":true,\"mtu\":1400", ",\"externalSetMarkChain\":\"KUBE-MARK-MASQ\"", false, Mappings, "" },
        { ",\"isGateway\":true,\"ipMasq\":true,\"hairpinMode\":true", ",\"snat\":true", true, Mappings, "" },
        { ",\"isGateway\":true,\"ipMasq\":true,\"hairpinMode\":true,\"macspoofchk\":true", "", false, GoCasedMappings, "" },
        // podman's default conflist shape: a default route from IPAM.
        { ",\"isGateway\":true,\"ipMasq\":true,\"hairpinMode\":true", "", false, Mappings, ",\"routes\":[{\"dst\":\"0.0.0.0/0\"}]" },
        // Duplicate address detection kept (enhanced_dad, accept_dad=1 in the pod).
        { ",\"isGateway\":true,\"ipMasq\":true,\"enabledad\":true", "", true, Mappings, ",\"routes\":[{\"dst\":\"0.0.0.0/0\"},{\"dst\":\"::/0\"}]" },
    };

    [Theory]
    [MemberData(nameof(Configs))]
    public void SameConfig_OursAndTheReference_LeaveTheSameObservableState(string bridgeKeys, string portMapKeys, bool dualStack, string mappings,
        string ipamKeys)
    {
        Snapshot reference = Run(ours: false, bridgeKeys, portMapKeys, dualStack, mappings, ipamKeys);
        Snapshot ours = Run(ours: true, bridgeKeys, portMapKeys, dualStack, mappings, ipamKeys);

        // Not vacuous: the chain really wrote rules and configured both pods.
        Assert.Contains(":CNI-HOSTPORT-DNAT", reference.AfterAdd, StringComparison.Ordinal);
        Assert.Contains("\"local\":\"10.66.0.3\"", reference.AfterAdd, StringComparison.Ordinal);
        Assert.Contains("--to-destination 10.66.0.2:80", reference.AfterAdd, StringComparison.Ordinal);
        if (bridgeKeys.Contains("macspoofchk", StringComparison.Ordinal))
        {
            Assert.Contains("table bridge ", reference.AfterAdd, StringComparison.Ordinal);
        }
        Assert.DoesNotContain("CNI-DN-", reference.AfterDel, StringComparison.Ordinal);

        // The one difference kept on purpose (docs/plugin-keys.md): our veth ends are made with the one transmit queue
        // the kernel uses, the reference's with one per possible CPU; receive queues are compared above.
        Assert.Equal(4, reference.VethTransmitQueues.Count);
        Assert.All(reference.VethTransmitQueues, q => Assert.Equal(PossibleCpus.Count(), q));
        Assert.Equal(4, ours.VethTransmitQueues.Count);
        Assert.All(ours.VethTransmitQueues, q => Assert.Equal(1, q));

        AssertSame("after ADD", reference.AfterAdd, ours.AfterAdd);
        AssertSame("results", reference.Results, ours.Results);
        AssertSame("after DEL", reference.AfterDel, ours.AfterDel);
    }

    /// <summary>Equal texts, or a failure listing the lines only the reference has (-) and only ours has (+), by section.</summary>
    private static void AssertSame(string what, string reference, string ours)
    {
        if (reference == ours)
        {
            return;
        }
        var report = new System.Text.StringBuilder($"{what}: ours differs from the reference\n");
        Dictionary<string, List<string>> r = Sections(reference), o = Sections(ours);
        foreach (string section in r.Keys.Union(o.Keys))
        {
            List<string> a = r.GetValueOrDefault(section) ?? [], b = o.GetValueOrDefault(section) ?? [];
            List<string> onlyReference = [.. a], onlyOurs = [];
            foreach (string line in b)
            {
                if (!onlyReference.Remove(line))
                {
                    onlyOurs.Add(line);
                }
            }
            if (onlyReference.Count + onlyOurs.Count > 0)
            {
                report.Append(section).Append('\n');
                onlyReference.ForEach(l => report.Append("  - ").Append(l).Append('\n'));
                onlyOurs.ForEach(l => report.Append("  + ").Append(l).Append('\n'));
            }
        }
        Assert.Fail(report.ToString());
    }

    private static Dictionary<string, List<string>> Sections(string text)
    {
        var sections = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        List<string> current = sections["# (top)"] = [];
        foreach (string line in text.Split('\n'))
        {
            if (line.StartsWith("# ", StringComparison.Ordinal))
            {
                current = sections[line] = [];
            }
            else if (line.Length > 0)
            {
                current.Add(line);
            }
        }
        return sections;
    }

    private sealed record Snapshot(string AfterAdd, string Results, string AfterDel, IReadOnlyList<int> VethTransmitQueues);

    private static Snapshot Run(bool ours, string bridgeKeys, string portMapKeys, bool dualStack, string mappings, string ipamKeys)
    {
        using var node = new ChainNode(ours);
        if (portMapKeys.Contains("externalSetMarkChain", StringComparison.Ordinal))
        {
            // kube-proxy's chain: the plugin only jumps to it.
            node.Node.ExecCheck("iptables-nft", "-t", "nat", "-N", "KUBE-MARK-MASQ");
        }
        string bridgeConfig = node.BridgeConfig(bridgeKeys, dualStack, ipamKeys);
        TestNamespace a = node.NewPod();
        TestNamespace b = node.NewPod();
        (JsonObject bridgeA, JsonObject resultA) = node.Add(a, "ctr-par-a", bridgeConfig, portMapKeys, mappings);
        (JsonObject bridgeB, JsonObject resultB) = node.Add(b, "ctr-par-b", bridgeConfig, portMapKeys, MappingsB);

        var state = new ObservableState(node, [(a, HostVeth(bridgeA)), (b, HostVeth(bridgeB))]);
        string afterAdd = state.Capture(node, [a, b]);
        List<int> transmitQueues = [.. state.VethTransmitQueues];
        string results = string.Join('\n', state.Result(bridgeA), state.Result(resultA), state.Result(bridgeB), state.Result(resultB));

        node.Del(b, "ctr-par-b", bridgeConfig, portMapKeys, MappingsB, resultB);
        node.Del(a, "ctr-par-a", bridgeConfig, portMapKeys, mappings, resultA);
        return new Snapshot(afterAdd, results, state.Capture(node, [a, b]), transmitQueues);
    }

    private static string HostVeth(JsonObject bridgeResult) => bridgeResult["interfaces"]![1]!["name"]!.GetValue<string>();
}
