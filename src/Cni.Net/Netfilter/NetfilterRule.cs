using System.Net;

namespace Cni.Net.Netfilter;

/// <summary>
/// One packet-filter rule, independent of how it is applied (iptables-nft today, native nftables later).
/// Two rules are equal when they match the same packets the same way and do the same thing.
/// </summary>
public sealed record NetfilterRule
{
    /// <summary>The protocol name (<c>tcp</c>, <c>udp</c>, <c>sctp</c>, <c>icmp</c>, <c>ipv6-icmp</c>), or null for any.</summary>
    public string? Protocol { get; init; }

    /// <summary>Negates <see cref="Protocol"/>.</summary>
    public bool ProtocolNegated { get; init; }

    /// <summary>The source prefix (<c>-s</c>), or null for any.</summary>
    public IPNetwork? Source { get; init; }

    /// <summary>Negates <see cref="Source"/>.</summary>
    public bool SourceNegated { get; init; }

    /// <summary>The destination prefix (<c>-d</c>), or null for any.</summary>
    public IPNetwork? Destination { get; init; }

    /// <summary>Negates <see cref="Destination"/>.</summary>
    public bool DestinationNegated { get; init; }

    /// <summary>The incoming interface (<c>-i</c>; a trailing <c>+</c> matches a prefix), or null for any.</summary>
    public string? InInterface { get; init; }

    /// <summary>Negates <see cref="InInterface"/>.</summary>
    public bool InInterfaceNegated { get; init; }

    /// <summary>The outgoing interface (<c>-o</c>), or null for any.</summary>
    public string? OutInterface { get; init; }

    /// <summary>Negates <see cref="OutInterface"/>.</summary>
    public bool OutInterfaceNegated { get; init; }

    /// <summary>Further matches, in order.</summary>
    public IReadOnlyList<NetfilterMatch> Matches { get; init; } = [];

    /// <summary>What happens to a matching packet, or null to only count it.</summary>
    public NetfilterTarget? Target { get; init; }

    /// <summary>The text of the first comment match, or null.</summary>
    public string? Comment
    {
        get
        {
            foreach (NetfilterMatch m in Matches)
            {
                if (m is CommentMatch c)
                {
                    return c.Text;
                }
            }
            return null;
        }
    }

    /// <inheritdoc/>
    public bool Equals(NetfilterRule? other) =>
        other is not null
        && Protocol == other.Protocol && ProtocolNegated == other.ProtocolNegated
        && Nullable.Equals(Source, other.Source) && SourceNegated == other.SourceNegated
        && Nullable.Equals(Destination, other.Destination) && DestinationNegated == other.DestinationNegated
        && InInterface == other.InInterface && InInterfaceNegated == other.InInterfaceNegated
        && OutInterface == other.OutInterface && OutInterfaceNegated == other.OutInterfaceNegated
        && Matches.SequenceEqual(other.Matches)
        && Equals(Target, other.Target);

    /// <summary>The rule as <c>iptables-save</c> prints it after <c>-A CHAIN</c>, such as
    /// <c>-s 10.1.0.2/32 -m comment --comment "name: \"demo\"" -j CNI-252f4939ab2087ea53803952</c>.</summary>
    public override string ToString() => IptablesRuleFormatter.FormatSpec(this);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Protocol, Source, Destination, InInterface, OutInterface, Matches.Count, Target);
}
