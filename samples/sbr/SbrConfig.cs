using System.Text.Json.Serialization;

namespace Cni.Net.Samples.Sbr;

/// <summary>The reference sbr plugin's keys (name, cniVersion and prevResult come through PluginConfig).</summary>
internal sealed record SbrConfig
{
    /// <summary>A fixed routing table: only the rules are added, the routes stay where they are.</summary>
    [JsonPropertyName("table")]
    public int? Table { get; init; }
}

[JsonSerializable(typeof(SbrConfig))]
[JsonSourceGenerationOptions(GenerationMode = JsonSourceGenerationMode.Metadata)]
internal sealed partial class SbrJsonContext : JsonSerializerContext;
