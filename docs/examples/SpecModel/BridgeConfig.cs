using System.Text.Json.Serialization;

namespace Cni.Net.Examples.SpecModel;

#region typed-view
internal sealed class BridgeConfig
{
    [JsonPropertyName("bridge")] public string Bridge { get; set; } = "cni0";
    [JsonPropertyName("isGateway")] public bool IsGateway { get; set; }
}

[JsonSerializable(typeof(BridgeConfig))]
internal sealed partial class BridgeJsonContext : JsonSerializerContext;
#endregion
