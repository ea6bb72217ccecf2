using System.Net;
using System.Net.Sockets;

namespace Cni.Net.Netlink.Route;

/// <summary>A VXLAN tunnel endpoint.</summary>
public sealed class VxlanLink : LinkDefinition
{
    /// <summary>Describes the VXLAN <paramref name="name"/> with VNI <paramref name="id"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> exceeds 24 bits.</exception>
    public VxlanLink(string name, uint id)
        : base(name)
    {
        Id = id;
    }

    /// <inheritdoc/>
    public override string Kind => "vxlan";

    /// <summary>The VXLAN network identifier (24 bits).</summary>
    public uint Id
    {
        get;
        set
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 0xFFFFFFu);
            field = value;
        }
    }

    /// <summary>UDP destination port (IFLA_VXLAN_PORT, big-endian on the wire); the kernel's default is 8472.</summary>
    public ushort? Port { get; set; }

    /// <summary>Local (source) address.</summary>
    public IPAddress? Local { get; set; }

    /// <summary>Remote unicast address or multicast group (both are IFLA_VXLAN_GROUP/GROUP6).</summary>
    public IPAddress? Remote { get; set; }

    /// <summary>Index of the underlying device (IFLA_VXLAN_LINK).</summary>
    public int? UnderlyingIndex { get; set; }

    /// <summary>MAC learning (IFLA_VXLAN_LEARNING); on by default in the kernel.</summary>
    public bool? Learning { get; set; }

    /// <summary>TTL of the outer packets (0 = inherit).</summary>
    public byte? Ttl { get; set; }

    private protected override bool HasInfoData => true;

    private protected override void WriteInfoData(ref NetlinkWriter writer)
    {
        writer.WriteUInt32(Ifla.IFLA_VXLAN_ID, Id);
        if (Remote is not null)
        {
            writer.WriteIPAddress(Remote.AddressFamily == AddressFamily.InterNetworkV6 ? Ifla.IFLA_VXLAN_GROUP6 : Ifla.IFLA_VXLAN_GROUP, Remote);
        }
        if (Local is not null)
        {
            writer.WriteIPAddress(Local.AddressFamily == AddressFamily.InterNetworkV6 ? Ifla.IFLA_VXLAN_LOCAL6 : Ifla.IFLA_VXLAN_LOCAL, Local);
        }
        if (UnderlyingIndex is int link)
        {
            writer.WriteUInt32(Ifla.IFLA_VXLAN_LINK, (uint)link);
        }
        if (Ttl is byte ttl)
        {
            writer.WriteUInt8(Ifla.IFLA_VXLAN_TTL, ttl);
        }
        if (Learning is bool learning)
        {
            writer.WriteUInt8(Ifla.IFLA_VXLAN_LEARNING, learning ? (byte)1 : (byte)0);
        }
        if (Port is ushort port)
        {
            writer.WriteUInt16BigEndian(Ifla.IFLA_VXLAN_PORT, port);
        }
    }
}
