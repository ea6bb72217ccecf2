using System.Net;
using System.Net.Sockets;
using Cni.Net.Netfilter;

namespace Cni.Net.Tests.Netfilter;

/// <summary>
/// What a plan only has to find in an existing chain, so that reading it can stop once that was seen: the rules the
/// transaction adds unless present, and the jumps it deletes to a chain whose references the kernel counted — when
/// nothing else it does to the chain needs the whole chain.
/// </summary>
public class PlannerRulesSoughtTests
{
    private static readonly NetfilterRule Jump = new() { Matches = [NetfilterMatch.Comment("CNI portfwd requiring masquerade")], Target = NetfilterTarget.Jump("CNI-HOSTPORT-MASQ") };
    private static readonly NetfilterRule Accept = new() { Destination = IPNetwork.Parse("10.0.0.0/16"), Target = NetfilterTarget.Accept };
    private static readonly NetfilterRule PodJump = new() { Source = IPNetwork.Parse("10.0.0.7/32"), Target = NetfilterTarget.Jump("CNI-POD") };
    private static readonly NetfilterRule[] Candidates = [Jump, Accept, PodJump];

    private static NetfilterTransaction Tx() => new(AddressFamily.InterNetwork);

    private static int? References(string chain) => chain == "CNI-POD" ? 2 : null;

    /// <summary>Each search as the candidates it matches and its count, such as "Jump×1, Accept×1"; null for none.</summary>
    private static string? Sought(NetfilterTransaction tx, string chain = "POSTROUTING") =>
        NetfilterPlanner.RulesSought(tx, NetfilterTable.Nat, chain, References) is { } sought
            ? string.Join(", ", sought.Select(s => string.Join('+', Candidates.Where(s.Matches).Select(Name)) + "×" + s.Count))
            : null;

    private static string Name(NetfilterRule rule) => rule == Jump ? "Jump" : rule == Accept ? "Accept" : "PodJump";

    [Fact]
    public void UniqueInsertsAndAppends_AreSoughtOnceEach() =>
        Assert.Equal("Jump×1, Accept×1", Sought(Tx()
            .EnsureChain(NetfilterTable.Nat, "CNI-HOSTPORT-MASQ")
            .InsertUnique(NetfilterTable.Nat, "POSTROUTING", 1, Jump)
            .AppendUnique(NetfilterTable.Nat, "POSTROUTING", Accept)
            .AppendUnique(NetfilterTable.Nat, "POSTROUTING", Jump)));

    [Fact]
    public void PlainAppendsAndThePolicy_NeedNothingOfTheChain() =>
        Assert.Equal("Jump×1", Sought(Tx()
            .AppendUnique(NetfilterTable.Nat, "POSTROUTING", Jump)
            .Append(NetfilterTable.Nat, "POSTROUTING", Accept)
            .SetPolicy(NetfilterTable.Nat, "POSTROUTING", NetfilterVerdict.Accept)));

    [Fact]
    public void DeletedJumps_AreSoughtAsOftenAsTheKernelCountsReferences_AnUncountedTargetNeedsTheWholeChain()
    {
        Assert.Equal("PodJump×2", Sought(Tx().DeleteJumps(NetfilterTable.Nat, "POSTROUTING", "CNI-POD")));
        Assert.Null(Sought(Tx().DeleteJumps(NetfilterTable.Nat, "POSTROUTING", "CNI-UNCOUNTED")));
    }

    [Fact]
    public void APlainInsert_AnOpaqueDeletionOrAFlush_NeedTheWholeChain()
    {
        Assert.Null(Sought(Tx().AppendUnique(NetfilterTable.Nat, "POSTROUTING", Jump).Insert(NetfilterTable.Nat, "POSTROUTING", 2, Accept)));
        Assert.Null(Sought(Tx().AppendUnique(NetfilterTable.Nat, "POSTROUTING", Jump).Delete(NetfilterTable.Nat, "POSTROUTING", Accept)));
        Assert.Null(Sought(Tx().DeleteRules(NetfilterTable.Nat, "POSTROUTING", r => r.Target is JumpTarget { Chain: "CNI-POD" })));
        Assert.Null(Sought(Tx().FlushChain(NetfilterTable.Nat, "POSTROUTING").AppendUnique(NetfilterTable.Nat, "POSTROUTING", Jump)));
    }

    [Fact]
    public void OnlyTheChainsOwnOperationsCount()
    {
        NetfilterTransaction tx = Tx()
            .FlushChain(NetfilterTable.Nat, "CNI-OTHER")
            .InsertUnique(NetfilterTable.Nat, "POSTROUTING", 1, Jump)
            .AppendUnique(NetfilterTable.Filter, "POSTROUTING", Accept);

        Assert.Equal("Jump×1", Sought(tx));
        Assert.Null(Sought(tx, "PREROUTING"));
    }

    [Fact]
    public void PlanningAgainstAPrefixThatHoldsWhatWasSought_DecidesAsAgainstTheWholeChain()
    {
        NetfilterTransaction add = Tx().InsertUnique(NetfilterTable.Nat, "POSTROUTING", 1, Jump).AppendUnique(NetfilterTable.Nat, "POSTROUTING", Accept);
        NetfilterTransaction del = Tx().DeleteJumps(NetfilterTable.Nat, "POSTROUTING", "CNI-POD");
        NetfilterRule otherPodJump = PodJump with { Source = IPNetwork.Parse("10.0.0.8/32") };
        List<NetfilterRule> whole = [Jump, PodJump, Accept, otherPodJump];
        for (int i = 0; i < 200; i++)
        {
            whole.Add(new() { Source = IPNetwork.Parse($"10.2.0.{i}/32"), Target = NetfilterTarget.Accept });
        }

        Assert.True(NetfilterPlanner.Plan(add, _ => State(whole)).IsEmpty);
        Assert.True(NetfilterPlanner.Plan(add, _ => State(whole[..3])).IsEmpty);
        Assert.False(NetfilterPlanner.Plan(add, _ => State(whole[1..2])).IsEmpty);

        NetfilterPlanner full = NetfilterPlanner.Plan(del, _ => State(whole));
        NetfilterPlanner prefix = NetfilterPlanner.Plan(del, _ => State(whole[..4]));
        Assert.Equal(full.RenderRestoreInput(), prefix.RenderRestoreInput());
        Assert.Equal(2, full.RenderRestoreInput().Split('\n').Count(l => l.StartsWith("-D POSTROUTING", StringComparison.Ordinal)));
    }

    private static NetfilterTableState State(List<NetfilterRule> postrouting)
    {
        NetfilterTableState state = NetfilterTableState.Empty(AddressFamily.InterNetwork, NetfilterTable.Nat);
        state.FindChain("POSTROUTING")!.RuleList.AddRange(postrouting);
        state.ChainList.Add(new NetfilterChainState("CNI-HOSTPORT-MASQ", null, []));
        state.ChainList.Add(new NetfilterChainState("CNI-POD", null, []));
        return state;
    }
}
