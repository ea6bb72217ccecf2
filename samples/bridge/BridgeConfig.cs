using System.Text.Json.Serialization;

namespace Cni.Samples.Bridge;

/// <summary>The reference bridge plugin's configuration keys (unknown keys are ignored).</summary>
internal sealed class BridgeConfig
{
    [JsonPropertyName("bridge")]
    public string? Bridge { get; set; }

    [JsonPropertyName("isGateway")]
    public bool IsGateway { get; set; }

    [JsonPropertyName("isDefaultGateway")]
    public bool IsDefaultGateway { get; set; }

    [JsonPropertyName("forceAddress")]
    public bool ForceAddress { get; set; }

    [JsonPropertyName("ipMasq")]
    public bool IPMasq { get; set; }

    [JsonPropertyName("mtu")]
    public int Mtu { get; set; }

    [JsonPropertyName("hairpinMode")]
    public bool HairpinMode { get; set; }

    [JsonPropertyName("promiscMode")]
    public bool PromiscMode { get; set; }

    [JsonPropertyName("vlan")]
    public int Vlan { get; set; }

    [JsonPropertyName("preserveDefaultVlan")]
    public bool PreserveDefaultVlan { get; set; } = true;

    [JsonPropertyName("enabledad")]
    public bool EnableDad { get; set; }

    [JsonPropertyName("macspoofchk")]
    public bool MacSpoofCheck { get; set; }

    [JsonPropertyName("args")]
    public BridgeArgs? Args { get; set; }

    [JsonPropertyName("runtimeConfig")]
    public BridgeRuntimeConfig? RuntimeConfig { get; set; }

    public string BridgeName => string.IsNullOrEmpty(Bridge) ? "cni0" : Bridge;
}

internal sealed class BridgeArgs
{
    [JsonPropertyName("cni")]
    public BridgeRuntimeConfig? Cni { get; set; }
}

internal sealed class BridgeRuntimeConfig
{
    [JsonPropertyName("mac")]
    public string? Mac { get; set; }
}

[JsonSerializable(typeof(BridgeConfig))]
[JsonSourceGenerationOptions(NumberHandling = JsonNumberHandling.Strict)]
internal sealed partial class BridgeJsonContext : JsonSerializerContext;
