using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cni.Net.Spec;

/// <summary>The one source-generated JSON context of the Spec types (no reflection; AOT and trim safe).</summary>
[JsonSourceGenerationOptions(
    GenerationMode = JsonSourceGenerationMode.Metadata, // no fast-path writers, whose static names need the default encoder
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
    /// <summary>
    /// The contract under the library's encoder: configuring a type escapes its property names, and the default
    /// encoder builds its Unicode tables for that, a measurable part of a plugin process's life.
    /// </summary>
    public static CniJsonContext Plain => s_plain ??= new(new JsonSerializerOptions(Default.Options) { Encoder = CniJsonEncoder.Instance });

    // Made on first use: a static initializer here could run before the generated part's Default is set.
    private static CniJsonContext? s_plain;
}
