using System.Text.Json.Serialization;
using Cni.Net.Plugins;

namespace Cni.Net.Samples.Firewall;

/// <summary>The reference firewall plugin's keys (name, cniVersion and prevResult come through PluginConfig).</summary>
[CniConfig]
internal sealed partial record FirewallConfig
{
    /// <summary><c>iptables</c>, <c>firewalld</c>, or empty (iptables here: firewalld is not available).</summary>
    [JsonPropertyName("backend")]
    public string? Backend { get; init; }

    /// <summary>The admin chain (<c>CNI-ADMIN</c> by default).</summary>
    [JsonPropertyName("iptablesAdminChainName")]
    public string? IptablesAdminChainName { get; init; }

    /// <summary>The firewalld zone (firewalld backend only).</summary>
    [JsonPropertyName("firewalldZone")]
    public string? FirewalldZone { get; init; }

    /// <summary><c>open</c> (default), <c>same-bridge</c> or <c>isolated</c>.</summary>
    [JsonPropertyName("ingressPolicy")]
    public string? IngressPolicy { get; init; }
}
