using System.Text.Json.Serialization;

namespace Cni.Net.Samples.Bandwidth;

/// <summary>
/// The reference plugin's own keys, all in bits (rates per second). <c>runtimeConfig.bandwidth</c>, when the runtime
/// passes it, replaces them as a whole (read from <see cref="Cni.Net.Plugins.CniPluginRequest.RuntimeConfig"/>).
/// </summary>
internal sealed record BandwidthNetConf
{
    public ulong IngressRate { get; init; }

    public ulong IngressBurst { get; init; }

    public ulong EgressRate { get; init; }

    public ulong EgressBurst { get; init; }

    public IReadOnlyList<string?>? ShapedSubnets { get; init; }

    public IReadOnlyList<string?>? UnshapedSubnets { get; init; }
}

[JsonSerializable(typeof(BandwidthNetConf))]
[JsonSourceGenerationOptions(GenerationMode = JsonSourceGenerationMode.Metadata, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class BandwidthJsonContext : JsonSerializerContext;
