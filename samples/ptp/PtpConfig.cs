using System.Text.Json.Serialization;

namespace Cni.Net.Samples.Ptp;

/// <summary>The reference ptp plugin's own keys (name, cniVersion, ipam, dns and prevResult come through PluginConfig).</summary>
internal sealed record PtpConfig
{
    /// <summary>Masquerade the pod's traffic leaving its subnet.</summary>
    [JsonPropertyName("ipMasq")]
    public bool IPMasq { get; init; }

    /// <summary><c>iptables</c> (the default) or <c>nftables</c>.</summary>
    [JsonPropertyName("ipMasqBackend")]
    public string? IPMasqBackend { get; init; }

    /// <summary>MTU of both veth ends; 0 for the kernel's default.</summary>
    [JsonPropertyName("mtu")]
    public int Mtu { get; init; }
}

[JsonSerializable(typeof(PtpConfig))]
internal sealed partial class PtpJsonContext : JsonSerializerContext;
