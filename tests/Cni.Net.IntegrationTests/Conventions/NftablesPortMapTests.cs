using System.Net;
using System.Text.Json.Nodes;
using Cni.Net.Conventions;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.IntegrationTests.Netfilter;
using Cni.Net.IntegrationTests.Plugins.PortMap;
using Cni.Net.Namespaces;
using Cni.Net.Netfilter;
using Cni.Net.Netfilter.NfTables;

namespace Cni.Net.IntegrationTests.Conventions;

/// <summary>portmap's native nftables layout on the real kernel: byte-for-byte the reference's, forwarding for real.</summary>
public sealed class NftablesPortMapTests
{
    private static readonly HostPortMapping[] s_mappings =
    [
        new(8080, 80, "tcp"),
        new(5353, 53, "udp"),
        new(8443, 443, "tcp", IPAddress.Parse("192.168.7.1")),
        new(9443, 443, "tcp", IPAddress.Parse("fd00::1")), // other family: skipped in ip, used in ip6
        new(7070, 70, "sctp", IPAddress.Any),
    ];

    /// <summary>
    /// What containernetworking/plugins v1.9.1 writes for the same ADDs (two containers, IPv4 and IPv6, SNAT on), as
    /// the nft transaction knftables sends — rebuilt, as data, from plugins/meta/portmap/portmap_nftables.go at tag
    /// v1.9.1 (commit adc3e6b5b581638afbd194cf2e9319ecbb0151a1; file last changed in 9b3772e1a7abf93cbb7c6526a28bc0d27b830e02),
    /// forwardPorts(). "priority dstnat" is written as -100: Debian's nft 1.0.6 refuses the name on the output hook;
    /// the kernel stores the number either way.
    /// </summary>
    private static string ReferenceTransaction(string family, string containerId, string podAddress, bool v6) => $$"""
        add table {{family}} cni_hostport { comment "CNI portmap plugin" ; }
        add chain {{family}} cni_hostport hostports
        add chain {{family}} cni_hostport hostip_hostports
        add chain {{family}} cni_hostport hostports_all
        flush chain {{family}} cni_hostport hostports_all
        add rule {{family}} cni_hostport hostports_all jump hostip_hostports
        add rule {{family}} cni_hostport hostports_all jump hostports
        add chain {{family}} cni_hostport prerouting { type nat hook prerouting priority -100 ; }
        flush chain {{family}} cni_hostport prerouting
        add rule {{family}} cni_hostport prerouting fib daddr type local jump hostports_all
        add chain {{family}} cni_hostport output { type nat hook output priority -100 ; }
        flush chain {{family}} cni_hostport output
        add rule {{family}} cni_hostport output fib daddr type local jump hostports_all
        add chain {{family}} cni_hostport masquerading { type nat hook postrouting priority 100 ; }
        add rule {{family}} cni_hostport hostports tcp dport 8080 dnat to {{(v6 ? $"[{podAddress}]" : podAddress)}}:80 comment "{{containerId}}"
        add rule {{family}} cni_hostport hostports udp dport 5353 dnat to {{(v6 ? $"[{podAddress}]" : podAddress)}}:53 comment "{{containerId}}"
        {{(v6 ? "" : $"add rule ip cni_hostport hostports ip daddr 192.168.7.1 tcp dport 8443 dnat to {podAddress}:443 comment \"{containerId}\"")}}
        {{(v6 ? $"add rule ip6 cni_hostport hostports ip6 daddr fd00::1 tcp dport 9443 dnat to [{podAddress}]:443 comment \"{containerId}\"" : "")}}
        {{(v6 ? "" : $"add rule ip cni_hostport hostports sctp dport 7070 dnat to {podAddress}:70 comment \"{containerId}\"")}}
        add rule {{family}} cni_hostport masquerading {{(v6 ? "ip6" : "ip")}} saddr {{podAddress}} {{(v6 ? "ip6" : "ip")}} daddr {{podAddress}} masquerade comment "{{containerId}}"
        {{(v6 ? "" : $"add rule ip cni_hostport masquerading ip saddr 127.0.0.1 ip daddr {podAddress} masquerade comment \"{containerId}\"")}}

        """;

    /// <summary><c>nft -j list ruleset</c> without what differs between two equal rulesets (handles, nft's version).</summary>
    private static JsonArray Ruleset(TestNamespace ns)
    {
        JsonNode root = JsonNode.Parse(ns.ExecCheck("nft", "-j", "list", "ruleset"))!;
        JsonArray items = root["nftables"]!.AsArray();
        var kept = new JsonArray();
        foreach (JsonNode? item in items)
        {
            JsonObject o = item!.AsObject();
            if (o.ContainsKey("metainfo"))
            {
                continue;
            }
            foreach (var (_, body) in o)
            {
                body!.AsObject().Remove("handle");
            }
            kept.Add(o.DeepClone());
        }
        return kept;
    }

    [Fact]
    public void Add_WritesExactlyTheReferenceV191Layout_IPv4AndIPv6_TwoContainers()
    {
        Require.NotInRootNamespace();
        using var ours = new TestNamespace("nftpm");
        using var reference = new TestNamespace("nftpmref");
        using (NetworkNamespace ns = NetworkNamespace.Open(ours.Path))
        {
            ns.Run(() =>
            {
                NftablesPortMap.Add("net", "ctr-a", IPAddress.Parse("10.1.2.3"), s_mappings, snat: true);
                NftablesPortMap.Add("net", "ctr-a", IPAddress.Parse("fd00::3"), s_mappings, snat: true);
                NftablesPortMap.Add("net", "ctr-b", IPAddress.Parse("10.1.2.4"), s_mappings, snat: true);
            });
        }
        string text = ReferenceTransaction("ip", "ctr-a", "10.1.2.3", v6: false) +
                      ReferenceTransaction("ip6", "ctr-a", "fd00::3", v6: true) +
                      ReferenceTransaction("ip", "ctr-b", "10.1.2.4", v6: false);
        Shell.Output r = Shell.Run("ip", ["netns", "exec", reference.Name, "nft", "-f", "-"], text);
        Assert.True(r.ExitCode == 0, r.StdErr + "\n" + text);

        JsonArray expected = Ruleset(reference), actual = Ruleset(ours);
        Assert.True(JsonNode.DeepEquals(expected, actual), $"expected\n{expected.ToJsonString()}\nactual\n{actual.ToJsonString()}");
        // The reading that matters to a human, too: the reference's statements, verbatim.
        string listing = ours.ExecCheck("nft", "list", "table", "ip", "cni_hostport");
        Assert.Contains("ip daddr 192.168.7.1 tcp dport 8443 dnat to 10.1.2.3:443 comment \"ctr-a\"", listing, StringComparison.Ordinal);
        Assert.Contains("fib daddr type local jump hostports_all", listing, StringComparison.Ordinal);
        Assert.Contains("type nat hook postrouting priority srcnat; policy accept;", listing, StringComparison.Ordinal);
    }

    /// <summary>Each rule of the chains, in order, as (chain, handle, statements) from <c>nft -j</c>.</summary>
    internal static List<(string Chain, long Handle, string Statements)> RulesOf(TestNamespace ns, string family, string table, params string[] chains)
    {
        var rules = new List<(string, long, string)>();
        foreach (string chain in chains)
        {
            JsonNode root = JsonNode.Parse(ns.ExecCheck("nft", "-j", "list", "chain", family, table, chain))!;
            foreach (JsonNode? item in root["nftables"]!.AsArray())
            {
                if (item!["rule"] is JsonObject rule)
                {
                    rules.Add((chain, rule["handle"]!.GetValue<long>(), rule["expr"]!.ToJsonString()));
                }
            }
        }
        return rules;
    }

    [Fact]
    public void Add_LeavesASkeletonThatIsInPlace_EvenTheReferencesOwn_AndRestoresAnEditedOne()
    {
        // Rewriting the skeleton would change nothing visible but rule handles; it is what made an exec'd ADD wait
        // for an RCU grace period when it closed its socket (the chain update and the flushed rules are freed
        // after one). So: left as it is when it is exactly the layout's, restored when it is not.
        Require.NotInRootNamespace();
        using var node = new TestNamespace("nftpmkeep");
        Shell.Output r = Shell.Run("ip", ["netns", "exec", node.Name, "nft", "-f", "-"], ReferenceTransaction("ip", "ctr-r", "10.1.2.9", v6: false));
        Assert.True(r.ExitCode == 0, r.StdErr);
        string[] skeleton = ["hostports_all", "prerouting", "output"];
        List<(string Chain, long Handle, string Statements)> written = RulesOf(node, "ip", "cni_hostport", skeleton);
        Assert.Equal(4, written.Count);
        using NetworkNamespace ns = NetworkNamespace.Open(node.Path);
        IPAddress a = IPAddress.Parse("10.1.2.3"), b = IPAddress.Parse("10.1.2.4");

        ns.Run(() => NftablesPortMap.Add("net", "ctr-a", a, s_mappings, snat: true));
        Assert.Equal(written, RulesOf(node, "ip", "cni_hostport", skeleton)); // nft's encoding recognised: same handles
        ns.Run(() => Assert.Null(NftablesPortMap.Check("ctr-a", a, s_mappings, snat: true)));

        // An extra rule in prerouting: the chain is rewritten, the others are left alone.
        node.ExecCheck("nft", "add", "rule", "ip", "cni_hostport", "prerouting", "counter");
        ns.Run(() => NftablesPortMap.Add("net", "ctr-b", b, s_mappings, snat: true));
        List<(string Chain, long Handle, string Statements)> after = RulesOf(node, "ip", "cni_hostport", skeleton);
        Assert.Equal(written.Select(x => (x.Chain, x.Statements)), after.Select(x => (x.Chain, x.Statements)));
        Assert.NotEqual(written.Single(x => x.Chain == "prerouting").Handle, after.Single(x => x.Chain == "prerouting").Handle);
        Assert.Equal(written.Where(x => x.Chain != "prerouting"), after.Where(x => x.Chain != "prerouting"));

        // A skeleton rule deleted: restored.
        node.ExecCheck("nft", "delete", "rule", "ip", "cni_hostport", "output", "handle",
            after.Single(x => x.Chain == "output").Handle.ToString(System.Globalization.CultureInfo.InvariantCulture));
        ns.Run(() => NftablesPortMap.Add("net", "ctr-c", IPAddress.Parse("10.1.2.5"), s_mappings, snat: true));
        Assert.Equal(written.Select(x => (x.Chain, x.Statements)), RulesOf(node, "ip", "cni_hostport", skeleton).Select(x => (x.Chain, x.Statements)));
        ns.Run(() =>
        {
            Assert.Null(NftablesPortMap.Check("ctr-b", b, s_mappings, snat: true));
            Assert.Null(NftablesPortMap.Check("ctr-c", IPAddress.Parse("10.1.2.5"), s_mappings, snat: true));
        });
    }

    [Fact]
    public void Add_WhenAnotherWriterChangesTheRulesetAfterTheRead_SendsTheWholeTransaction()
    {
        // The batch that leaves out what exists carries the generation it was planned against. Here another writer
        // empties prerouting in between: the kernel refuses the checked batch (ERESTART), and the whole transaction,
        // skeleton included, is sent instead, so the skeleton is whole again.
        Require.NotInRootNamespace();
        using var node = new TestNamespace("nftpmgen");
        using NetworkNamespace ns = NetworkNamespace.Open(node.Path);
        ns.Run(() => NftablesPortMap.Add("net", "ctr-a", IPAddress.Parse("10.1.2.3"), s_mappings, snat: true));
        List<(string Chain, long Handle, string Statements)> before = RulesOf(node, "ip", "cni_hostport", "hostports_all", "prerouting", "output");

        NftNativeTransaction tx = NftablesPortMap.BuildAdd("net", "ctr-b", IPAddress.Parse("10.1.2.4"), s_mappings, snat: true);
        int interventions = 0;
        tx.BeforeCheckedSend = () =>
        {
            interventions++;
            node.ExecCheck("nft", "flush", "chain", "ip", "cni_hostport", "prerouting");
        };
        ns.Run(() => NftNativeRuleset.Run(socket => tx.Commit(socket)));

        Assert.Equal(1, interventions);
        List<(string Chain, long Handle, string Statements)> after = RulesOf(node, "ip", "cni_hostport", "hostports_all", "prerouting", "output");
        Assert.Equal(before.Select(r => (r.Chain, r.Statements)), after.Select(r => (r.Chain, r.Statements)));
        Assert.All(after, r => Assert.DoesNotContain(r.Handle, before.Select(b => b.Handle))); // rewritten whole
        ns.Run(() => Assert.Null(NftablesPortMap.Check("ctr-b", IPAddress.Parse("10.1.2.4"), s_mappings, snat: true)));
    }

    [Fact]
    public void CheckDeleteGC_FindRulesByContainerId_IncludingRulesTheReferenceLayoutWrote()
    {
        Require.NotInRootNamespace();
        using var node = new TestNamespace("nftpmgc");
        using NetworkNamespace ns = NetworkNamespace.Open(node.Path);
        // The reference's rules for ctr-r, written by nft itself.
        Shell.Output r = Shell.Run("ip", ["netns", "exec", node.Name, "nft", "-f", "-"], ReferenceTransaction("ip", "ctr-r", "10.1.2.9", v6: false));
        Assert.True(r.ExitCode == 0, r.StdErr);
        IPAddress a = IPAddress.Parse("10.1.2.3");
        ns.Run(() =>
        {
            NftablesPortMap.Add("net", "ctr-a", a, s_mappings, snat: true);
            NftablesPortMap.Add("net", "ctr-b", IPAddress.Parse("10.1.2.4"), s_mappings, snat: false);
            Assert.Null(NftablesPortMap.Check("ctr-a", a, s_mappings, snat: true));
            Assert.Null(NftablesPortMap.Check("ctr-r", IPAddress.Parse("10.1.2.9"), s_mappings, snat: true));
            Assert.Equal("missing hostport rules in \"masquerading\" chain", NftablesPortMap.Check("ctr-b", IPAddress.Parse("10.1.2.4"), s_mappings, snat: true));

            // DEL of the reference-written container: 4 DNAT + 2 masquerade rules.
            Assert.Equal(6, NftablesPortMap.Delete("ctr-r"));
            Assert.Equal(0, NftablesPortMap.Delete("ctr-r"));
            Assert.Equal("missing hostport rules in \"hostports\" chain", NftablesPortMap.Check("ctr-r", IPAddress.Parse("10.1.2.9"), s_mappings, snat: false));

            // GC keeps ctr-a, removes ctr-b's 4 rules.
            Assert.Equal(4, NftablesPortMap.GarbageCollect("net", ["ctr-a"]));
            Assert.Null(NftablesPortMap.Check("ctr-a", a, s_mappings, snat: true));
        });
        string listing = node.ExecCheck("nft", "list", "ruleset");
        Assert.DoesNotContain("ctr-b", listing, StringComparison.Ordinal);
        Assert.DoesNotContain("ctr-r", listing, StringComparison.Ordinal);
        Assert.Contains("comment \"ctr-a\"", listing, StringComparison.Ordinal);
    }

    [Fact]
    public void GC_RemovesOnlyItsOwnNetworksRules_NotAnotherNetworksNorTheReferences()
    {
        Require.NotInRootNamespace();
        using var node = new TestNamespace("nftpmgc2");
        using NetworkNamespace ns = NetworkNamespace.Open(node.Path);
        Shell.Output r = Shell.Run("ip", ["netns", "exec", node.Name, "nft", "-f", "-"], ReferenceTransaction("ip", "ctr-r", "10.1.2.9", v6: false));
        Assert.True(r.ExitCode == 0, r.StdErr);
        ns.Run(() =>
        {
            NftablesPortMap.Add("net-one", "ctr-a", IPAddress.Parse("10.1.2.3"), s_mappings, snat: true);
            NftablesPortMap.Add("net-two", "ctr-b", IPAddress.Parse("10.1.3.4"), s_mappings, snat: true);
            // net-one has no valid attachment left: only its own container's 6 rules go.
            Assert.Equal(6, NftablesPortMap.GarbageCollect("net-one", []));
            Assert.Null(NftablesPortMap.Check("ctr-b", IPAddress.Parse("10.1.3.4"), s_mappings, snat: true));
            Assert.Null(NftablesPortMap.Check("ctr-r", IPAddress.Parse("10.1.2.9"), s_mappings, snat: true));
        });
        string listing = node.ExecCheck("nft", "list", "ruleset");
        Assert.DoesNotContain("ctr-a", listing, StringComparison.Ordinal);
        Assert.Contains("comment \"ctr-b\"", listing, StringComparison.Ordinal);
        Assert.Contains("comment \"ctr-r\"", listing, StringComparison.Ordinal);
    }

    [Fact]
    public void Conditions_InNftSyntax_GuardTheEntryRules_AsTheReferenceWritesThem()
    {
        Require.NotInRootNamespace();
        using var ours = new TestNamespace("nftpmcond");
        using var reference = new TestNamespace("nftpmcondref");
        string[] conditions = ["ip daddr != 10.9.0.0/16", "iifname \"eth*\""];
        using (NetworkNamespace ns = NetworkNamespace.Open(ours.Path))
        {
            ns.Run(() => NftablesPortMap.Add("net", "ctr-a", IPAddress.Parse("10.1.2.3"), s_mappings, snat: true, conditions));
        }
        string text = ReferenceTransaction("ip", "ctr-a", "10.1.2.3", v6: false)
            .Replace("prerouting fib daddr", "prerouting ip daddr != 10.9.0.0/16 iifname \"eth*\" fib daddr", StringComparison.Ordinal)
            .Replace("output fib daddr", "output ip daddr != 10.9.0.0/16 iifname \"eth*\" fib daddr", StringComparison.Ordinal);
        Shell.Output r = Shell.Run("ip", ["netns", "exec", reference.Name, "nft", "-f", "-"], text);
        Assert.True(r.ExitCode == 0, r.StdErr + "\n" + text);
        JsonArray expected = Ruleset(reference), actual = Ruleset(ours);
        Assert.True(JsonNode.DeepEquals(expected, actual), $"expected\n{expected.ToJsonString()}\nactual\n{actual.ToJsonString()}");
        Assert.Throws<ArgumentException>(() => NftablesPortMap.BuildAdd("net", "ctr-a", IPAddress.Parse("10.1.2.3"), s_mappings, true, ["tcp dport 22"]));
    }

    [Fact]
    public void HostPort_ThroughTheNativeLayout_ReachesThePod_UntilDelete()
    {
        using var chain = new PodChain("ctr-nftpm");
        using var server = new NetfilterTestSupport.PeerEchoServer(chain.Pod, 80);
        try
        {
            Assert.Null(NetfilterTestSupport.Connect(null, PodChain.Gateway, 8080));
            NftablesPortMap.Add("net", chain.ContainerId, IPAddress.Parse(chain.PodAddress), [new(8080, 80, "tcp")], snat: true);
            // The node connects to its own bridge address: output → fib local → hostports_all → hostports → DNAT.
            Assert.Equal("peer=" + PodChain.Gateway, NetfilterTestSupport.Connect(null, PodChain.Gateway, 8080));
            Assert.Equal(3, NftablesPortMap.Delete(chain.ContainerId));
            Assert.Null(NetfilterTestSupport.Connect(null, PodChain.Gateway, 8080));
        }
        finally
        {
            Shell.Run("nft", ["delete", "table", "ip", NftablesPortMap.Table]);
            Shell.Run("nft", ["delete", "table", "ip6", NftablesPortMap.Table]);
        }
    }
}
