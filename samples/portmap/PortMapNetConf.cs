using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cni.Net.Samples.PortMap;

// The reference plugin's own keys; name, cniVersion, runtimeConfig and prevResult are read through PluginConfig.
internal sealed class PortMapNetConf
{
    [JsonPropertyName("snat")]
    public bool? Snat { get; set; }

    [JsonPropertyName("markMasqBit")]
    public int? MarkMasqBit { get; set; }

    [JsonPropertyName("externalSetMarkChain")]
    public string? ExternalSetMarkChain { get; set; }

    [JsonPropertyName("masqAll")]
    public bool? MasqAll { get; set; }

    [JsonPropertyName("conditionsV4")]
    public List<string>? ConditionsV4 { get; set; }

    [JsonPropertyName("conditionsV6")]
    public List<string>? ConditionsV6 { get; set; }
}

[JsonSerializable(typeof(PortMapNetConf))]
[JsonSourceGenerationOptions(ReadCommentHandling = JsonCommentHandling.Disallow)]
internal sealed partial class PortMapJsonContext : JsonSerializerContext;
