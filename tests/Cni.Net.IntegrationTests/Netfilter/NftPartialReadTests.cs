using System.Net;
using System.Net.Sockets;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.Netfilter;
using Cni.Net.Netlink;
using Cni.Net.Netfilter.NfTables;

namespace Cni.Net.IntegrationTests.Netfilter;

/// <summary>
/// A pod's transaction reads the rules of the chains it changes, not of the whole table (a node's nat table can hold
/// thousands of kube-proxy rules) — deleting a chain included: the kernel refuses to delete a chain still jumped to, and
/// only then is the whole table read, to name the jumping chain.
/// </summary>
public sealed class NftPartialReadTests : IDisposable
{
    private const string Rules = """
        *nat
        :CNI-PR-A - [0:0]
        :CNI-PR-B - [0:0]
        -A POSTROUTING -s 10.9.0.2/32 -j CNI-PR-A
        -A CNI-PR-A -d 10.9.0.0/16 -j ACCEPT
        -A CNI-PR-A ! -d 224.0.0.0/4 -j MASQUERADE
        -A CNI-PR-B -d 10.8.0.0/16 -j ACCEPT
        -A CNI-PR-B -d 10.7.0.0/16 -j ACCEPT
        COMMIT

        """;

    private readonly TestNamespace _node = new("nftpr");

    public NftPartialReadTests()
    {
        Require.NotInRootNamespace();
        Shell.Output restore = Shell.Run("ip", ["netns", "exec", _node.Name, "iptables-nft-restore", "--noflush"], Rules);
        Assert.True(restore.ExitCode == 0, restore.StdErr);
    }

    public void Dispose() => _node.Dispose();

    [Fact]
    public void PartialRead_HasTheChosenChainsRulesAndHandles_AndEveryChainWithoutRules()
    {
        (NftTableSnapshot full, NftTableSnapshot partial) = NftablesBackendTests.InNamespace(_node, () =>
        {
            using var socket = new NetlinkSocket(NetlinkProtocol.Netfilter);
            return (NftTableSnapshot.Read(socket, AddressFamily.InterNetwork, NetfilterTable.Nat),
                NftTableSnapshot.Read(socket, AddressFamily.InterNetwork, NetfilterTable.Nat, _ => new HashSet<string> { "CNI-PR-A" }));
        });

        Assert.Equal(2, full.State.FindChain("CNI-PR-A")!.Rules.Count);
        Assert.Equal(full.State.FindChain("CNI-PR-A")!.Rules, partial.State.FindChain("CNI-PR-A")!.Rules);
        Assert.Equal(full.Handles["CNI-PR-A"], partial.Handles["CNI-PR-A"]);
        Assert.Equal(2, full.State.FindChain("CNI-PR-B")!.Rules.Count);
        Assert.Empty(partial.State.FindChain("CNI-PR-B")!.Rules);
        Assert.Single(full.State.FindChain("POSTROUTING")!.Rules);
        Assert.Empty(partial.State.FindChain("POSTROUTING")!.Rules);
        Assert.Equal(full.ExistingBaseChains, partial.ExistingBaseChains);
        Assert.Equal(full.State.Chains.Select(c => c.Name), partial.State.Chains.Select(c => c.Name));
    }

    [Fact]
    public void AppendUnique_OnAChainItReads_StaysIdempotent()
    {
        var tx = new NetfilterTransaction(AddressFamily.InterNetwork)
            .EnsureChain(NetfilterTable.Nat, "CNI-PR-B")
            .AppendUnique(NetfilterTable.Nat, "CNI-PR-B", new NetfilterRule { Destination = IPNetwork.Parse("10.7.0.0/16"), Target = NetfilterTarget.Accept })
            .AppendUnique(NetfilterTable.Nat, "CNI-PR-B", new NetfilterRule { Destination = IPNetwork.Parse("10.6.0.0/16"), Target = NetfilterTarget.Accept });
        Assert.Equal(new HashSet<string> { "CNI-PR-B" }, NetfilterPlanner.ChainsToRead(tx, NetfilterTable.Nat));

        NftablesBackendTests.ApplyNative(_node, new NftablesBackend(), tx);

        string save = _node.ExecCheck("iptables-nft-save", "-t", "nat");
        Assert.Equal(1, Count(save, "-A CNI-PR-B -d 10.7.0.0/16 -j ACCEPT"));
        Assert.Equal(1, Count(save, "-A CNI-PR-B -d 10.6.0.0/16 -j ACCEPT"));
        Assert.Equal(1, Count(save, "-A CNI-PR-A -d 10.9.0.0/16 -j ACCEPT"));
    }

    [Fact]
    public void DeleteChain_ReadsOnlyItsChain_AndTheKernelsRefusalOfAChainStillJumpedTo_IsNamedAfterAWholeRead()
    {
        var tx = new NetfilterTransaction(AddressFamily.InterNetwork)
            .FlushChain(NetfilterTable.Nat, "CNI-PR-A")
            .DeleteChain(NetfilterTable.Nat, "CNI-PR-A");
        Assert.Equal(new HashSet<string> { "CNI-PR-A" }, NetfilterPlanner.ChainsToRead(tx, NetfilterTable.Nat));
        var backend = new NftablesBackend();

        var e = Assert.ThrowsAny<NetfilterException>(() => NftablesBackendTests.ApplyNative(_node, backend, tx));

        Assert.Contains("POSTROUTING still jumps to it", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, backend.ReadsOfWholeTables);
        Assert.Equal(2, Count(_node.ExecCheck("iptables-nft-save", "-t", "nat"), "-A CNI-PR-A "));
    }

    [Fact]
    public void DeletingAChainNothingJumpsTo_ReadsOnlyTheChainsItChanges()
    {
        // The pod's DEL on a kube-proxy node: the jump goes first, then the chain; nothing else is read.
        var tx = new NetfilterTransaction(AddressFamily.InterNetwork)
            .DeleteRules(NetfilterTable.Nat, "POSTROUTING", r => r.Target is JumpTarget { Chain: "CNI-PR-A" })
            .DeleteChain(NetfilterTable.Nat, "CNI-PR-A", ignoreMissing: true);
        var backend = new NftablesBackend();

        NftablesBackendTests.ApplyNative(_node, backend, tx);

        Assert.Equal(0, backend.ReadsOfWholeTables);
        string save = _node.ExecCheck("iptables-nft-save", "-t", "nat");
        Assert.DoesNotContain("CNI-PR-A", save, StringComparison.Ordinal);
        Assert.Equal(2, Count(save, "-A CNI-PR-B "));
    }

    [Fact]
    public void ReadChains_HasTheBuiltinsAndTheNamedChainsThatExist_WithTheNamedChainsRules()
    {
        (NftTableSnapshot full, NftTableSnapshot chosen) = NftablesBackendTests.InNamespace(_node, () =>
        {
            using var socket = new NetlinkSocket(NetlinkProtocol.Netfilter);
            return (NftTableSnapshot.Read(socket, AddressFamily.InterNetwork, NetfilterTable.Nat),
                NftTableSnapshot.ReadChains(socket, AddressFamily.InterNetwork, NetfilterTable.Nat,
                    new HashSet<string> { "CNI-PR-B", "CNI-PR-NONE" }));
        });

        Assert.Equal(["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING", "CNI-PR-B"], chosen.State.Chains.Select(c => c.Name));
        Assert.Equal(full.State.FindChain("CNI-PR-B")!.Rules, chosen.State.FindChain("CNI-PR-B")!.Rules);
        Assert.Equal(full.Handles["CNI-PR-B"], chosen.Handles["CNI-PR-B"]);
        Assert.Empty(chosen.State.FindChain("POSTROUTING")!.Rules);
        Assert.Equal(full.ExistingBaseChains, chosen.ExistingBaseChains);
        Assert.Contains("POSTROUTING", chosen.ExistingBaseChains);
    }

    [Fact]
    public void DeletingAChainThatDoesNotExist_NeedsOnlyTheChangedChains()
    {
        // Portmap's ADD starts the container's chain afresh: deleting it when absent must not read the whole table.
        var tx = new NetfilterTransaction(AddressFamily.InterNetwork)
            .DeleteRules(NetfilterTable.Nat, "CNI-PR-B", r => r.Target is JumpTarget { Chain: "CNI-PR-NEW" })
            .DeleteChain(NetfilterTable.Nat, "CNI-PR-NEW", ignoreMissing: true)
            .EnsureChain(NetfilterTable.Nat, "CNI-PR-NEW")
            .Append(NetfilterTable.Nat, "CNI-PR-B", new NetfilterRule { Protocol = "tcp", Target = NetfilterTarget.Jump("CNI-PR-NEW") });
        Assert.Equal(new HashSet<string> { "CNI-PR-B", "CNI-PR-NEW" }, NetfilterPlanner.ChainsToRead(tx, NetfilterTable.Nat));

        NftablesBackendTests.ApplyNative(_node, new NftablesBackend(), tx);
        NftablesBackendTests.ApplyNative(_node, new NftablesBackend(), new NetfilterTransaction(AddressFamily.InterNetwork)
            .DeleteRules(NetfilterTable.Nat, "CNI-PR-B", r => r.Target is JumpTarget { Chain: "CNI-PR-NEW" })
            .DeleteChain(NetfilterTable.Nat, "CNI-PR-NEW", ignoreMissing: true));

        string save = _node.ExecCheck("iptables-nft-save", "-t", "nat");
        Assert.DoesNotContain("CNI-PR-NEW", save, StringComparison.Ordinal);
        Assert.Equal(2, Count(save, "-A CNI-PR-B "));
    }

    [Fact]
    public void AFirstAddHookingANewChainIntoASharedOne_DoesNotReadTheSharedChain_AndAppendsAtItsEnd()
    {
        // Bridge's masquerade ADD for a new pod: no rule can jump to a chain that does not exist yet, so POSTROUTING
        // (one jump per pod on a node) is not read; the jump still lands after the existing rules, once.
        NetfilterTransaction Masquerade() => new NetfilterTransaction(AddressFamily.InterNetwork)
            .EnsureChain(NetfilterTable.Nat, "CNI-PR-C")
            .AppendUnique(NetfilterTable.Nat, "CNI-PR-C", new NetfilterRule { Destination = IPNetwork.Parse("10.5.0.0/16"), Target = NetfilterTarget.Accept })
            .AppendUnique(NetfilterTable.Nat, "POSTROUTING", new NetfilterRule { Source = IPNetwork.Parse("10.5.0.2/32"), Target = NetfilterTarget.Jump("CNI-PR-C") });
        var backend = new NftablesBackend();

        NftablesBackendTests.ApplyNative(_node, backend, Masquerade());
        Assert.DoesNotContain((NetfilterTable.Nat, "POSTROUTING"), backend.LastRulesRead);

        // Again, the chain now existing: POSTROUTING is read, and nothing is added twice.
        NftablesBackendTests.ApplyNative(_node, backend, Masquerade());
        Assert.Contains((NetfilterTable.Nat, "POSTROUTING"), backend.LastRulesRead);

        string[] postrouting = _node.ExecCheck("iptables-nft-save", "-t", "nat").Split('\n').Where(l => l.StartsWith("-A POSTROUTING ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(["-A POSTROUTING -s 10.9.0.2/32 -j CNI-PR-A", "-A POSTROUTING -s 10.5.0.2/32 -j CNI-PR-C"], postrouting);
        Assert.Equal(1, Count(_node.ExecCheck("iptables-nft-save", "-t", "nat"), "-A CNI-PR-C -d 10.5.0.0/16 -j ACCEPT"));
    }

    [Fact]
    public void DeletingJumpsToAChain_ReadsTheChainOnlyWhenTheTargetExists()
    {
        var backend = new NftablesBackend();
        NftablesBackendTests.ApplyNative(_node, backend, new NetfilterTransaction(AddressFamily.InterNetwork)
            .DeleteJumps(NetfilterTable.Nat, "POSTROUTING", "CNI-PR-GONE")
            .DeleteChain(NetfilterTable.Nat, "CNI-PR-GONE", ignoreMissing: true));
        Assert.DoesNotContain((NetfilterTable.Nat, "POSTROUTING"), backend.LastRulesRead);
        Assert.Equal(1, Count(_node.ExecCheck("iptables-nft-save", "-t", "nat"), "-A POSTROUTING "));

        NftablesBackendTests.ApplyNative(_node, backend, new NetfilterTransaction(AddressFamily.InterNetwork)
            .DeleteJumps(NetfilterTable.Nat, "POSTROUTING", "CNI-PR-A")
            .FlushChain(NetfilterTable.Nat, "CNI-PR-A")
            .DeleteChain(NetfilterTable.Nat, "CNI-PR-A"));
        Assert.Contains((NetfilterTable.Nat, "POSTROUTING"), backend.LastRulesRead);
        string save = _node.ExecCheck("iptables-nft-save", "-t", "nat");
        Assert.DoesNotContain("CNI-PR-A", save, StringComparison.Ordinal);
        Assert.Equal(2, Count(save, "-A CNI-PR-B "));
    }

    private static int Count(string text, string line) =>
        text.Split('\n').Count(l => l.StartsWith(line, StringComparison.Ordinal));
}
