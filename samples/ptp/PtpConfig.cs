using System.Text.Json.Serialization;
using Cni.Net.Plugins;

namespace Cni.Net.Samples.Ptp;

/// <summary>The reference ptp plugin's own keys (name, cniVersion, ipam, dns and prevResult come through PluginConfig).</summary>
[CniConfig]
internal sealed partial record PtpConfig
{
    /// <summary>Masquerade the pod's traffic leaving its subnet.</summary>
    [JsonPropertyName("ipMasq")]
    public bool IPMasq { get; init; }

    /// <summary><c>iptables</c> or <c>nftables</c>; absent, the reference's default for the node.</summary>
    [JsonPropertyName("ipMasqBackend")]
    public string? IPMasqBackend { get; init; }

    /// <summary>MTU of both veth ends; 0 for the kernel's default.</summary>
    [JsonPropertyName("mtu")]
    public int Mtu { get; init; }

    /// <summary>The masquerade layout ADD writes (resolved while the config is validated).</summary>
    [JsonIgnore]
    public string MasqueradeLayout { get; set; } = Cni.Net.Conventions.ReferenceBackendChoice.Iptables;
}
