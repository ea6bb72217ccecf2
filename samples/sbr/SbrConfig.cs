using System.Text.Json.Serialization;
using Cni.Net.Plugins;

namespace Cni.Net.Samples.Sbr;

/// <summary>The reference sbr plugin's keys (name, cniVersion and prevResult come through PluginConfig).</summary>
[CniConfig]
internal sealed partial record SbrConfig
{
    /// <summary>A fixed routing table: only the rules are added, the routes stay where they are.</summary>
    [JsonPropertyName("table")]
    public int? Table { get; init; }
}
