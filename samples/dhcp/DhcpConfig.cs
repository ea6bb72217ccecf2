using System.Text.Json.Serialization;
using Cni.Net.Plugins;

namespace Cni.Net.Samples.Dhcp;

/// <summary>What the reference dhcp plugin reads of the network config (it is passed the calling plugin's whole config).</summary>
[CniConfig]
internal sealed partial record DhcpConfig
{
    [JsonPropertyName("ipam")]
    public DhcpIpamSection? Ipam { get; init; }
}

/// <summary>The <c>ipam</c> section (plugins v1.9.1).</summary>
internal sealed record DhcpIpamSection
{
    /// <summary>The daemon's socket; empty means <c>/run/cni/dhcp.sock</c>.</summary>
    [JsonPropertyName("daemonSocketPath")]
    public string? DaemonSocketPath { get; init; }

    /// <summary>Options the client sends (host name, vendor class…), a value or one taken from CNI_ARGS.</summary>
    [JsonPropertyName("provide")]
    public List<DhcpProvideOption>? Provide { get; init; }

    /// <summary>Options the client asks for; subnet mask and routers are always asked for unless <c>skipDefault</c>.</summary>
    [JsonPropertyName("request")]
    public List<DhcpRequestOption>? Request { get; init; }

    /// <summary>The metric given to every route of the result (0: none).</summary>
    [JsonPropertyName("priority")]
    public int Priority { get; init; }
}

/// <summary>One entry of <c>provide</c>.</summary>
internal sealed record DhcpProvideOption
{
    /// <summary>A name from dhcp-options(5) the reference knows, or a number 0–255.</summary>
    [JsonPropertyName("option")]
    public string? Option { get; init; }

    [JsonPropertyName("value")]
    public string? Value { get; init; }

    /// <summary>The CNI_ARGS key whose value is sent.</summary>
    [JsonPropertyName("fromArg")]
    public string? FromArg { get; init; }
}

/// <summary>One entry of <c>request</c>.</summary>
internal sealed record DhcpRequestOption
{
    [JsonPropertyName("skipDefault")]
    public bool SkipDefault { get; init; }

    [JsonPropertyName("option")]
    public string? Option { get; init; }
}
