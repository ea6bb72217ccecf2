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
}
