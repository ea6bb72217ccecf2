using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cni.Net.Samples.HostLocal;

// The reference plugin's view of the network config: IPAM plugins get the whole config of the calling plugin,
// of which host-local reads these keys. Every other key is ignored.

internal sealed class HostLocalNetConf
{
    [JsonPropertyName("name")]
    public string? Name { get; set; }

    [JsonPropertyName("cniVersion")]
    public string? CniVersion { get; set; }

    [JsonPropertyName("ipam")]
    public HostLocalIpamConf? Ipam { get; set; }

    [JsonPropertyName("runtimeConfig")]
    public HostLocalRuntimeConf? RuntimeConfig { get; set; }

    [JsonPropertyName("args")]
    public HostLocalArgsConf? Args { get; set; }
}

// The legacy single range (subnet, rangeStart, rangeEnd, gateway) sits at the top of "ipam", so the ipam section is
// a range itself; it is prepended to "ranges" as a set of its own.
internal sealed class HostLocalIpamConf : RangeConf
{
    [JsonPropertyName("type")]
    public string? Type { get; set; }

    [JsonPropertyName("ranges")]
    public List<List<RangeConf>>? Ranges { get; set; }

    [JsonPropertyName("routes")]
    public List<JsonElement>? Routes { get; set; }

    [JsonPropertyName("dataDir")]
    public string? DataDir { get; set; }

    [JsonPropertyName("resolvConf")]
    public string? ResolvConf { get; set; }
}

internal class RangeConf
{
    [JsonPropertyName("subnet")]
    public string? Subnet { get; set; }

    [JsonPropertyName("rangeStart")]
    public string? RangeStart { get; set; }

    [JsonPropertyName("rangeEnd")]
    public string? RangeEnd { get; set; }

    [JsonPropertyName("gateway")]
    public string? Gateway { get; set; }
}

internal sealed class HostLocalRuntimeConf
{
    // The ipRanges capability: range sets that come before the configured ones.
    [JsonPropertyName("ipRanges")]
    public List<List<RangeConf>>? IPRanges { get; set; }

    // The ips capability: "10.1.2.3/24" or "10.1.2.3".
    [JsonPropertyName("ips")]
    public List<string>? IPs { get; set; }
}

internal sealed class HostLocalArgsConf
{
    [JsonPropertyName("cni")]
    public HostLocalCniArgsConf? Cni { get; set; }
}

internal sealed class HostLocalCniArgsConf
{
    [JsonPropertyName("ips")]
    public List<string>? IPs { get; set; }
}

[JsonSerializable(typeof(HostLocalNetConf))]
[JsonSourceGenerationOptions(AllowTrailingCommas = false, ReadCommentHandling = JsonCommentHandling.Disallow)]
internal sealed partial class HostLocalJsonContext : JsonSerializerContext;
