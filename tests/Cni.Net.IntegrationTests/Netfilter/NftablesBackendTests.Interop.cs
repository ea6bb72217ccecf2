using System.Net;
using System.Net.Sockets;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.Netfilter;
using Cni.Net.Netfilter.Iptables;
using Cni.Net.Netfilter.NfTables;

namespace Cni.Net.IntegrationTests.Netfilter;

public partial class NftablesBackendTests
{
    [Theory]
    [InlineData(AddressFamily.InterNetwork)]
    [InlineData(AddressFamily.InterNetworkV6)]
    public async Task ReadTable_RulesWrittenByIptablesNftRestore_EqualWhatIptablesSaveParserMakesOfTheSave(AddressFamily family)
    {
        Require.NotInRootNamespace();
        using var ns = new TestNamespace("nftr");
        await ToolBackend(ns).ApplyAsync(EveryShape(family), TestContext.Current.CancellationToken);
        bool v6 = family == AddressFamily.InterNetworkV6;
        foreach (NetfilterTable table in v6 ? new[] { NetfilterTable.Nat } : [NetfilterTable.Nat, NetfilterTable.Filter, NetfilterTable.Mangle])
        {
            string name = table.ToString().ToLowerInvariant();
            NetfilterTableState parsed = IptablesSaveParser.Parse(Save(ns, name, v6), family).Single(t => t.Table == table);
            NetfilterTableState read = InNamespace(ns, () => new NftablesBackend().ReadTableAsync(family, table, CancellationToken.None).AsTask().GetAwaiter().GetResult());
            Assert.Equal(parsed.Chains.Select(c => (c.Name, c.Policy)), read.Chains.Select(c => (c.Name, c.Policy)));
            foreach (NetfilterChainState chain in parsed.Chains)
            {
                NetfilterChainState mine = read.FindChain(chain.Name)!;
                Assert.Equal(chain.Rules.Select(IptablesRuleFormatter.FormatSpec), mine.Rules.Select(IptablesRuleFormatter.FormatSpec));
                Assert.Equal(chain.Rules, mine.Rules);
            }
            Assert.Contains(read.Chains, c => c.Rules.Count > 0);
        }
    }

    [Theory]
    [InlineData(AddressFamily.InterNetwork)]
    [InlineData(AddressFamily.InterNetworkV6)]
    public void IptablesNftCheckAndDelete_FindEveryRuleTheNativeBackendWrote(AddressFamily family)
    {
        Require.NotInRootNamespace();
        using var ns = new TestNamespace("nftc");
        ApplyNative(ns, new NftablesBackend(), EveryShape(family));
        bool v6 = family == AddressFamily.InterNetworkV6;
        string tool = v6 ? "ip6tables-nft" : "iptables-nft";
        foreach (string table in v6 ? new[] { "nat" } : ["nat", "filter", "mangle"])
        {
            string[] lines = [.. Save(ns, table, v6).Split('\n').Where(l => l.StartsWith("-A ", StringComparison.Ordinal))];
            Assert.NotEmpty(lines);
            foreach (string line in lines)
            {
                // The save line is the spec: -C with it must find the rule, -D must delete it.
                string[] args = Shell.Check("python3", "-c", "import shlex,sys;print('\\0'.join(shlex.split(sys.argv[1])))", line)
                    .TrimEnd('\n').Split('\0')[1..];
                Shell.Output check = ns.Exec([tool, "-t", table, "-C", .. args]);
                Assert.True(check.ExitCode == 0, $"{tool} -t {table} -C {line[3..]}: {check.StdErr}");
                Shell.Output delete = ns.Exec([tool, "-t", table, "-D", .. args]);
                Assert.True(delete.ExitCode == 0, $"{tool} -t {table} -D {line[3..]}: {delete.StdErr}");
            }
            Assert.DoesNotContain("\n-A ", Save(ns, table, v6), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Apply_DeletesFlushesAndRemovesWhatIptablesNftWrote_AndEndsLikeTheToolBackend()
    {
        Require.NotInRootNamespace();
        using var viaTool = new TestNamespace("nftt");
        using var viaNative = new TestNamespace("nftn");
        CancellationToken ct = TestContext.Current.CancellationToken;
        // Both start from rules iptables-nft-restore wrote.
        await ToolBackend(viaTool).ApplyAsync(EveryShape(AddressFamily.InterNetwork), ct);
        await ToolBackend(viaNative).ApplyAsync(EveryShape(AddressFamily.InterNetwork), ct);
        NetfilterTransaction change = new NetfilterTransaction(AddressFamily.InterNetwork)
            .Delete(NetfilterTable.Nat, "CNI-T-A", s_natShapes[2])
            .DeleteRules(NetfilterTable.Nat, "CNI-T-A", r => r.Comment?.Contains("pm1", StringComparison.Ordinal) == true)
            .Delete(NetfilterTable.Nat, "CNI-T-A", s_natShapes[0], ignoreMissing: true)
            .Insert(NetfilterTable.Nat, "CNI-T-A", 3, new NetfilterRule { Protocol = "tcp", Target = NetfilterTarget.Accept })
            .Insert(NetfilterTable.Nat, "CNI-T-A", 3, new NetfilterRule { Protocol = "udp", Target = NetfilterTarget.Accept })
            .AppendUnique(NetfilterTable.Nat, "CNI-T-A", s_natShapes[5])
            .InsertUnique(NetfilterTable.Nat, "CNI-T-A", 1, s_natShapes[6])
            .FlushChain(NetfilterTable.Nat, "CNI-T-D")
            .DeleteRules(NetfilterTable.Nat, "PREROUTING", r => r.Target is JumpTarget { Chain: "CNI-T-D" })
            .DeleteRules(NetfilterTable.Nat, "OUTPUT", r => r.Target is JumpTarget { Chain: "CNI-T-D" })
            .DeleteChain(NetfilterTable.Nat, "CNI-T-D")
            .EnsureChain(NetfilterTable.Nat, "CNI-T-E")
            .Append(NetfilterTable.Nat, "CNI-T-E", new NetfilterRule { Target = NetfilterTarget.Return })
            .Insert(NetfilterTable.Nat, "CNI-T-E", 1, new NetfilterRule { Protocol = "icmp", Target = NetfilterTarget.Return })
            .Insert(NetfilterTable.Nat, "CNI-T-E", 2, new NetfilterRule { Protocol = "tcp", Target = NetfilterTarget.Return })
            .Delete(NetfilterTable.Nat, "CNI-T-E", new NetfilterRule { Protocol = "icmp", Target = NetfilterTarget.Return })
            .Append(NetfilterTable.Nat, "INPUT", new NetfilterRule { Target = NetfilterTarget.Jump("CNI-T-E") })
            .SetPolicy(NetfilterTable.Filter, "FORWARD", NetfilterVerdict.Accept)
            .SetPolicy(NetfilterTable.Filter, "INPUT", NetfilterVerdict.Drop);
        await ToolBackend(viaTool).ApplyAsync(change, ct);
        var native = new NftablesBackend();
        ApplyNative(viaNative, native, change);
        Assert.Equal(1, native.LastAttempts);
        foreach (string table in new[] { "nat", "filter", "mangle" })
        {
            Assert.Equal(Save(viaTool, table, false), Save(viaNative, table, false));
            Assert.Equal(Expressions(viaTool, "ip", table), Expressions(viaNative, "ip", table));
        }
        Assert.DoesNotContain("CNI-T-D", Save(viaNative, "nat", false), StringComparison.Ordinal);
        Assert.Contains(":INPUT DROP", Save(viaNative, "filter", false), StringComparison.Ordinal);
        // Applying the same idempotent part again changes nothing.
        ApplyNative(viaNative, native, new NetfilterTransaction(AddressFamily.InterNetwork)
            .AppendUnique(NetfilterTable.Nat, "CNI-T-A", s_natShapes[5])
            .DeleteChain(NetfilterTable.Nat, "CNI-T-D", ignoreMissing: true));
        Assert.Equal(Save(viaTool, "nat", false), Save(viaNative, "nat", false));
    }

    [Fact]
    public void Apply_AnotherWriterChangesTheRulesetBetweenPlanAndCommit_TheKernelRefusesAndTheTransactionIsPlannedAgain()
    {
        Require.NotInRootNamespace();
        using var ns = new TestNamespace("nftg");
        var backend = new NftablesBackend();
        ApplyNative(ns, backend, new NetfilterTransaction(AddressFamily.InterNetwork).EnsureChain(NetfilterTable.Nat, "CNI-T-A"));
        int raced = 0;
        var foreign = new NetfilterRule { Source = IPNetwork.Parse("10.9.9.9/32"), Target = NetfilterTarget.Return };
        backend.BeforeCommit = attempt =>
        {
            if (attempt == 1)
            {
                // A foreign writer adds the very rule our plan (made on the empty chain) is about to append.
                Shell.Check("ip", "netns", "exec", ns.Name, "iptables-nft", "-t", "nat", "-A", "CNI-T-A", "-s", "10.9.9.9/32", "-j", "RETURN");
                raced++;
            }
        };
        ApplyNative(ns, backend, new NetfilterTransaction(AddressFamily.InterNetwork)
            .AppendUnique(NetfilterTable.Nat, "CNI-T-A", foreign)
            .AppendUnique(NetfilterTable.Nat, "CNI-T-A", new NetfilterRule { Protocol = "tcp", Target = NetfilterTarget.Accept }));
        Assert.Equal(1, raced);
        Assert.Equal(2, backend.LastAttempts);
        // The first batch was refused as a whole (ERESTART); the second plan saw the foreign rule: it is there once.
        Assert.Equal(
            ["-A CNI-T-A -s 10.9.9.9/32 -j RETURN", "-A CNI-T-A -p tcp -j ACCEPT"],
            Save(ns, "nat", false).Split('\n').Where(l => l.StartsWith("-A ", StringComparison.Ordinal)));
    }

    [Fact]
    public void Apply_KernelRefusesOneRule_ThrowsWithTheKernelErrorAndChangesNothingInAnyTable()
    {
        Require.NotInRootNamespace();
        using var ns = new TestNamespace("nftf");
        var backend = new NftablesBackend();
        ApplyNative(ns, backend, new NetfilterTransaction(AddressFamily.InterNetwork)
            .EnsureChain(NetfilterTable.Nat, "CNI-T-A")
            .Append(NetfilterTable.Nat, "CNI-T-A", new NetfilterRule { Target = NetfilterTarget.Return }));
        string natBefore = Save(ns, "nat", false);
        string filterBefore = Save(ns, "filter", false);
        // DNAT is only valid in PREROUTING/OUTPUT: nf_tables refuses it in POSTROUTING when validating the batch.
        var refused = new NetfilterTransaction(AddressFamily.InterNetwork)
            .EnsureChain(NetfilterTable.Filter, "CNI-T-F")
            .Append(NetfilterTable.Filter, "FORWARD", new NetfilterRule { Target = NetfilterTarget.Jump("CNI-T-F") })
            .EnsureChain(NetfilterTable.Nat, "CNI-T-B")
            .Append(NetfilterTable.Nat, "CNI-T-A", new NetfilterRule { Target = NetfilterTarget.Jump("CNI-T-B") })
            .Append(NetfilterTable.Nat, "POSTROUTING", new NetfilterRule
            {
                Protocol = "tcp",
                Matches = [NetfilterMatch.DestinationPort(80)],
                Target = NetfilterTarget.Dnat(IPAddress.Parse("10.0.0.1"), 8080),
            });
        NetfilterException e = Assert.Throws<NetfilterException>(() => ApplyNative(ns, backend, refused));
        Cni.Net.Netlink.NetlinkException inner = Assert.IsType<Cni.Net.Netlink.NetlinkException>(e.InnerException);
        Assert.NotEqual(0, inner.Errno);
        Assert.Contains(inner.ErrnoName, e.Message, StringComparison.Ordinal);
        Assert.Contains("POSTROUTING", e.Message, StringComparison.Ordinal);
        Assert.Equal(natBefore, Save(ns, "nat", false));
        Assert.Equal(filterBefore, Save(ns, "filter", false));
    }

    [Fact]
    public void Apply_FreeFormIptablesArguments_AreRefusedBeforeAnythingIsSent()
    {
        Require.NotInRootNamespace();
        using var ns = new TestNamespace("nfto");
        var tx = new NetfilterTransaction(AddressFamily.InterNetwork)
            .EnsureChain(NetfilterTable.Filter, "CNI-T-F")
            .Append(NetfilterTable.Filter, "CNI-T-F", new NetfilterRule { Matches = [new OtherMatch("limit", ["--limit", "5/sec"])], Target = NetfilterTarget.Accept });
        NetfilterException e = Assert.Throws<NetfilterException>(() => ApplyNative(ns, new NftablesBackend(), tx));
        Assert.Contains("IptablesNftBackend", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("CNI-T-F", ns.ExecCheck("nft", "list", "ruleset"), StringComparison.Ordinal);
    }
}
