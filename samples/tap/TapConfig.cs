using System.Text.Json.Serialization;
using Cni.Net.Plugins;

namespace Cni.Net.Samples.Tap;

/// <summary>The reference tap plugin's keys (name, cniVersion, dns and prevResult come through the request).</summary>
[CniConfig]
internal sealed partial record TapConfig
{
    /// <summary>The tap's MAC address (CNI_ARGS <c>MAC</c> and the <c>mac</c> capability win over it).</summary>
    public string? Mac { get; init; }

    /// <summary>The tap's MTU; 0 for the kernel's.</summary>
    public int Mtu { get; init; }

    /// <summary>IFF_MULTI_QUEUE.</summary>
    public bool MultiQueue { get; init; }

    /// <summary>The user that may open the tap.</summary>
    public uint? Owner { get; init; }

    /// <summary>The group that may open the tap.</summary>
    public uint? Group { get; init; }

    /// <summary>An SELinux label for creating the tap: read and ignored (see docs/plugin-keys.md).</summary>
    public string? SelinuxContext { get; init; }

    /// <summary>A bridge in the pod's namespace the tap becomes a port of.</summary>
    public string? Bridge { get; init; }

    /// <summary><c>ipam</c>: only its <c>type</c> matters here (the section goes to the IPAM plugin whole).</summary>
    public TapIpam? Ipam { get; init; }

    /// <summary><c>runtimeConfig.mac</c>.</summary>
    public TapRuntimeConfig? RuntimeConfig { get; init; }

    [JsonIgnore]
    public bool HasIpam => !string.IsNullOrEmpty(Ipam?.Type);
}

internal sealed record TapIpam
{
    public string? Type { get; init; }
}

internal sealed record TapRuntimeConfig
{
    public string? Mac { get; init; }
}
