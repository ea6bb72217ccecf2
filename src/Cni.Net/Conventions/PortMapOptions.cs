using Cni.Net.Netfilter;

namespace Cni.Net.Conventions;

/// <summary>The portmap plugin's knobs that shape its rules.</summary>
public sealed class PortMapOptions
{
    /// <summary>Masquerade hairpin and localhost connections (portmap's <c>snat</c>, default true).</summary>
    public bool Snat { get; set; } = true;

    /// <summary>The mark bit that asks for masquerade (portmap's <c>markMasqBit</c>, default 13, 0 to 31).</summary>
    public int MarkMasqBit { get; set; } = 13;

    /// <summary>A chain that sets the masquerade mark, owned by someone else (portmap's <c>externalSetMarkChain</c>).</summary>
    public string? ExternalSetMarkChain { get; set; }

    /// <summary>
    /// Mark every connection to a mapped port for masquerade, not only hairpin and localhost ones (portmap's
    /// <c>masqAll</c>; newer than the Debian 1.1.1 reference, so not compared with a reference binary).
    /// </summary>
    public bool MasqueradeAll { get; set; }

    /// <summary>Extra iptables matches for the IPv4 entry rules, as an argv (portmap's <c>conditionsV4</c>).</summary>
    public IReadOnlyList<string>? ConditionsV4 { get; set; }

    /// <summary>Extra iptables matches for the IPv6 entry rules, as an argv (portmap's <c>conditionsV6</c>).</summary>
    public IReadOnlyList<string>? ConditionsV6 { get; set; }
}
