using System.Text.Json.Serialization;
using Cni.Net.Plugins;

namespace Cni.Net.Samples.HostLocal;

// The reference plugin's view of the network config: IPAM plugins get the whole config of the calling plugin, of
// which host-local reads these keys. Every other key is ignored.
// Members have setters, not init: the serializer fills init-only members through a constructor call whose arguments
// it keeps in pooled arrays, and two such records nested (the config and its ipam) make the shared pool set up its
// per-core lists, timing the CPU-number lookup first: 0.1 ms of every host-local start.

[CniConfig]
internal sealed partial record HostLocalNetConf
{
    public string? Name { get; set; }

    public string? CniVersion { get; set; }

    public HostLocalIpamConf? Ipam { get; set; }

    public HostLocalRuntimeConf? RuntimeConfig { get; set; }

    public HostLocalArgsConf? Args { get; set; }
}

/// <summary>
/// <c>ipam</c>. The legacy single range (subnet, rangeStart, rangeEnd, gateway) sits at its top, so the section is a
/// range itself; it is prepended to <c>ranges</c> as a set of its own.
/// </summary>
internal sealed record HostLocalIpamConf : RangeConf
{
    public string? Type { get; set; }

    public IReadOnlyList<IReadOnlyList<RangeConf?>?>? Ranges { get; set; }

    public IReadOnlyList<RouteConf?>? Routes { get; set; }

    public string? DataDir { get; set; }

    public string? ResolvConf { get; set; }
}

internal record RangeConf
{
    public string? Subnet { get; set; }

    public string? RangeStart { get; set; }

    public string? RangeEnd { get; set; }

    public string? Gateway { get; set; }
}

/// <summary>An entry of <c>ipam.routes</c>, as the spec's route object.</summary>
internal sealed record RouteConf
{
    public string? Dst { get; set; }

    public string? Gw { get; set; }

    public int? Mtu { get; set; }

    [JsonPropertyName("advmss")]
    public int? AdvMss { get; set; }

    public int? Priority { get; set; }

    public int? Table { get; set; }

    public int? Scope { get; set; }
}

internal sealed record HostLocalRuntimeConf
{
    /// <summary>The ipRanges capability: range sets that come before the configured ones.</summary>
    [JsonPropertyName("ipRanges")]
    public IReadOnlyList<IReadOnlyList<RangeConf?>?>? IPRanges { get; set; }

    /// <summary>The ips capability: "10.1.2.3/24" or "10.1.2.3".</summary>
    [JsonPropertyName("ips")]
    public IReadOnlyList<string?>? IPs { get; set; }
}

internal sealed record HostLocalArgsConf
{
    public HostLocalCniArgsConf? Cni { get; set; }
}

internal sealed record HostLocalCniArgsConf
{
    [JsonPropertyName("ips")]
    public IReadOnlyList<string?>? IPs { get; set; }
}
