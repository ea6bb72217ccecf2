using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Cni.Net.Spec;

/// <summary>
/// The typed view of a plugin's <c>runtimeConfig</c>: the well-known capability arguments of CONVENTIONS.md.
/// Capabilities not listed here stay readable in <see cref="PluginConfig.RuntimeConfigJson"/>.
/// </summary>
[Plugins.CniConfig]
public sealed partial class CniRuntimeConfig
{
    /// <summary><c>portMappings</c>.</summary>
    [JsonPropertyName("portMappings")]
    public IReadOnlyList<PortMapping>? PortMappings { get; init; }

    /// <summary><c>bandwidth</c>.</summary>
    [JsonPropertyName("bandwidth")]
    public BandwidthEntry? Bandwidth { get; init; }

    /// <summary><c>ipRanges</c>: a list of range sets (dual stack = two sets).</summary>
    [JsonPropertyName("ipRanges")]
    public IReadOnlyList<IReadOnlyList<IpRange>>? IpRanges { get; init; }

    /// <summary><c>ips</c>: requested static addresses (CIDR or plain).</summary>
    [JsonPropertyName("ips")]
    public IReadOnlyList<string>? Ips { get; init; }

    /// <summary><c>mac</c>: requested hardware address.</summary>
    [JsonPropertyName("mac")]
    public string? Mac { get; init; }

    /// <summary><c>dns</c>.</summary>
    [JsonPropertyName("dns")]
    public DnsCapability? Dns { get; init; }

    /// <summary><c>aliases</c>: network-scoped aliases of the container.</summary>
    [JsonPropertyName("aliases")]
    public IReadOnlyList<string>? Aliases { get; init; }

    /// <summary><c>cgroupPath</c>.</summary>
    [JsonPropertyName("cgroupPath")]
    public string? CgroupPath { get; init; }

    /// <summary><c>deviceID</c>: a PCI address or similar device identifier.</summary>
    [JsonPropertyName("deviceID")]
    public string? DeviceId { get; init; }

    /// <summary><c>infinibandGUID</c>.</summary>
    [JsonPropertyName("infinibandGUID")]
    public string? InfinibandGuid { get; init; }

    /// <summary>The capability arguments as JSON, exactly as a runtime sends them (null members left out).</summary>
    /// <returns>A new object with one key per capability that is set.</returns>
    public JsonObject ToJsonObject() =>
        JsonSerializer.SerializeToNode(this, CniJsonContext.Plain.CniRuntimeConfig)!.AsObject();

    /// <summary>Reads capability arguments (a <c>runtimeConfig</c> object, or what a runtime passes), with Go's key rules.</summary>
    /// <param name="json">The object.</param>
    /// <returns>The typed view; capabilities it does not know are ignored.</returns>
    /// <exception cref="CniException">A known capability has the wrong shape (code 7).</exception>
    public static CniRuntimeConfig Parse(JsonObject json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return FromJson(json);
    }

    // Read by the reader [CniConfig] generates at build time: the serializer's metadata (a converter per capability
    // type, attributes read by reflection) was most of a short-lived plugin process's config-reading time.
    internal static CniRuntimeConfig FromJson(JsonObject json) => ReadCniConfig(json, new Plugins.CniConfigKeyPath("", "runtimeConfig"));
}
