using System.Net;
using Cni.Net.Netfilter;
using Cni.Net.Spec;

namespace Cni.Net.Conventions;

/// <summary>
/// The one conversion between the <c>portMappings</c> capability as it travels (<see cref="PortMapping"/>: JSON, ports
/// as numbers, protocol and host IP as text) and the validated form the netfilter rule builders take
/// (<see cref="HostPortMapping"/>: 16-bit ports, lower-case protocol, parsed address).
/// </summary>
public static class PortMappingConversions
{
    /// <summary>Validates one capability entry and converts it, as the reference portmap reads it.</summary>
    /// <param name="mapping">The entry.</param>
    /// <returns>Ports checked to be 1–65535, protocol <c>tcp</c> when empty, <c>hostIP</c> parsed (null when empty).</returns>
    /// <exception cref="CniException">A port is out of range, the protocol is not tcp/udp/sctp or hostIP is not an
    /// address (code 7, "invalid network config").</exception>
    public static HostPortMapping ToHostPortMapping(this PortMapping mapping) => Convert(mapping, "portMappings");

    /// <summary>Converts every entry (see <see cref="ToHostPortMapping(PortMapping)"/>); an error names the entry's index.</summary>
    /// <param name="mappings">The entries, as in <see cref="CniRuntimeConfig.PortMappings"/>.</param>
    /// <returns>The converted entries in order.</returns>
    /// <exception cref="CniException">An entry is invalid (code 7); the message starts with <c>runtimeConfig.portMappings[i]</c>.</exception>
    public static List<HostPortMapping> ToHostPortMappings(this IEnumerable<PortMapping> mappings)
    {
        ArgumentNullException.ThrowIfNull(mappings);
        var converted = new List<HostPortMapping>();
        int index = 0;
        foreach (PortMapping m in mappings)
        {
            converted.Add(Convert(m, $"runtimeConfig.portMappings[{index++}]"));
        }
        return converted;
    }

    /// <summary>The capability entry a runtime would send for <paramref name="mapping"/>.</summary>
    /// <param name="mapping">The validated mapping.</param>
    /// <returns>The entry; <c>hostIP</c> left out when any address is forwarded.</returns>
    public static PortMapping ToPortMapping(this HostPortMapping mapping) => new()
    {
        HostPort = mapping.HostPort,
        ContainerPort = mapping.ContainerPort,
        Protocol = mapping.Protocol,
        HostIP = mapping.HostAddress is { } a && !a.Equals(IPAddress.Any) && !a.Equals(IPAddress.IPv6Any) ? a.ToString() : null,
    };

    private static HostPortMapping Convert(PortMapping entry, string where)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.HostPort is <= 0 or > ushort.MaxValue)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, $"{where}: invalid host port number: {entry.HostPort}");
        }
        if (entry.ContainerPort is <= 0 or > ushort.MaxValue)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, $"{where}: invalid container port number: {entry.ContainerPort}");
        }
        string protocol = string.IsNullOrEmpty(entry.Protocol) ? "tcp" : entry.Protocol.ToLowerInvariant();
        if (protocol is not ("tcp" or "udp" or "sctp"))
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, $"{where}: protocol must be tcp, udp or sctp, not '{entry.Protocol}'");
        }
        IPAddress? hostAddress = null;
        if (!string.IsNullOrEmpty(entry.HostIP) && !IPAddress.TryParse(entry.HostIP, out hostAddress))
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, $"{where}: hostIP '{entry.HostIP}' is not an IP address");
        }
        return new HostPortMapping((ushort)entry.HostPort, (ushort)entry.ContainerPort, protocol, hostAddress);
    }
}
