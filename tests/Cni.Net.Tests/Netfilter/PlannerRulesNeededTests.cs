using System.Net;
using System.Net.Sockets;
using Cni.Net.Netfilter;

namespace Cni.Net.Tests.Netfilter;

/// <summary>
/// Which existing chains a transaction's plan must read the rules of: not a chain whose operations can only add a
/// jump to a chain that does not exist yet (no rule can jump to it) or delete such jumps, or plainly append.
/// </summary>
public class PlannerRulesNeededTests
{
    private static readonly NetfilterRule JumpToNew = new() { Source = IPNetwork.Parse("10.0.0.2/32"), Target = NetfilterTarget.Jump("CNI-NEW") };
    private static readonly NetfilterRule JumpToOld = new() { Source = IPNetwork.Parse("10.0.0.3/32"), Target = NetfilterTarget.Jump("CNI-OLD") };
    private static readonly NetfilterRule Accept = new() { Destination = IPNetwork.Parse("10.0.0.0/16"), Target = NetfilterTarget.Accept };

    private static bool Exists(string chain) => chain is "POSTROUTING" or "CNI-OLD" or "CNI-SHARED";

    private static bool Needed(NetfilterTransaction tx, string chain = "POSTROUTING") =>
        NetfilterPlanner.RulesNeeded(tx, NetfilterTable.Nat, chain, Exists);

    private static NetfilterTransaction Tx() => new(AddressFamily.InterNetwork);

    [Fact]
    public void AddingOnceAJumpToANewChain_DoesNotNeedTheRules() =>
        Assert.False(Needed(Tx().EnsureChain(NetfilterTable.Nat, "CNI-NEW").AppendUnique(NetfilterTable.Nat, "POSTROUTING", JumpToNew)));

    [Fact]
    public void AddingOnceAJumpToAnExistingChain_NeedsTheRules() =>
        Assert.True(Needed(Tx().AppendUnique(NetfilterTable.Nat, "POSTROUTING", JumpToOld)));

    [Fact]
    public void AddingOnceARuleThatJumpsNowhere_NeedsTheRules() =>
        Assert.True(Needed(Tx().AppendUnique(NetfilterTable.Nat, "POSTROUTING", Accept)));

    [Fact]
    public void PlainAppends_DoNotNeedTheRules() =>
        Assert.False(Needed(Tx().Append(NetfilterTable.Nat, "POSTROUTING", Accept).Append(NetfilterTable.Nat, "POSTROUTING", JumpToOld)));

    [Fact]
    public void DeletingJumpsToAMissingChain_DoesNotNeedTheRules_ToAnExistingOne_Does()
    {
        Assert.False(Needed(Tx().DeleteJumps(NetfilterTable.Nat, "POSTROUTING", "CNI-NEW")));
        Assert.True(Needed(Tx().DeleteJumps(NetfilterTable.Nat, "POSTROUTING", "CNI-OLD")));
    }

    [Fact]
    public void AnOpaqueDeletion_AnInsertOrAFlush_NeedTheRules()
    {
        Assert.True(Needed(Tx().DeleteRules(NetfilterTable.Nat, "POSTROUTING", r => r.Target is JumpTarget { Chain: "CNI-NEW" })));
        Assert.True(Needed(Tx().InsertUnique(NetfilterTable.Nat, "POSTROUTING", 1, JumpToNew)));
        Assert.True(Needed(Tx().FlushChain(NetfilterTable.Nat, "POSTROUTING")));
    }

    [Fact]
    public void OneOperationThatNeedsTheRules_IsEnough() =>
        Assert.True(Needed(Tx()
            .EnsureChain(NetfilterTable.Nat, "CNI-NEW")
            .AppendUnique(NetfilterTable.Nat, "POSTROUTING", JumpToNew)
            .AppendUnique(NetfilterTable.Nat, "POSTROUTING", JumpToOld)));

    [Fact]
    public void OperationsOnOtherChains_DoNotCount() =>
        Assert.False(Needed(Tx()
            .AppendUnique(NetfilterTable.Nat, "CNI-SHARED", JumpToOld)
            .AppendUnique(NetfilterTable.Nat, "POSTROUTING", JumpToNew)));

    [Fact]
    public void TheTargetOfADeletionOfJumps_IsAmongTheChainsRead() =>
        Assert.Contains("CNI-GONE", NetfilterPlanner.ChainsToRead(Tx().DeleteJumps(NetfilterTable.Nat, "POSTROUTING", "CNI-GONE"), NetfilterTable.Nat));
}
