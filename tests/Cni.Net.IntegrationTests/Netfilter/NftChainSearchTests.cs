using System.Net;
using System.Net.Sockets;
using System.Text;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.Netfilter;
using Cni.Net.Netlink;
using Cni.Net.Netfilter.NfTables;

namespace Cni.Net.IntegrationTests.Netfilter;

/// <summary>
/// A transaction that only makes sure a rule is in a long shared chain (portmap's jump to CNI-HOSTPORT-MASQ in a
/// POSTROUTING that holds one jump per pod) reads that chain only up to the rule, on the real kernel; a rule that is
/// missing still makes it read the whole chain, and is appended once.
/// </summary>
public sealed class NftChainSearchTests : IDisposable
{
    private const int Filler = 600;
    private const string Masq = "CNI-SEARCH-MASQ";

    private static readonly NetfilterRule Jump = new()
    {
        Matches = [NetfilterMatch.Comment("CNI portfwd requiring masquerade")],
        Target = NetfilterTarget.Jump(Masq),
    };

    private static readonly NetfilterRule LateRule = Filling(Filler - 1);

    private readonly TestNamespace _node = new("nftsearch");

    public NftChainSearchTests() => Require.NotInRootNamespace();

    public void Dispose() => _node.Dispose();

    [Fact]
    public void AJumpNearTheHead_IsFoundInAPrefixOfTheChain_AndNothingIsAdded()
    {
        Load(jumpAt: 1);
        var backend = new NftablesBackend();

        NftablesBackendTests.ApplyNative(_node, backend, EnsureJump());

        Assert.Contains((NetfilterTable.Nat, "POSTROUTING"), backend.LastRulesRead);
        Assert.Contains((NetfilterTable.Nat, "POSTROUTING"), backend.LastRulesPartlyRead);
        (NftTableSnapshot full, NftTableSnapshot searched) = ReadBoth([Jump]);
        List<NetfilterRule> all = full.State.FindChain("POSTROUTING")!.RuleList;
        List<NetfilterRule> prefix = searched.State.FindChain("POSTROUTING")!.RuleList;
        Assert.Equal(Filler + 1, all.Count);
        // Two parts of the dump at most: the one the jump is in and the one the kernel made ahead of the reader.
        Assert.InRange(prefix.Count, 2, 2 * NftTableSnapshot.SearchBufferSize / 100);
        Assert.Equal(all.Take(prefix.Count), prefix);
        Assert.Equal(full.Handles["POSTROUTING"].Take(prefix.Count), searched.Handles["POSTROUTING"]);
        Assert.Contains("POSTROUTING", searched.PartlyRead);
        AssertPostrouting(jumps: 1, rules: Filler + 1);
    }

    [Fact]
    public void AJumpAtTheTail_IsFoundByReadingTheWholeChain_AndStaysWhereItIs()
    {
        Load(jumpAt: Filler);
        var backend = new NftablesBackend();

        NftablesBackendTests.ApplyNative(_node, backend, EnsureJump());

        Assert.Contains((NetfilterTable.Nat, "POSTROUTING"), backend.LastRulesRead);
        AssertPostrouting(jumps: 1, rules: Filler + 1);
        Assert.EndsWith("-j " + Masq, Postrouting()[^1], StringComparison.Ordinal);
        // Seen as the last rule: the search had every rule, though it stopped before the dump's end mark.
        (_, NftTableSnapshot searched) = ReadBoth([Jump]);
        Assert.Equal(Filler + 1, searched.State.FindChain("POSTROUTING")!.RuleList.Count);
    }

    [Fact]
    public void AMissingJump_MakesTheWholeChainRead_AndIsInsertedFirstOnce_ThenFoundAtTheHead()
    {
        Load(jumpAt: null);
        var backend = new NftablesBackend();

        NftablesBackendTests.ApplyNative(_node, backend, EnsureJump());

        Assert.Contains((NetfilterTable.Nat, "POSTROUTING"), backend.LastRulesRead);
        Assert.DoesNotContain((NetfilterTable.Nat, "POSTROUTING"), backend.LastRulesPartlyRead);
        AssertPostrouting(jumps: 1, rules: Filler + 1);
        Assert.Equal("-A POSTROUTING -m comment --comment \"CNI portfwd requiring masquerade\" -j " + Masq, Postrouting()[0]);

        NftablesBackendTests.ApplyNative(_node, backend, EnsureJump());

        Assert.Contains((NetfilterTable.Nat, "POSTROUTING"), backend.LastRulesPartlyRead);
        AssertPostrouting(jumps: 1, rules: Filler + 1);
    }

    [Fact]
    public void AMissingJumpAppended_LandsAfterTheWholeChain_Once()
    {
        Load(jumpAt: null);
        var backend = new NftablesBackend();

        NftablesBackendTests.ApplyNative(_node, backend, EnsureJump(append: true));
        NftablesBackendTests.ApplyNative(_node, backend, EnsureJump(append: true));

        AssertPostrouting(jumps: 1, rules: Filler + 1);
        Assert.EndsWith("-j " + Masq, Postrouting()[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void TwoRulesSought_TheSearchEndsOnlyOnceBothWereSeen()
    {
        Load(jumpAt: 1);

        (NftTableSnapshot full, NftTableSnapshot searched) = ReadBoth([Jump, LateRule]);

        List<NetfilterRule> prefix = searched.State.FindChain("POSTROUTING")!.RuleList;
        int late = full.State.FindChain("POSTROUTING")!.RuleList.IndexOf(LateRule);
        Assert.Equal(Filler, late);
        // The later rule is the chain's last: the search read every rule.
        Assert.Equal(Filler + 1, prefix.Count);

        NftTableSnapshot earlier = NftablesBackendTests.InNamespace(_node, () =>
        {
            using var socket = new NetlinkSocket(NetlinkProtocol.Netfilter);
            return NftTableSnapshot.ReadChains(socket, AddressFamily.InterNetwork, NetfilterTable.Nat, new HashSet<string> { "POSTROUTING", Masq },
                rulesNeeded: null, rulesSought: chain => chain == "POSTROUTING" ? [Jump, Filling(300)] : null);
        });
        Assert.InRange(earlier.State.FindChain("POSTROUTING")!.RuleList.Count, 302, Filler);
        Assert.Contains("POSTROUTING", earlier.PartlyRead);
    }

    [Fact]
    public void ARefusedTransaction_OnAPartlyReadChain_ChangesNothing()
    {
        // The jump is found early, but another append of the same transaction names a chain that does not exist.
        Load(jumpAt: 1);
        NetfilterTransaction tx = EnsureJump()
            .AppendUnique(NetfilterTable.Nat, "POSTROUTING", new NetfilterRule { Target = NetfilterTarget.Jump("CNI-SEARCH-NONE") });
        string before = _node.ExecCheck("iptables-nft-save", "-t", "nat");

        Assert.ThrowsAny<NetfilterException>(() => NftablesBackendTests.ApplyNative(_node, new NftablesBackend(), tx));

        Assert.Equal(Strip(before), Strip(_node.ExecCheck("iptables-nft-save", "-t", "nat")));
    }

    /// <summary>What portmap's ADD asks of these chains: the jump first in POSTROUTING, unless it is there (or, appended).</summary>
    private static NetfilterTransaction EnsureJump(bool append = false)
    {
        NetfilterTransaction tx = new NetfilterTransaction(AddressFamily.InterNetwork)
            .EnsureChain(NetfilterTable.Nat, Masq)
            .AppendUnique(NetfilterTable.Nat, Masq, new NetfilterRule { Matches = [NetfilterMatch.Mark(0x2000, 0x2000)], Target = NetfilterTarget.Masquerade });
        return append
            ? tx.AppendUnique(NetfilterTable.Nat, "POSTROUTING", Jump)
            : tx.InsertUnique(NetfilterTable.Nat, "POSTROUTING", 1, Jump);
    }

    private static NetfilterRule Filling(int i) =>
        new() { Source = IPNetwork.Parse($"10.{20 + i / 250}.{i % 250}.1/32"), Target = NetfilterTarget.Accept };

    /// <summary>POSTROUTING with <see cref="Filler"/> pod-like rules and, when asked, the jump after that many of them.</summary>
    private void Load(int? jumpAt)
    {
        var text = new StringBuilder("*nat\n:" + Masq + " - [0:0]\n");
        text.Append("-A ").Append(Masq).Append(" -m mark --mark 0x2000/0x2000 -j MASQUERADE\n");
        for (int i = 0; i < Filler; i++)
        {
            if (i == jumpAt)
            {
                text.Append("-A POSTROUTING -m comment --comment \"CNI portfwd requiring masquerade\" -j ").Append(Masq).Append('\n');
            }
            text.Append("-A POSTROUTING -s 10.").Append(20 + i / 250).Append('.').Append(i % 250).Append(".1/32 -j ACCEPT\n");
        }
        if (jumpAt == Filler)
        {
            text.Append("-A POSTROUTING -m comment --comment \"CNI portfwd requiring masquerade\" -j ").Append(Masq).Append('\n');
        }
        text.Append("COMMIT\n");
        Shell.Output restore = Shell.Run("ip", ["netns", "exec", _node.Name, "iptables-nft-restore", "--noflush"], text.ToString());
        Assert.True(restore.ExitCode == 0, restore.StdErr);
    }

    private (NftTableSnapshot Full, NftTableSnapshot Searched) ReadBoth(NetfilterRule[] sought) =>
        NftablesBackendTests.InNamespace(_node, () =>
        {
            using var socket = new NetlinkSocket(NetlinkProtocol.Netfilter);
            var chains = new HashSet<string> { "POSTROUTING", Masq };
            return (NftTableSnapshot.ReadChains(socket, AddressFamily.InterNetwork, NetfilterTable.Nat, chains),
                NftTableSnapshot.ReadChains(socket, AddressFamily.InterNetwork, NetfilterTable.Nat, chains,
                    rulesNeeded: null, rulesSought: chain => chain == "POSTROUTING" ? sought : null));
        });

    private string[] Postrouting() =>
        [.. _node.ExecCheck("iptables-nft-save", "-t", "nat").Split('\n').Where(l => l.StartsWith("-A POSTROUTING ", StringComparison.Ordinal))];

    private void AssertPostrouting(int jumps, int rules)
    {
        string[] lines = Postrouting();
        Assert.Equal(rules, lines.Length);
        Assert.Equal(jumps, lines.Count(l => l.EndsWith("-j " + Masq, StringComparison.Ordinal)));
    }

    private static string Strip(string save) =>
        string.Join('\n', save.Split('\n').Where(l => !l.StartsWith('#')));
}
