using System.Net;
using System.Net.Sockets;
using Cni.Net.Netfilter;

namespace Cni.Net.Tests.Netfilter;

/// <summary>
/// Which rules a plan only has to find in an existing chain, so that reading it can stop once they were seen: the ones
/// the transaction adds unless present, when nothing else it does to the chain needs the whole chain.
/// </summary>
public class PlannerRulesSoughtTests
{
    private static readonly NetfilterRule Jump = new() { Matches = [NetfilterMatch.Comment("CNI portfwd requiring masquerade")], Target = NetfilterTarget.Jump("CNI-HOSTPORT-MASQ") };
    private static readonly NetfilterRule Accept = new() { Destination = IPNetwork.Parse("10.0.0.0/16"), Target = NetfilterTarget.Accept };

    private static NetfilterTransaction Tx() => new(AddressFamily.InterNetwork);

    private static List<NetfilterRule>? Sought(NetfilterTransaction tx, string chain = "POSTROUTING") =>
        NetfilterPlanner.RulesSought(tx, NetfilterTable.Nat, chain);

    [Fact]
    public void UniqueInsertsAndAppends_AreSought_EachOnce() =>
        Assert.Equal([Jump, Accept], Sought(Tx()
            .EnsureChain(NetfilterTable.Nat, "CNI-HOSTPORT-MASQ")
            .InsertUnique(NetfilterTable.Nat, "POSTROUTING", 1, Jump)
            .AppendUnique(NetfilterTable.Nat, "POSTROUTING", Accept)
            .AppendUnique(NetfilterTable.Nat, "POSTROUTING", Jump)));

    [Fact]
    public void PlainAppendsAndThePolicy_NeedNothingOfTheChain() =>
        Assert.Equal([Jump], Sought(Tx()
            .AppendUnique(NetfilterTable.Nat, "POSTROUTING", Jump)
            .Append(NetfilterTable.Nat, "POSTROUTING", Accept)
            .SetPolicy(NetfilterTable.Nat, "POSTROUTING", NetfilterVerdict.Accept)));

    [Fact]
    public void APlainInsert_ADeletionOrAFlush_NeedTheWholeChain()
    {
        Assert.Null(Sought(Tx().AppendUnique(NetfilterTable.Nat, "POSTROUTING", Jump).Insert(NetfilterTable.Nat, "POSTROUTING", 2, Accept)));
        Assert.Null(Sought(Tx().AppendUnique(NetfilterTable.Nat, "POSTROUTING", Jump).DeleteJumps(NetfilterTable.Nat, "POSTROUTING", "CNI-OLD")));
        Assert.Null(Sought(Tx().AppendUnique(NetfilterTable.Nat, "POSTROUTING", Jump).Delete(NetfilterTable.Nat, "POSTROUTING", Accept)));
        Assert.Null(Sought(Tx().FlushChain(NetfilterTable.Nat, "POSTROUTING").AppendUnique(NetfilterTable.Nat, "POSTROUTING", Jump)));
    }

    [Fact]
    public void OnlyTheChainsOwnOperationsCount()
    {
        NetfilterTransaction tx = Tx()
            .FlushChain(NetfilterTable.Nat, "CNI-OTHER")
            .InsertUnique(NetfilterTable.Nat, "POSTROUTING", 1, Jump)
            .AppendUnique(NetfilterTable.Filter, "POSTROUTING", Accept);

        Assert.Equal([Jump], Sought(tx));
        Assert.Null(Sought(tx, "PREROUTING"));
    }

    [Fact]
    public void PlanningAgainstAPrefixThatHoldsTheRule_AddsNothing_AsAgainstTheWholeChain()
    {
        NetfilterTransaction tx = Tx().InsertUnique(NetfilterTable.Nat, "POSTROUTING", 1, Jump).AppendUnique(NetfilterTable.Nat, "POSTROUTING", Accept);
        List<NetfilterRule> whole = [new() { Source = IPNetwork.Parse("10.1.0.2/32"), Target = NetfilterTarget.Accept }, Jump, Accept];
        for (int i = 0; i < 200; i++)
        {
            whole.Add(new() { Source = IPNetwork.Parse($"10.2.0.{i}/32"), Target = NetfilterTarget.Accept });
        }

        NetfilterPlanner full = NetfilterPlanner.Plan(tx, _ => State(whole));
        NetfilterPlanner prefix = NetfilterPlanner.Plan(tx, _ => State(whole[..3]));
        NetfilterPlanner without = NetfilterPlanner.Plan(tx, _ => State(whole[..1]));

        Assert.True(full.IsEmpty);
        Assert.True(prefix.IsEmpty);
        Assert.False(without.IsEmpty);
    }

    private static NetfilterTableState State(List<NetfilterRule> postrouting)
    {
        NetfilterTableState state = NetfilterTableState.Empty(AddressFamily.InterNetwork, NetfilterTable.Nat);
        state.FindChain("POSTROUTING")!.RuleList.AddRange(postrouting);
        state.ChainList.Add(new NetfilterChainState("CNI-HOSTPORT-MASQ", null, []));
        return state;
    }
}
