using System.Text.Json.Serialization;

namespace Cni.Net.Samples.HostLocal;

// The reference plugin's view of the network config: IPAM plugins get the whole config of the calling plugin, of
// which host-local reads these keys. Every other key is ignored.

internal sealed record HostLocalNetConf
{
    public string? Name { get; init; }

    public string? CniVersion { get; init; }

    public HostLocalIpamConf? Ipam { get; init; }

    public HostLocalRuntimeConf? RuntimeConfig { get; init; }

    public HostLocalArgsConf? Args { get; init; }
}

/// <summary>
/// <c>ipam</c>. The legacy single range (subnet, rangeStart, rangeEnd, gateway) sits at its top, so the section is a
/// range itself; it is prepended to <c>ranges</c> as a set of its own.
/// </summary>
internal sealed record HostLocalIpamConf : RangeConf
{
    public string? Type { get; init; }

    public IReadOnlyList<IReadOnlyList<RangeConf?>?>? Ranges { get; init; }

    public IReadOnlyList<RouteConf?>? Routes { get; init; }

    public string? DataDir { get; init; }

    public string? ResolvConf { get; init; }
}

internal record RangeConf
{
    public string? Subnet { get; init; }

    public string? RangeStart { get; init; }

    public string? RangeEnd { get; init; }

    public string? Gateway { get; init; }
}

/// <summary>An entry of <c>ipam.routes</c>, as the spec's route object.</summary>
internal sealed record RouteConf
{
    public string? Dst { get; init; }

    public string? Gw { get; init; }

    public int? Mtu { get; init; }

    [JsonPropertyName("advmss")]
    public int? AdvMss { get; init; }

    public int? Priority { get; init; }

    public int? Table { get; init; }

    public int? Scope { get; init; }
}

internal sealed record HostLocalRuntimeConf
{
    /// <summary>The ipRanges capability: range sets that come before the configured ones.</summary>
    [JsonPropertyName("ipRanges")]
    public IReadOnlyList<IReadOnlyList<RangeConf?>?>? IPRanges { get; init; }

    /// <summary>The ips capability: "10.1.2.3/24" or "10.1.2.3".</summary>
    [JsonPropertyName("ips")]
    public IReadOnlyList<string?>? IPs { get; init; }
}

internal sealed record HostLocalArgsConf
{
    public HostLocalCniArgsConf? Cni { get; init; }
}

internal sealed record HostLocalCniArgsConf
{
    [JsonPropertyName("ips")]
    public IReadOnlyList<string?>? IPs { get; init; }
}

[JsonSerializable(typeof(HostLocalNetConf))]
[JsonSourceGenerationOptions(GenerationMode = JsonSourceGenerationMode.Metadata, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class HostLocalJsonContext : JsonSerializerContext;
