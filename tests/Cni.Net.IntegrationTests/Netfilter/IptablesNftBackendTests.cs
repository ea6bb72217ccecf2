using System.Net;
using System.Net.Sockets;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.Netfilter;
using Cni.Net.Conventions;
using Cni.Net.Netfilter.Iptables;

namespace Cni.Net.IntegrationTests.Netfilter;

public class IptablesNftBackendTests
{
    private static readonly CancellationToken s_none = CancellationToken.None;

    private static readonly NetfilterRule[] s_filterRules =
    [
        new() { Matches = [NetfilterMatch.ConntrackState(ConntrackStates.Related | ConntrackStates.Established)], Target = NetfilterTarget.Accept },
        new() { InInterface = "eth0", InInterfaceNegated = true, Target = NetfilterTarget.Drop },
        new() { Protocol = "tcp", Matches = [NetfilterMatch.DestinationPort(22, negated: true)], Target = NetfilterTarget.Drop },
        new() { Matches = [NetfilterMatch.Mark(1)], Target = NetfilterTarget.Accept },
        new() { Matches = [NetfilterMatch.Mark(0x4000, 0x4000, negated: true)], Target = NetfilterTarget.Return },
        new() { Protocol = "tcp", Matches = [new MultiportMatch(MultiportDirection.Source, [new PortRange(1, 5), 7])], Target = NetfilterTarget.Accept },
        new() { Protocol = "udp", Matches = [NetfilterMatch.SourcePort(new PortRange(1000, 2000)), NetfilterMatch.Comment("a/b")], Target = NetfilterTarget.Accept },
        new() { Source = IPNetwork.Parse("10.0.0.0/8"), SourceNegated = true, OutInterface = "cni+", Target = NetfilterTarget.Goto("CNI-TEST-G") },
        new() { Protocol = "icmp", Target = NetfilterTarget.Accept },
        new() { Protocol = "sctp", ProtocolNegated = true, Matches = [new AddressTypeMatch(AddressType.Local, AddressType.Unicast) { DestinationNegated = true }], Target = NetfilterTarget.Jump("CNI-TEST-G") },
        new() { Matches = [NetfilterMatch.Comment("counts only")] },
    ];

    private static readonly NetfilterRule[] s_natRules =
    [
        new() { Source = IPNetwork.Parse("10.1.2.3/32"), Matches = [NetfilterMatch.Comment(CniNames.Comment("demo", "ctr-abc123"))], Target = NetfilterTarget.Jump("CNI-TEST-N") },
        new() { Destination = IPNetwork.Parse("224.0.0.0/4"), DestinationNegated = true, Target = NetfilterTarget.Masquerade },
        new() { Protocol = "tcp", Destination = IPNetwork.Parse("192.168.5.5/32"), Matches = [NetfilterMatch.DestinationPort(80)], Target = NetfilterTarget.Dnat(IPAddress.Parse("10.1.2.3"), 8080) },
        new() { Protocol = "udp", Matches = [NetfilterMatch.DestinationPort(53)], Target = NetfilterTarget.Dnat(IPAddress.Parse("10.1.2.3")) },
        new() { Source = IPNetwork.Parse("10.0.0.0/8"), Destination = IPNetwork.Parse("1.2.3.4/32"), InInterface = "eth0", Protocol = "tcp", Matches = [NetfilterMatch.SourcePort(53)], Target = NetfilterTarget.Snat(IPAddress.Parse("1.1.1.1"), new PortRange(1000, 2000)) },
        new() { Matches = [NetfilterMatch.DestinationType(AddressType.Local)], Target = NetfilterTarget.Return },
        new() { Matches = [NetfilterMatch.Comment("CNI portfwd masquerade mark")], Target = NetfilterTarget.SetMark(0x2000, 0x2000) },
    ];

    private static readonly NetfilterRule[] s_nat6Rules =
    [
        new() { Destination = IPNetwork.Parse("ff00::/8"), DestinationNegated = true, Matches = [NetfilterMatch.Comment("x")], Target = NetfilterTarget.Masquerade },
        new() { Protocol = "tcp", Matches = [NetfilterMatch.DestinationPort(80)], Target = NetfilterTarget.Dnat(IPAddress.Parse("fd00::1"), 8080) },
        new() { Source = IPNetwork.Parse("fd00::1/128"), Protocol = "tcp", Matches = [NetfilterMatch.DestinationPort(80)], Target = NetfilterTarget.Dnat(IPAddress.Parse("fd00::1")) },
        new() { Protocol = "ipv6-icmp", Target = NetfilterTarget.Return },
    ];

    private static void AssertSavedAsRendered(string table, string chain, NetfilterRule[] rules, bool v6 = false)
    {
        string[] saved = [.. NetfilterTestSupport.Save(table, v6).Split('\n').Where(l => l.StartsWith($"-A {chain} ", StringComparison.Ordinal))];
        Assert.Equal(rules.Select(r => $"-A {chain} {IptablesRuleFormatter.FormatSpec(r)}"), saved);
    }

    [Fact]
    public async Task Apply_RichRuleSet_IptablesSavePrintsExactlyTheRenderedText_AndReadsBackEqual()
    {
        Require.NotInRootNamespace();
        var backend = new IptablesNftBackend();
        try
        {
            var tx = new NetfilterTransaction(AddressFamily.InterNetwork)
                .EnsureChain(NetfilterTable.Filter, "CNI-TEST-F")
                .EnsureChain(NetfilterTable.Filter, "CNI-TEST-G")
                .EnsureChain(NetfilterTable.Nat, "CNI-TEST-N")
                .EnsureChain(NetfilterTable.Mangle, "CNI-TEST-M")
                .Append(NetfilterTable.Mangle, "CNI-TEST-M", new NetfilterRule { Target = NetfilterTarget.SetMark(5) });
            foreach (NetfilterRule r in s_filterRules)
            {
                tx.Append(NetfilterTable.Filter, "CNI-TEST-F", r);
            }
            foreach (NetfilterRule r in s_natRules)
            {
                tx.Append(NetfilterTable.Nat, "CNI-TEST-N", r);
            }
            await backend.ApplyAsync(tx, s_none);
            var tx6 = new NetfilterTransaction(AddressFamily.InterNetworkV6).EnsureChain(NetfilterTable.Nat, "CNI-TEST-N6");
            foreach (NetfilterRule r in s_nat6Rules)
            {
                tx6.Append(NetfilterTable.Nat, "CNI-TEST-N6", r);
            }
            await backend.ApplyAsync(tx6, s_none);

            AssertSavedAsRendered("filter", "CNI-TEST-F", s_filterRules);
            AssertSavedAsRendered("nat", "CNI-TEST-N", s_natRules);
            AssertSavedAsRendered("mangle", "CNI-TEST-M", [new NetfilterRule { Target = NetfilterTarget.SetMark(5) }]);
            AssertSavedAsRendered("nat", "CNI-TEST-N6", s_nat6Rules, v6: true);

            NetfilterTableState filter = await backend.ReadTableAsync(AddressFamily.InterNetwork, NetfilterTable.Filter, s_none);
            Assert.Equal(s_filterRules, filter.FindChain("CNI-TEST-F")!.Rules);
            NetfilterTableState nat = await backend.ReadTableAsync(AddressFamily.InterNetwork, NetfilterTable.Nat, s_none);
            Assert.Equal(s_natRules, nat.FindChain("CNI-TEST-N")!.Rules);
            NetfilterTableState nat6 = await backend.ReadTableAsync(AddressFamily.InterNetworkV6, NetfilterTable.Nat, s_none);
            Assert.Equal(s_nat6Rules, nat6.FindChain("CNI-TEST-N6")!.Rules);
        }
        finally
        {
            NetfilterTestSupport.ResetTables();
        }
    }

    [Theory]
    [InlineData("\" -j DROP")]
    [InlineData("x\\\" -j ACCEPT \\")]
    [InlineData("--comment \"\" ! -s 0.0.0.0/0 -j DROP")]
    [InlineData("\\\\\\\"'''$(reboot);`id`")]
    [InlineData("name: \"net\" id: \"ctr\"")]
    [InlineData("")]
    [InlineData("ünïcødé ✓")]
    public async Task Comment_ThatLooksLikeOptions_StaysOneComment(string comment)
    {
        Require.NotInRootNamespace();
        var backend = new IptablesNftBackend();
        try
        {
            var rule = new NetfilterRule { Matches = [NetfilterMatch.Comment(comment)], Target = NetfilterTarget.Return };
            await backend.ApplyAsync(new NetfilterTransaction(AddressFamily.InterNetwork)
                .EnsureChain(NetfilterTable.Filter, "CNI-TEST-C")
                .Append(NetfilterTable.Filter, "CNI-TEST-C", rule), s_none);
            NetfilterTableState filter = await backend.ReadTableAsync(AddressFamily.InterNetwork, NetfilterTable.Filter, s_none);
            NetfilterRule back = Assert.Single(filter.FindChain("CNI-TEST-C")!.Rules);
            Assert.Equal(comment, back.Comment);
            Assert.Equal(NetfilterTarget.Return, back.Target);
            Assert.Single(back.Matches);
            AssertSavedAsRendered("filter", "CNI-TEST-C", [rule]);
        }
        finally
        {
            NetfilterTestSupport.ResetTables();
        }
    }

    [Fact]
    public async Task FailingTransaction_ChangesNothing_AndReportsTheToolsMessageAndLine()
    {
        Require.NotInRootNamespace();
        var backend = new IptablesNftBackend();
        try
        {
            await backend.ApplyAsync(new NetfilterTransaction(AddressFamily.InterNetwork)
                .EnsureChain(NetfilterTable.Nat, "CNI-TEST-A")
                .Append(NetfilterTable.Nat, "CNI-TEST-A", new NetfilterRule { Target = NetfilterTarget.Masquerade }), s_none);
            string before = NetfilterTestSupport.Save("nat");

            // The planner cannot know that the kernel lacks a "nosuchmatch" module; the tool refuses line 5.
            var tx = new NetfilterTransaction(AddressFamily.InterNetwork)
                .EnsureChain(NetfilterTable.Nat, "CNI-TEST-B")
                .Append(NetfilterTable.Nat, "CNI-TEST-B", new NetfilterRule { Target = NetfilterTarget.Return })
                .Delete(NetfilterTable.Nat, "CNI-TEST-A", new NetfilterRule { Target = NetfilterTarget.Masquerade })
                .Append(NetfilterTable.Nat, "CNI-TEST-A", new NetfilterRule { Matches = [new OtherMatch("nosuchmatch", ["--x", "1"])], Target = NetfilterTarget.Return })
                .Append(NetfilterTable.Nat, "POSTROUTING", new NetfilterRule { Target = NetfilterTarget.Jump("CNI-TEST-B") });
            NetfilterException e = await Assert.ThrowsAsync<NetfilterException>(() => backend.ApplyAsync(tx, s_none).AsTask());
            Assert.Equal(5, e.Line);
            Assert.Equal("-A CNI-TEST-A -m nosuchmatch --x 1 -j RETURN", e.LineText);
            Assert.False(string.IsNullOrWhiteSpace(e.ToolMessage));
            Assert.Contains("nosuchmatch", e.Message, StringComparison.Ordinal);
            Assert.Equal(before, NetfilterTestSupport.Save("nat"));
        }
        finally
        {
            NetfilterTestSupport.ResetTables();
        }
    }

    [Fact]
    public async Task IdempotentOperations_TwiceGiveTheSameState_AndAbsentDeletesAreNoOps()
    {
        Require.NotInRootNamespace();
        var backend = new IptablesNftBackend();
        try
        {
            NetfilterTransaction Build() => new NetfilterTransaction(AddressFamily.InterNetwork)
                .EnsureChain(NetfilterTable.Filter, "CNI-TEST-I")
                .AppendUnique(NetfilterTable.Filter, "CNI-TEST-I", new NetfilterRule { Protocol = "tcp", Matches = [NetfilterMatch.DestinationPort(80)], Target = NetfilterTarget.Accept })
                .InsertUnique(NetfilterTable.Filter, "FORWARD", 1, new NetfilterRule { Target = NetfilterTarget.Jump("CNI-TEST-I") })
                .Delete(NetfilterTable.Filter, "CNI-TEST-I", new NetfilterRule { Target = NetfilterTarget.Drop }, ignoreMissing: true)
                .DeleteChain(NetfilterTable.Filter, "CNI-TEST-GONE", ignoreMissing: true);
            await backend.ApplyAsync(Build(), s_none);
            string once = NetfilterTestSupport.Save("filter");
            await backend.ApplyAsync(Build(), s_none);
            Assert.Equal(once, NetfilterTestSupport.Save("filter"));
            Assert.Contains("-A FORWARD -j CNI-TEST-I\n", once, StringComparison.Ordinal);
            Assert.Single(once.Split('\n'), l => l.StartsWith("-A CNI-TEST-I ", StringComparison.Ordinal));

            await Assert.ThrowsAsync<NetfilterException>(() => backend.ApplyAsync(new NetfilterTransaction(AddressFamily.InterNetwork)
                .Delete(NetfilterTable.Filter, "CNI-TEST-I", new NetfilterRule { Target = NetfilterTarget.Drop }), s_none).AsTask());

            // Insert at a position, then take everything down in one transaction.
            await backend.ApplyAsync(new NetfilterTransaction(AddressFamily.InterNetwork)
                .Insert(NetfilterTable.Filter, "CNI-TEST-I", 1, new NetfilterRule { Protocol = "udp", Target = NetfilterTarget.Accept })
                .SetPolicy(NetfilterTable.Filter, "FORWARD", NetfilterVerdict.Drop), s_none);
            NetfilterTableState t = await backend.ReadTableAsync(AddressFamily.InterNetwork, NetfilterTable.Filter, s_none);
            Assert.Equal(["udp", "tcp"], t.FindChain("CNI-TEST-I")!.Rules.Select(r => r.Protocol));
            Assert.Equal(NetfilterVerdict.Drop, t.FindChain("FORWARD")!.Policy);

            await backend.ApplyAsync(new NetfilterTransaction(AddressFamily.InterNetwork)
                .DeleteRules(NetfilterTable.Filter, "FORWARD", r => r.Target is JumpTarget { Chain: "CNI-TEST-I" })
                .DeleteChain(NetfilterTable.Filter, "CNI-TEST-I")
                .SetPolicy(NetfilterTable.Filter, "FORWARD", NetfilterVerdict.Accept), s_none);
            Assert.DoesNotContain("CNI-TEST", NetfilterTestSupport.Save("filter"), StringComparison.Ordinal);
        }
        finally
        {
            NetfilterTestSupport.ResetTables();
        }
    }

    [Fact]
    public async Task ConcurrentWriters_EnsuringTheSameChainAndRule_BothSucceed_OneRuleResults()
    {
        Require.NotInRootNamespace();
        try
        {
            // Several plugins at once (kubelet runs ADDs in parallel): each plans against the table it read; a
            // writer that loses the race sees the restore fail on a moved table, plans again and finds nothing to do.
            NetfilterTransaction Build(int i) => new NetfilterTransaction(AddressFamily.InterNetwork)
                .EnsureChain(NetfilterTable.Nat, "CNI-TEST-RACE")
                .AppendUnique(NetfilterTable.Nat, "CNI-TEST-RACE", new NetfilterRule { Destination = IPNetwork.Parse("10.0.0.0/8"), Target = NetfilterTarget.Return })
                .AppendUnique(NetfilterTable.Nat, "CNI-TEST-RACE", new NetfilterRule { Source = IPNetwork.Parse($"10.9.0.{i}/32"), Target = NetfilterTarget.Masquerade });
            await Task.WhenAll(Enumerable.Range(1, 6).Select(i => Task.Run(() => new IptablesNftBackend().ApplyAsync(Build(i), s_none).AsTask())));
            NetfilterTableState nat = await new IptablesNftBackend().ReadTableAsync(AddressFamily.InterNetwork, NetfilterTable.Nat, s_none);
            IReadOnlyList<NetfilterRule> rules = nat.FindChain("CNI-TEST-RACE")!.Rules;
            Assert.Single(rules, r => r.Target is VerdictTarget);
            Assert.Equal(6, rules.Count(r => r.Target is MasqueradeTarget));
        }
        finally
        {
            NetfilterTestSupport.ResetTables();
        }
    }

    [Fact]
    public async Task LegacyRulesPresent_Refused_WithClearError()
    {
        Require.NotInRootNamespace();
        try
        {
            await new IptablesNftBackend().EnsureNotLegacyAsync(s_none);
            Shell.Check("iptables-legacy", "-t", "filter", "-A", "INPUT", "-s", "192.0.2.1", "-j", "ACCEPT");
            NetfilterException e = await Assert.ThrowsAsync<NetfilterException>(() =>
                new IptablesNftBackend().ApplyAsync(new NetfilterTransaction(AddressFamily.InterNetwork)
                    .EnsureChain(NetfilterTable.Filter, "CNI-TEST-L"), s_none).AsTask());
            Assert.Contains("iptables-legacy rule", e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("CNI-TEST-L", NetfilterTestSupport.Save("filter"), StringComparison.Ordinal);
        }
        finally
        {
            Shell.Run("iptables-legacy", ["-t", "filter", "-F", "INPUT"]);
            NetfilterTestSupport.ResetTables();
        }
        // With the legacy rule gone, the node is usable again.
        await new IptablesNftBackend().EnsureNotLegacyAsync(s_none);
    }
}
