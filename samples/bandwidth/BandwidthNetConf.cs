using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cni.Net.Samples.Bandwidth;

// The reference plugin's own keys, all in bits (rates per second); runtimeConfig.bandwidth is read through
// PluginConfig and replaces them as a whole when present.
internal sealed class BandwidthNetConf
{
    [JsonPropertyName("ingressRate")]
    public ulong IngressRate { get; set; }

    [JsonPropertyName("ingressBurst")]
    public ulong IngressBurst { get; set; }

    [JsonPropertyName("egressRate")]
    public ulong EgressRate { get; set; }

    [JsonPropertyName("egressBurst")]
    public ulong EgressBurst { get; set; }

    [JsonPropertyName("shapedSubnets")]
    public List<string>? ShapedSubnets { get; set; }

    [JsonPropertyName("unshapedSubnets")]
    public List<string>? UnshapedSubnets { get; set; }
}

[JsonSerializable(typeof(BandwidthNetConf))]
[JsonSourceGenerationOptions(ReadCommentHandling = JsonCommentHandling.Disallow)]
internal sealed partial class BandwidthJsonContext : JsonSerializerContext;
