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
/// POSTROUTING that holds one jump per pod), or only deletes the jumps to a pod's chain from it, reads that chain only
/// up to what it looks for, on the real kernel: the jumps as many as the kernel counts references to the pod's chain.
/// Whatever is missing still makes it read the whole chain.
/// </summary>
public sealed class NftChainSearchTests : IDisposable
{
    private const int Filler = 600;
    private const string Masq = "CNI-SEARCH-MASQ";
    private const string Pod = "CNI-SEARCH-POD";

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
    public void AShortChain_IsDumpedWhole_NotSearched()
    {
        // A search costs a socket of its own and two parts of the dump at least: not worth it under MinRulesSearched.
        Load(jumpAt: 1, filler: NftTableSnapshot.MinRulesSearched - 2);
        var backend = new NftablesBackend();

        NftablesBackendTests.ApplyNative(_node, backend, EnsureJump());

        Assert.Contains((NetfilterTable.Nat, "POSTROUTING"), backend.LastRulesRead);
        Assert.DoesNotContain((NetfilterTable.Nat, "POSTROUTING"), backend.LastRulesPartlyRead);
        AssertPostrouting(jumps: 1, rules: NftTableSnapshot.MinRulesSearched - 1);
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
                rulesNeeded: null, rulesSought: (chain, _) => chain == "POSTROUTING" ? [Once(Jump), Once(Filling(300))] : null);
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

    [Fact]
    public void APodsJumpNearTheHead_IsDeletedAfterReadingAPrefix_WithItsChain()
    {
        Load(jumpAt: null, podJumpsAt: [2]);
        var backend = new NftablesBackend();

        NftablesBackendTests.ApplyNative(_node, backend, Teardown());

        Assert.Contains((NetfilterTable.Nat, "POSTROUTING"), backend.LastRulesPartlyRead);
        string save = _node.ExecCheck("iptables-nft-save", "-t", "nat");
        Assert.DoesNotContain(Pod, save, StringComparison.Ordinal);
        AssertPostrouting(jumps: 0, rules: Filler);
    }

    [Fact]
    public void TwoJumpsToThePodsChain_OneNearTheTail_AreBothDeleted()
    {
        Load(jumpAt: null, podJumpsAt: [2, Filler - 10]);
        var backend = new NftablesBackend();

        NftablesBackendTests.ApplyNative(_node, backend, Teardown());

        Assert.DoesNotContain(Pod, _node.ExecCheck("iptables-nft-save", "-t", "nat"), StringComparison.Ordinal);
        AssertPostrouting(jumps: 0, rules: Filler);
        // Both found by the search: the kernel did not refuse the chain's deletion, so the table was not read whole.
        Assert.Equal(0, backend.ReadsOfWholeTables);
        Assert.Equal(1, backend.LastAttempts);
    }

    [Fact]
    public void AJumpFromAChainNotRead_MakesPostroutingReadWhole_AndTheRefusalIsNamed_WithNothingChanged()
    {
        // One of the two references is not in POSTROUTING: the search cannot stop, and the kernel refuses the chain's
        // deletion, which the backend names after reading the whole table, as before.
        Load(jumpAt: null, podJumpsAt: [2], otherJump: true);
        string before = _node.ExecCheck("iptables-nft-save", "-t", "nat");
        var backend = new NftablesBackend();

        var e = Assert.ThrowsAny<NetfilterException>(() => NftablesBackendTests.ApplyNative(_node, backend, Teardown()));

        Assert.Contains("CNI-SEARCH-OTHER still jumps to it", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain((NetfilterTable.Nat, "POSTROUTING"), backend.LastRulesPartlyRead);
        Assert.Equal(Strip(before), Strip(_node.ExecCheck("iptables-nft-save", "-t", "nat")));
    }

    [Fact]
    public void NoJumpToThePodsChain_DeletesTheChainAlone()
    {
        Load(jumpAt: 1, podJumpsAt: []);
        var backend = new NftablesBackend();

        NftablesBackendTests.ApplyNative(_node, backend, Teardown());

        Assert.Contains((NetfilterTable.Nat, "POSTROUTING"), backend.LastRulesPartlyRead);
        Assert.DoesNotContain(Pod, _node.ExecCheck("iptables-nft-save", "-t", "nat"), StringComparison.Ordinal);
        AssertPostrouting(jumps: 1, rules: Filler + 1);
    }

    [Fact]
    public void WithTheKernelsCountOfNoReference_NoRuleOfPostroutingIsRead_ThePodChainsAre()
    {
        Load(jumpAt: 1, podJumpsAt: []);
        NetfilterTransaction tx = Teardown();

        NftTableSnapshot snapshot = NftablesBackendTests.InNamespace(_node, () =>
        {
            using var socket = new NetlinkSocket(NetlinkProtocol.Netfilter);
            return NftTableSnapshot.ReadChains(socket, AddressFamily.InterNetwork, NetfilterTable.Nat, NetfilterPlanner.ChainsToRead(tx, NetfilterTable.Nat),
                (chain, exists) => NetfilterPlanner.RulesNeeded(tx, NetfilterTable.Nat, chain, exists),
                (chain, references) => NetfilterPlanner.RulesSought(tx, NetfilterTable.Nat, chain, references));
        });

        Assert.Empty(snapshot.State.FindChain("POSTROUTING")!.RuleList);
        Assert.Contains("POSTROUTING", snapshot.PartlyRead);
        Assert.Equal(2, snapshot.State.FindChain(Pod)!.RuleList.Count);
    }

    [Fact]
    public async Task SearchSocketsLeftInTheMiddleOfADump_AreFinishedOffThePath_AndServeTheNextSearches()
    {
        Load(jumpAt: 1);
        var used = new List<NetlinkSocket>();
        NftablesBackendTests.InNamespace(_node, () =>
        {
            for (int i = 0; i < 6; i++)
            {
                used.Add(SearchAndLeave(messages: 2));
            }
        });
        // Six left unfinished: the oldest beyond four is finished by the pool's thread and kept, not closed.
        for (int i = 0; i < 200 && NfnetlinkSearchSockets.Count().Idle == 0; i++)
        {
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
        Assert.True(NfnetlinkSearchSockets.Count().Idle > 0);
        Assert.All(used, s => Assert.False(s.Handle.IsClosed));

        NftTableSnapshot snapshot = NftablesBackendTests.InNamespace(_node, () =>
        {
            using var socket = new NetlinkSocket(NetlinkProtocol.Netfilter);
            return NftTableSnapshot.ReadChains(socket, AddressFamily.InterNetwork, NetfilterTable.Nat, new HashSet<string> { "POSTROUTING" },
                rulesNeeded: null, rulesSought: (_, _) => [Once(LateRule)]);
        });

        // Read to the end on a finished socket: every rule, in order.
        Assert.Equal(Filler + 1, snapshot.State.FindChain("POSTROUTING")!.RuleList.Count);
        Assert.Equal(LateRule, snapshot.State.FindChain("POSTROUTING")!.RuleList[^1]);
    }

    [Fact]
    public void ManySearchesLeftInTheMiddleOfADump_InARow_KeepFewSocketsOpen()
    {
        // Faster than the pool's thread can finish them: beyond a few waiting, the caller finishes its own dump.
        Load(jumpAt: 1);
        int before = OwnNetfilterSockets();

        NftablesBackendTests.InNamespace(_node, () =>
        {
            for (int i = 0; i < 200; i++)
            {
                SearchAndLeave(messages: 1);
            }
        });

        // Left unfinished four, waiting for the thread eight, idle four per namespace, and one in the thread's hands;
        // fewer by at most the four idle ones the transaction pool may have had there before.
        Assert.InRange(OwnNetfilterSockets() - before, -4, 17);
    }

    /// <summary>
    /// This process's NETLINK_NETFILTER sockets in the node's namespace: the namespace's netlink table, kept to the
    /// inodes of this process's descriptors. (A count of all the descriptors also moved with other tests' handles,
    /// closed by the finalizer meanwhile: once 432 fewer.)
    /// </summary>
    private int OwnNetfilterSockets()
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (string fd in Directory.GetFiles("/proc/self/fd"))
        {
            string? target = null;
            try
            {
                target = new FileInfo(fd).LinkTarget;
            }
            catch (IOException)
            {
                // Closed since it was listed.
            }
            if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal))
            {
                inodes.Add(target["socket:[".Length..^1]);
            }
        }
        // Columns: sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode; Eth 12 is NETLINK_NETFILTER.
        string table = NftablesBackendTests.InNamespace(_node, () => File.ReadAllText("/proc/thread-self/net/netlink"));
        return table.Split('\n').Skip(1).Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Count(columns => columns.Length >= 10 && columns[1] == "12" && inodes.Contains(columns[^1]));
    }

    /// <summary>Searches POSTROUTING on a search socket until <paramref name="messages"/> rules were seen, and leaves
    /// the rest of the dump unread (must run in the node's namespace).</summary>
    private static NetlinkSocket SearchAndLeave(int messages)
    {
        (NetlinkSocket socket, (ulong, ulong) key) = NfnetlinkSearchSockets.Rent(() => new NetlinkSocket(NetlinkProtocol.Netfilter, NfnetlinkSearchSockets.BufferSize));
        var handler = new CountingHandler(messages);
        NetlinkWriter w = socket.BeginRequest(NfTablesProtocol.MessageType(NfTablesProtocol.NFT_MSG_GETRULE), NetlinkMessageFlags.Dump);
        w.WriteFamilyHeader(NfGenMsg.For(2));
        w.WriteString(NfTablesProtocol.NFTA_RULE_TABLE, "nat");
        w.WriteString(NfTablesProtocol.NFTA_RULE_CHAIN, "POSTROUTING");
        Assert.False(socket.RequestUntilSatisfied(ref w, "search", ref handler));
        NfnetlinkSearchSockets.Return(key, socket, finished: false);
        return socket;
    }

    private struct CountingHandler(int wanted) : ISatisfiableReplyHandler
    {
        private int _seen;

        public readonly bool Satisfied => _seen >= wanted;

        public void OnMessage(NetlinkMessage message) => _seen++;

        public void OnRestart() => _seen = 0;
    }

    /// <summary>bridge's DEL of the pod's masquerade: every jump to its chain, then the chain.</summary>
    private static NetfilterTransaction Teardown() => new NetfilterTransaction(AddressFamily.InterNetwork)
        .DeleteJumps(NetfilterTable.Nat, "POSTROUTING", Pod)
        .DeleteChain(NetfilterTable.Nat, Pod, ignoreMissing: true);

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

    /// <summary>
    /// POSTROUTING with <see cref="Filler"/> pod-like rules, the masquerade jump after <paramref name="jumpAt"/> of them
    /// and the pod's jumps after <paramref name="podJumpsAt"/> of them; the pod's chain (two rules) exists when asked
    /// for or jumped to, and with <paramref name="otherJump"/> another chain jumps to it too.
    /// </summary>
    private void Load(int? jumpAt, int[]? podJumpsAt = null, bool otherJump = false, int filler = Filler)
    {
        podJumpsAt ??= [];
        var text = new StringBuilder("*nat\n:" + Masq + " - [0:0]\n:" + Pod + " - [0:0]\n");
        text.Append("-A ").Append(Masq).Append(" -m mark --mark 0x2000/0x2000 -j MASQUERADE\n");
        text.Append("-A ").Append(Pod).Append(" -d 10.99.0.0/16 -j ACCEPT\n");
        text.Append("-A ").Append(Pod).Append(" ! -d 224.0.0.0/4 -j MASQUERADE\n");
        if (otherJump)
        {
            text.Append(":CNI-SEARCH-OTHER - [0:0]\n-A CNI-SEARCH-OTHER -j ").Append(Pod).Append('\n');
        }
        for (int i = 0; i <= filler; i++)
        {
            if (i == jumpAt)
            {
                text.Append("-A POSTROUTING -m comment --comment \"CNI portfwd requiring masquerade\" -j ").Append(Masq).Append('\n');
            }
            if (podJumpsAt.Contains(i))
            {
                text.Append("-A POSTROUTING -s 10.99.0.5/32 -j ").Append(Pod).Append('\n');
            }
            if (i < filler)
            {
                text.Append("-A POSTROUTING -s 10.").Append(20 + i / 250).Append('.').Append(i % 250).Append(".1/32 -j ACCEPT\n");
            }
        }
        text.Append("COMMIT\n");
        Shell.Output restore = Shell.Run("ip", ["netns", "exec", _node.Name, "iptables-nft-restore", "--noflush"], text.ToString());
        Assert.True(restore.ExitCode == 0, restore.StdErr);
    }

    private static SoughtRules Once(NetfilterRule rule) => new(rule.Equals, 1);

    private (NftTableSnapshot Full, NftTableSnapshot Searched) ReadBoth(NetfilterRule[] sought) =>
        NftablesBackendTests.InNamespace(_node, () =>
        {
            using var socket = new NetlinkSocket(NetlinkProtocol.Netfilter);
            var chains = new HashSet<string> { "POSTROUTING", Masq };
            return (NftTableSnapshot.ReadChains(socket, AddressFamily.InterNetwork, NetfilterTable.Nat, chains),
                NftTableSnapshot.ReadChains(socket, AddressFamily.InterNetwork, NetfilterTable.Nat, chains,
                    rulesNeeded: null, rulesSought: (chain, _) => chain == "POSTROUTING" ? [.. sought.Select(Once)] : null));
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
