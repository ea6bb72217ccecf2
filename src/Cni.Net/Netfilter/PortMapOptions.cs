namespace Cni.Net.Netfilter;

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
    /// Mark every forwarded connection for masquerade, not only hairpin and localhost ones (portmap's <c>masqAll</c>,
    /// default false).
    /// </summary>
    public bool MasqAll { get; set; }

    /// <summary>
    /// Extra iptables match arguments added to the container's IPv4 entry rules (portmap's <c>conditionsV4</c>), such
    /// as <c>["!", "-d", "10.0.0.0/8"]</c>; each string is one argument, never split by a shell.
    /// </summary>
    public IReadOnlyList<string>? ConditionsV4 { get; set; }

    /// <summary>The IPv6 counterpart of <see cref="ConditionsV4"/> (portmap's <c>conditionsV6</c>).</summary>
    public IReadOnlyList<string>? ConditionsV6 { get; set; }
}
