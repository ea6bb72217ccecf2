using System.Text.Json.Serialization;
using Cni.Net.Plugins;

namespace Cni.Net.Samples.Macvlan;

/// <summary>The reference macvlan plugin's keys (name, cniVersion, ipam, dns and prevResult come through PluginConfig).</summary>
[CniConfig]
internal sealed partial record MacvlanConfig
{
    /// <summary>The parent interface; empty for the interface of the default route.</summary>
    [JsonPropertyName("master")]
    public string? Master { get; init; }

    /// <summary><c>bridge</c> (default), <c>private</c>, <c>vepa</c> or <c>passthru</c>.</summary>
    [JsonPropertyName("mode")]
    public string? Mode { get; init; }

    /// <summary>MTU, at most the parent's; 0 for the parent's.</summary>
    [JsonPropertyName("mtu")]
    public int Mtu { get; init; }

    /// <summary>A MAC address for the interface.</summary>
    [JsonPropertyName("mac")]
    public string? Mac { get; init; }

    /// <summary>The parent lives in the pod's namespace rather than the node's.</summary>
    [JsonPropertyName("linkInContainer")]
    public bool LinkInContainer { get; init; }

    /// <summary>The <c>mac</c> capability.</summary>
    [JsonPropertyName("runtimeConfig")]
    public MacvlanRuntimeConfig? RuntimeConfig { get; init; }
}

/// <summary>runtimeConfig: the <c>mac</c> capability.</summary>
internal sealed record MacvlanRuntimeConfig
{
    [JsonPropertyName("mac")]
    public string? Mac { get; init; }
}
