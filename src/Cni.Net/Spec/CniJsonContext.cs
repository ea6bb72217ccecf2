using System.Text.Json.Serialization;

namespace Cni.Net.Spec;

/// <summary>The one source-generated JSON context of the Spec types (no reflection; AOT and trim safe).</summary>
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.Strict,
    PropertyNameCaseInsensitive = true, // keys are read as Go reads them (CniJsonKeys)
    AllowTrailingCommas = false,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Disallow)]
[JsonSerializable(typeof(CniRuntimeConfig))]
[JsonSerializable(typeof(PortMapping))]
[JsonSerializable(typeof(BandwidthEntry))]
[JsonSerializable(typeof(IpRange))]
[JsonSerializable(typeof(DnsCapability))]
[JsonSerializable(typeof(CniConventionArgs))]
internal sealed partial class CniJsonContext : JsonSerializerContext
{
}
