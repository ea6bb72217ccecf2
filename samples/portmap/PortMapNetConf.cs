using System.Text.Json.Serialization;
using Cni.Net.Plugins;

namespace Cni.Net.Samples.PortMap;

// The reference plugin's own keys; name, cniVersion, runtimeConfig and prevResult are read through PluginConfig.
[CniConfig]
internal sealed partial record PortMapNetConf
{
    [JsonPropertyName("backend")]
    public string? Backend { get; init; }

    [JsonPropertyName("snat")]
    public bool? Snat { get; init; }

    [JsonPropertyName("markMasqBit")]
    public int? MarkMasqBit { get; init; }

    [JsonPropertyName("externalSetMarkChain")]
    public string? ExternalSetMarkChain { get; init; }

    [JsonPropertyName("masqAll")]
    public bool? MasqAll { get; init; }

    [JsonPropertyName("conditionsV4")]
    public List<string>? ConditionsV4 { get; init; }

    [JsonPropertyName("conditionsV6")]
    public List<string>? ConditionsV6 { get; init; }

    /// <summary>
    /// The layout <see cref="PortMapSettings.Validate"/> settled on (the configured one, else the node's default): the
    /// default is a PATH search for iptables, done once per invocation rather than again when the settings are read.
    /// </summary>
    [JsonIgnore]
    public string? ResolvedBackend { get; set; }
}
