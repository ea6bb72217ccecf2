using System.Net;

namespace Cni.Net.Dhcp;

/// <summary>A route a DHCP server hands out (option 121 or 33): a destination and the router toward it.</summary>
/// <param name="Destination">The destination network.</param>
/// <param name="Gateway">The router; 0.0.0.0 in option 121 means the destination is on the link.</param>
public readonly record struct DhcpRoute(IPNetwork Destination, IPAddress Gateway)
{
    /// <summary>Whether the destination is directly on the link (option 121 router 0.0.0.0).</summary>
    public bool OnLink => Gateway.Equals(IPAddress.Any);
}
