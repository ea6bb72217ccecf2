using System.Text.Json;
using System.Text.Json.Nodes;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.IntegrationTests.Netfilter;
using Cni.Net.Netfilter;
using Cni.Net.Conventions;

namespace Cni.Net.IntegrationTests.Plugins.PortMap;

/// <summary>
/// The published portmap (artifacts/cni/bin/portmap) chained after the reference bridge + host-local, against the
/// reference portmap on the same pod: the same iptables-nft state, real connections through the host port, teardown
/// of each other's rules, GC, CHECK and the error codes of bad input.
/// </summary>
public sealed class PortMapPluginTests : IDisposable
{
    private const string Mappings = """
        {"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"},{"hostPort":8443,"containerPort":443,"protocol":"tcp","hostIP":"10.77.0.1"},{"hostPort":5353,"containerPort":53,"protocol":"udp"}]}
        """;

    private static readonly string s_ours = PodChain.Ours("portmap");
    private static readonly string s_reference = PodChain.Reference("portmap");

    private readonly PodChain _chain = new();

    public void Dispose() => _chain.Dispose();

    private string DnatChain => CniNames.PortMapChain(PodChain.Network, _chain.ContainerId);

    /// <summary>The nat table without anything that names the pod (nothing does, except through the hash).</summary>
    private static string Nat() => NetfilterTestSupport.Save("nat");

    public static TheoryData<string> KeySets => new()
    {
        "",
        "\"snat\":false",
        "\"markMasqBit\":5",
        "\"externalSetMarkChain\":\"KUBE-MARK-MASQ\"",
        "\"conditionsV4\":[\"!\",\"-d\",\"192.168.0.0/16\",\"-i\",\"cnipb0\"]",
    };

    [Theory]
    [MemberData(nameof(KeySets))]
    public void Add_WritesTheReferenceIptablesState_AndDelWithoutMappingsRemovesIt(string keys)
    {
        Shell.Check("iptables-nft", "-t", "nat", "-N", "KUBE-MARK-MASQ");

        _chain.Run(s_reference, "ADD", "portmap", keys, Mappings, _chain.BridgeResult);
        string reference = Nat();
        Assert.Contains(":" + DnatChain, reference, StringComparison.Ordinal);
        // The reference DEL leaves the shared chains, as ours does; the container's own rules go.
        _chain.Run(s_reference, "DEL", "portmap", keys, Mappings, _chain.BridgeResult);
        Assert.DoesNotContain(DnatChain, Nat(), StringComparison.Ordinal);

        JsonObject result = _chain.Run(s_ours, "ADD", "portmap", keys, Mappings, _chain.BridgeResult)!;
        Assert.Equal(reference, Nat());
        // prevResult passes through unchanged.
        Assert.Equal(_chain.BridgeResult["ips"]!.ToJsonString(), result["ips"]!.ToJsonString());
        Assert.Equal(_chain.BridgeResult["interfaces"]!.ToJsonString(), result["interfaces"]!.ToJsonString());

        // CHECK accepts what ADD wrote.
        _chain.Run(s_ours, "CHECK", "portmap", keys, Mappings, result);

        // DEL without the mappings (the runtime lost them) still removes the container's chain and entry rules.
        _chain.Run(s_ours, "DEL", "portmap", keys, null, result);
        string after = Nat();
        Assert.DoesNotContain(DnatChain, after, StringComparison.Ordinal);
        Assert.DoesNotContain("dnat name:", after, StringComparison.Ordinal);

        // DEL is idempotent, also without prevResult or netns.
        Shell.Output again = _chain.Exec(s_ours, "DEL", PodChain.PluginConfig("portmap", keys, null, null), netns: "");
        Assert.True(again.ExitCode == 0, again.StdOut + again.StdErr);
        Assert.Equal(after, Nat());
    }

    [Fact]
    public void HostPort_TcpFromTheNode_ReachesTheListenerInThePod()
    {
        using var server = new NetfilterTestSupport.PeerEchoServer(_chain.Pod, 80);
        Assert.Null(NetfilterTestSupport.Connect(null, PodChain.Gateway, 8080));

        _chain.Run(s_ours, "ADD", "portmap", "", Mappings, _chain.BridgeResult);
        // The node connects to its own bridge address: OUTPUT → CNI-HOSTPORT-DNAT → the pod's port 80.
        Assert.Equal("peer=" + PodChain.Gateway, NetfilterTestSupport.Connect(null, PodChain.Gateway, 8080));
        // hostIP restricts 8443 to 10.77.0.1 only; nothing listens on 443 in the pod, so the DNAT shows as a reset
        // from the pod rather than the node having no rule: both refuse, so check the rule is there instead.
        Assert.Contains("-d 10.77.0.1/32 -p tcp -m tcp --dport 8443 -j DNAT --to-destination " + _chain.PodAddress + ":443", Nat(),
            StringComparison.Ordinal);

        _chain.Run(s_ours, "DEL", "portmap", "", null, _chain.BridgeResult);
        Assert.Null(NetfilterTestSupport.Connect(null, PodChain.Gateway, 8080));
    }

    [Fact]
    public void Add_ForwardsToTheSandboxAddress_NotToAnAddressOfAnotherInterface()
    {
        // A prevResult that lists a node-side address first (the bridge's, interface 0 has no sandbox): the reference
        // skips it and forwards to the pod's eth0 address; so must we.
        JsonObject prev = _chain.BridgeResult.DeepClone().AsObject();
        prev["ips"]!.AsArray().Insert(0, JsonNode.Parse("{\"interface\":0,\"address\":\"" + PodChain.Gateway + "/24\"}"));

        _chain.Run(s_reference, "ADD", "portmap", "", Mappings, prev);
        string reference = Nat();
        _chain.Run(s_reference, "DEL", "portmap", "", Mappings, prev);

        _chain.Run(s_ours, "ADD", "portmap", "", Mappings, prev);
        Assert.Equal(reference, Nat());
        Assert.Contains("--to-destination " + _chain.PodAddress + ":80", reference, StringComparison.Ordinal);
        _chain.Run(s_ours, "DEL", "portmap", "", null, prev);
    }

    [Fact]
    public void MixedTeardown_EachRemovesTheOthersRules()
    {
        // Reference ADD, our DEL (without mappings: the reference itself would do nothing then).
        _chain.Run(s_reference, "ADD", "portmap", "", Mappings, _chain.BridgeResult);
        Assert.Contains(DnatChain, Nat(), StringComparison.Ordinal);
        _chain.Run(s_ours, "DEL", "portmap", "", null, _chain.BridgeResult);
        Assert.DoesNotContain(DnatChain, Nat(), StringComparison.Ordinal);

        // Our ADD, reference DEL.
        _chain.Run(s_ours, "ADD", "portmap", "", Mappings, _chain.BridgeResult);
        Assert.Contains(DnatChain, Nat(), StringComparison.Ordinal);
        _chain.Run(s_reference, "DEL", "portmap", "", Mappings, _chain.BridgeResult);
        Assert.DoesNotContain(DnatChain, Nat(), StringComparison.Ordinal);
        Assert.DoesNotContain("dnat name:", Nat(), StringComparison.Ordinal);
    }

    [Fact]
    public void OnACrowdedNode_TheReferencesSharedJumpIsFound_NotDoubled_AndEachDelRemovesItsContainersJumps()
    {
        // Long shared chains, as on a node of many pods: ours searches them (more than 64 rules) instead of reading
        // them whole, and must find what the reference plugin wrote there.
        string ourContainer = "ctr-pb-2";
        string ourChain = CniNames.PortMapChain(PodChain.Network, ourContainer);
        try
        {
            Restore(Fillers("POSTROUTING", 150, i => $"-s 10.200.{i / 250}.{i % 250 + 1}/32"));
            _chain.Run(s_reference, "ADD", "portmap", "", Mappings, _chain.BridgeResult);
            Restore(Fillers("CNI-HOSTPORT-DNAT", 100, i => $"-p tcp -m tcp --dport {20000 + i}"));
            // The reference jumps to its container's chain once per protocol.
            int referenceJumps = Lines(Nat(), "-A CNI-HOSTPORT-DNAT ").Count(l => l.EndsWith("-j " + DnatChain, StringComparison.Ordinal));
            Assert.Equal(2, referenceJumps);

            _chain.Run(s_ours, "ADD", "portmap", "", """{"portMappings":[{"hostPort":9090,"containerPort":80,"protocol":"tcp"}]}""",
                _chain.BridgeResult, ourContainer);

            string nat = Nat();
            Assert.Equal(1, Lines(nat, "-A POSTROUTING ").Count(l => l.EndsWith("-j CNI-HOSTPORT-MASQ", StringComparison.Ordinal)));
            Assert.Equal(referenceJumps, Lines(nat, "-A CNI-HOSTPORT-DNAT ").Count(l => l.EndsWith("-j " + DnatChain, StringComparison.Ordinal)));
            Assert.Single(Lines(nat, "-A CNI-HOSTPORT-DNAT "), l => l.EndsWith("-j " + ourChain, StringComparison.Ordinal));
            Assert.Equal(250, Lines(nat, "-A ").Count(l => l.Contains("search-filler", StringComparison.Ordinal)));

            _chain.Run(s_ours, "DEL", "portmap", "", null, _chain.BridgeResult, ourContainer);

            nat = Nat();
            Assert.DoesNotContain(ourChain, nat, StringComparison.Ordinal);
            Assert.Equal(referenceJumps, Lines(nat, "-A CNI-HOSTPORT-DNAT ").Count(l => l.EndsWith("-j " + DnatChain, StringComparison.Ordinal)));
            Assert.Equal(250, Lines(nat, "-A ").Count(l => l.Contains("search-filler", StringComparison.Ordinal)));

            // Ours deletes the reference's container too: both of its jumps (the kernel counts two references).
            _chain.Run(s_ours, "DEL", "portmap", "", null, _chain.BridgeResult);
            nat = Nat();
            Assert.DoesNotContain(DnatChain, nat, StringComparison.Ordinal);
            Assert.Equal(250, Lines(nat, "-A ").Count(l => l.Contains("search-filler", StringComparison.Ordinal)));
        }
        finally
        {
            // Only the fillers: the chains themselves are the plugins' to remove.
            string nat = Nat();
            string deletes = string.Concat(Lines(nat, "-A ").Where(l => l.Contains("search-filler", StringComparison.Ordinal))
                .Select(l => "-D" + l[2..] + "\n"));
            if (deletes.Length > 0)
            {
                Restore(deletes);
            }
        }
    }

    private static string Fillers(string chain, int count, Func<int, string> match) =>
        string.Concat(Enumerable.Range(0, count).Select(i => $"-A {chain} {match(i)} -m comment --comment search-filler -j RETURN\n"));

    private static void Restore(string rules)
    {
        Shell.Output r = Shell.Run("iptables-nft-restore", ["--noflush"], "*nat\n" + rules + "COMMIT\n");
        Assert.True(r.ExitCode == 0, r.StdErr);
    }

    private static IEnumerable<string> Lines(string save, string prefix) =>
        save.Split('\n').Where(l => l.StartsWith(prefix, StringComparison.Ordinal));

    [Fact]
    public void SecondAdd_ReplacesTheContainersRules_InsteadOfDuplicatingThem()
    {
        _chain.Run(s_ours, "ADD", "portmap", "", Mappings, _chain.BridgeResult);
        string once = Nat();
        _chain.Run(s_ours, "ADD", "portmap", "", Mappings, _chain.BridgeResult);
        Assert.Equal(once, Nat());
    }

    [Fact]
    public void Check_FailsWhenARuleIsGone()
    {
        JsonObject result = _chain.Run(s_ours, "ADD", "portmap", "", Mappings, _chain.BridgeResult)!;
        Shell.Check("iptables-nft", "-t", "nat", "-D", DnatChain, "-p", "tcp", "-m", "tcp", "--dport", "8080", "-j", "DNAT",
            "--to-destination", _chain.PodAddress + ":80");
        JsonElement error = PodChain.Error(_chain.Exec(s_ours, "CHECK", PodChain.PluginConfig("portmap", "", Mappings, result)));
        Assert.Equal(7, error.GetProperty("code").GetInt32());
        Assert.Contains(DnatChain, error.GetProperty("msg").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void GC_RemovesTheRulesOfContainersNoLongerValid()
    {
        _chain.Run(s_ours, "ADD", "portmap", "", Mappings, _chain.BridgeResult, containerId: "ctr-keep");
        _chain.Run(s_ours, "ADD", "portmap", "", Mappings, _chain.BridgeResult, containerId: "ctr-gone");
        string keep = CniNames.PortMapChain(PodChain.Network, "ctr-keep");
        string gone = CniNames.PortMapChain(PodChain.Network, "ctr-gone");
        Assert.Contains(gone, Nat(), StringComparison.Ordinal);

        var config = JsonNode.Parse(PodChain.PluginConfig("portmap", "", null, null, "1.1.0"))!.AsObject();
        config["cni.dev/valid-attachments"] = JsonNode.Parse("""[{"containerID":"ctr-keep","ifname":"eth0"}]""");
        Shell.Output r = _chain.Exec(s_ours, "GC", config.ToJsonString(), containerId: "", netns: "");
        Assert.True(r.ExitCode == 0, r.StdOut + r.StdErr);

        string nat = Nat();
        Assert.Contains(":" + keep, nat, StringComparison.Ordinal);
        Assert.DoesNotContain(gone, nat, StringComparison.Ordinal);
        Assert.DoesNotContain("id: \\\"ctr-gone\\\"", nat, StringComparison.Ordinal);
    }

    [Fact]
    public void Add_ForgetsStaleUdpFlowsToTheMappedPort()
    {
        // A datagram to the node's port 5353 before the mapping exists leaves a conntrack entry that would keep
        // later datagrams of that flow away from the pod.
        _chain.Pod.ExecCheck("python3", "-c",
            "import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(('0.0.0.0',40000));s.sendto(b'x',('10.77.0.1',5353))");
        Assert.Contains("dport=5353", Shell.Run("conntrack", ["-L", "-p", "udp"]).StdOut, StringComparison.Ordinal);

        _chain.Run(s_ours, "ADD", "portmap", "", Mappings, _chain.BridgeResult);
        // Forgotten by a detached process of the plugin's once it has answered (PortMapConntrackTests).
        var waited = System.Diagnostics.Stopwatch.StartNew();
        string flows = Shell.Run("conntrack", ["-L", "-p", "udp"]).StdOut;
        while (flows.Contains("dport=5353", StringComparison.Ordinal) && waited.Elapsed < TimeSpan.FromSeconds(5))
        {
            Thread.Sleep(20);
            flows = Shell.Run("conntrack", ["-L", "-p", "udp"]).StdOut;
        }
        Assert.DoesNotContain("dport=5353", flows, StringComparison.Ordinal);
    }

    public static TheoryData<string, string?, string, int> BadInputs => new()
    {
        // keys, runtimeConfig, cniVersion, expected code
        { "", "{\"portMappings\":[{\"hostPort\":0,\"containerPort\":80,\"protocol\":\"tcp\"}]}", "1.0.0", 7 },
        { "", "{\"portMappings\":[{\"hostPort\":8080,\"containerPort\":70000,\"protocol\":\"tcp\"}]}", "1.0.0", 7 },
        { "", "{\"portMappings\":[{\"hostPort\":8080,\"containerPort\":80,\"protocol\":\"icmp\"}]}", "1.0.0", 7 },
        { "", "{\"portMappings\":[{\"hostPort\":8080,\"containerPort\":80,\"protocol\":\"tcp\",\"hostIP\":\"nope\"}]}", "1.0.0", 7 },
        { "", "{\"portMappings\":\"all\"}", "1.0.0", 7 },
        { "\"markMasqBit\":32", Mappings, "1.0.0", 7 },
        { "\"markMasqBit\":3,\"externalSetMarkChain\":\"KUBE-MARK-MASQ\"", Mappings, "1.0.0", 7 },
        { "\"conditionsV4\":[\"-j\",\"ACCEPT\"]", Mappings, "1.0.0", 7 },
        { "", Mappings, "9.9.9", 1 },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void Add_BadInput_AnswersWithTheSpecCode_AndWritesNothing(string keys, string? runtimeConfig, string version, int code)
    {
        string before = Nat();
        Shell.Output r = _chain.Exec(s_ours, "ADD", PodChain.PluginConfig("portmap", keys, runtimeConfig, _chain.BridgeResult, version));
        JsonElement error = PodChain.Error(r);
        Assert.Equal(code, error.GetProperty("code").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("msg").GetString()));
        Assert.DoesNotContain("   at ", r.StdOut + r.StdErr, StringComparison.Ordinal);
        Assert.Equal(before, Nat());
    }

    [Fact]
    public void Add_WithoutPrevResult_IsAConfigError()
    {
        JsonElement error = PodChain.Error(_chain.Exec(s_ours, "ADD", PodChain.PluginConfig("portmap", "", Mappings, null)));
        Assert.Equal(7, error.GetProperty("code").GetInt32());
        Assert.Contains("chained", error.GetProperty("msg").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Add_MissingEnvironment_IsCode4()
    {
        Shell.Output r = Shell.Run(s_ours, [], PodChain.PluginConfig("portmap", "", Mappings, _chain.BridgeResult),
            new Dictionary<string, string> { ["CNI_COMMAND"] = "ADD", ["CNI_PATH"] = PodChain.ReferenceDirectory });
        Assert.Equal(4, PodChain.Error(r).GetProperty("code").GetInt32());
    }
}
