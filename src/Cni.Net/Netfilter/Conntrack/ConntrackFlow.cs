using System.Net;
using System.Net.Sockets;
using Cni.Net.Netfilter;

namespace Cni.Net.Netfilter.Conntrack;

/// <summary>
/// A connection-tracking entry as seen in its original direction (the first packet's addresses and ports), as
/// <c>conntrack -L</c> prints it first.
/// </summary>
/// <param name="Protocol">The layer-4 protocol (UDP = 17, TCP = 6 …).</param>
/// <param name="Source">The original source address.</param>
/// <param name="SourcePort">The original source port (0 for protocols without ports).</param>
/// <param name="Destination">The original destination address.</param>
/// <param name="DestinationPort">The original destination port (0 for protocols without ports).</param>
/// <param name="Zone">The conntrack zone (0 is the default zone).</param>
public readonly record struct ConntrackFlow(
    ProtocolType Protocol, IPAddress Source, ushort SourcePort, IPAddress Destination, ushort DestinationPort, ushort Zone);
