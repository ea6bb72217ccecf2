using System.Text.Json;
using System.Text.Json.Serialization;
using Cni.Net.Plugins;

namespace Cni.Net.Samples.Static;

/// <summary>What the reference static IPAM plugin reads of the network config.</summary>
[CniConfig]
internal sealed partial record StaticConfig
{
    [JsonPropertyName("ipam")]
    public StaticIpamSection? Ipam { get; init; }

    [JsonPropertyName("runtimeConfig")]
    public StaticIps? RuntimeConfig { get; init; }

    [JsonPropertyName("args")]
    public StaticArgs? Args { get; init; }
}

/// <summary>The <c>ipam</c> section.</summary>
internal sealed record StaticIpamSection
{
    [JsonPropertyName("addresses")]
    public List<StaticAddress>? Addresses { get; init; }

    /// <summary>Routes as in a CNI result (read through the result reader).</summary>
    [JsonPropertyName("routes")]
    public JsonElement? Routes { get; init; }

    /// <summary>DNS as in a CNI result.</summary>
    [JsonPropertyName("dns")]
    public JsonElement? Dns { get; init; }
}

/// <summary>One configured address.</summary>
internal sealed record StaticAddress
{
    [JsonPropertyName("address")]
    public string Address { get; init; } = "";

    [JsonPropertyName("gateway")]
    public string? Gateway { get; init; }
}

/// <summary>The <c>ips</c> capability, or <c>args.cni</c>.</summary>
internal sealed record StaticIps
{
    [JsonPropertyName("ips")]
    public List<string>? Ips { get; init; }
}

/// <summary><c>args</c>: only <c>cni.ips</c> is read.</summary>
internal sealed record StaticArgs
{
    [JsonPropertyName("cni")]
    public StaticIps? Cni { get; init; }
}
