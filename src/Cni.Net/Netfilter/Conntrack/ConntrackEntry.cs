using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Cni.Net.Netfilter;

namespace Cni.Net.Netfilter.Conntrack;

/// <summary>
/// What ctnetlink needs to find one entry again: the original tuple, the zone (top-level and per-tuple) and the id.
/// Addresses live inline so that decoding a large dump allocates nothing per entry.
/// </summary>
internal struct ConntrackEntry
{
    public byte Family;
    public byte Protocol;
    public ConntrackAddressBytes Source;
    public ConntrackAddressBytes Destination;
    public ushort SourcePort;
    public ushort DestinationPort;
    public ushort Zone;
    public bool HasZone;
    public ushort TupleZone;
    public bool HasTupleZone;
    public uint Id;
    public bool HasId;

    public readonly int AddressLength => Family == ConntrackLayout.AF_INET6 ? 16 : 4;

    public readonly ConntrackFlow ToFlow()
    {
        int length = AddressLength;
        ReadOnlySpan<byte> source = Source;
        ReadOnlySpan<byte> destination = Destination;
        return new ConntrackFlow((ProtocolType)Protocol, new IPAddress(source[..length]), SourcePort,
            new IPAddress(destination[..length]), DestinationPort, HasZone ? Zone : (ushort)0);
    }
}

/// <summary>Room for an IPv4 or IPv6 address, network byte order.</summary>
[InlineArray(16)]
internal struct ConntrackAddressBytes
{
    private byte _first;
}
