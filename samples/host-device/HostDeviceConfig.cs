using System.Text.Json.Serialization;
using Cni.Net.Plugins;

namespace Cni.Net.Samples.HostDevice;

/// <summary>The reference host-device plugin's keys (name, cniVersion, dns and prevResult come through the request).</summary>
[CniConfig]
internal sealed partial record HostDeviceConfig
{
    /// <summary>The node link's name.</summary>
    public string? Device { get; init; }

    /// <summary>The node link's MAC address.</summary>
    [JsonPropertyName("hwaddr")]
    public string? HardwareAddress { get; init; }

    /// <summary>The device's sysfs path (<c>/sys/devices/…</c>); the link is the first entry of its <c>net/</c>.</summary>
    [JsonPropertyName("kernelpath")]
    public string? KernelPath { get; init; }

    /// <summary>The device's PCI address.</summary>
    [JsonPropertyName("pciBusID")]
    public string? PciBusId { get; init; }

    /// <summary><c>ipam</c>: only its <c>type</c> matters here (the section goes to the IPAM plugin whole).</summary>
    public HostDeviceIpam? Ipam { get; init; }

    /// <summary><c>runtimeConfig.deviceID</c>: a device plugin's PCI or auxiliary device, which replaces the keys above.</summary>
    public HostDeviceRuntimeConfig? RuntimeConfig { get; init; }

    [JsonIgnore]
    public bool HasIpam => !string.IsNullOrEmpty(Ipam?.Type);
}

internal sealed record HostDeviceIpam
{
    public string? Type { get; init; }
}

internal sealed record HostDeviceRuntimeConfig
{
    [JsonPropertyName("deviceID")]
    public string? DeviceId { get; init; }
}
