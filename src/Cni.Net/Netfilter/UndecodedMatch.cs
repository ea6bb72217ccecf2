using System.Runtime.CompilerServices;

namespace Cni.Net.Netfilter;

/// <summary>
/// Stands for the part of a rule read from nf_tables that this model cannot describe (a set lookup, an xt module it
/// does not know, an unusual expression sequence). It equals only itself, so such a rule is never taken for a model
/// rule — it is neither deleted by specification nor mistaken as already present — while its comment and target
/// stay visible on the rule.
/// </summary>
internal sealed record UndecodedMatch : NetfilterMatch
{
    public UndecodedMatch(string description) => Description = description;

    /// <summary>The expressions, as nft --debug=netlink would name them.</summary>
    public string Description { get; }

    public bool Equals(UndecodedMatch? other) => ReferenceEquals(this, other);

    public override int GetHashCode() => RuntimeHelpers.GetHashCode(this);
}
