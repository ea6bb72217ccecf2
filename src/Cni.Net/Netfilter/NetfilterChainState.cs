namespace Cni.Net.Netfilter;

/// <summary>A chain as read back from the kernel (or the in-memory fake): its policy and rules in order.</summary>
public sealed class NetfilterChainState
{
    internal NetfilterChainState(string name, NetfilterVerdict? policy, List<NetfilterRule> rules)
    {
        Name = name;
        Policy = policy;
        RuleList = rules;
    }

    /// <summary>The chain name.</summary>
    public string Name { get; }

    /// <summary>The policy of a built-in chain; null for a user-defined chain.</summary>
    public NetfilterVerdict? Policy { get; internal set; }

    /// <summary>True for a built-in chain (one with a policy).</summary>
    public bool IsBuiltin => Policy is not null;

    /// <summary>The rules in order.</summary>
    public IReadOnlyList<NetfilterRule> Rules => RuleList;

    internal List<NetfilterRule> RuleList { get; }

    /// <summary>The chain as <c>iptables-save</c> lists it: <c>:NAME POLICY</c> (<c>-</c> for a user chain) and its rule count.</summary>
    public override string ToString() =>
        $":{Name} {(Policy is NetfilterVerdict p ? IptablesRuleFormatter.VerdictName(p) : "-")} ({RuleList.Count} rules)";

    internal NetfilterChainState Clone() => new(Name, Policy, [.. RuleList]);
}
