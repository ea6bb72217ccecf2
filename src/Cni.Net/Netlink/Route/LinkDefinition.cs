using System.Net.NetworkInformation;
using Cni.Net.Namespaces;

namespace Cni.Net.Netlink.Route;

/// <summary>
/// Describes a link to create with <see cref="RouteNetlink.AddLink(LinkDefinition)"/>: the settings every kind
/// shares. The kinds are <see cref="VethLink"/>, <see cref="BridgeLink"/>, <see cref="MacvlanLink"/>,
/// <see cref="IpvlanLink"/>, <see cref="VlanLink"/>, <see cref="VxlanLink"/>, <see cref="DummyLink"/> and
/// <see cref="IfbLink"/>. A definition can be reused (change <see cref="Name"/> and add again).
/// </summary>
public abstract class LinkDefinition
{
    private protected LinkDefinition(string name)
    {
        Name = name;
    }

    /// <summary>The interface name (at most 15 bytes).</summary>
    public string Name { get; set; }

    /// <summary>The kind string the kernel knows the driver by (<c>veth</c>, <c>bridge</c> …).</summary>
    public abstract string Kind { get; }

    /// <summary>MTU, or <see langword="null"/> for the driver's default.</summary>
    public int? Mtu { get; set; }

    /// <summary>MAC address, or <see langword="null"/> for a random one.</summary>
    public PhysicalAddress? MacAddress { get; set; }

    /// <summary>Transmit queue length, or <see langword="null"/> for the default.</summary>
    public uint? TxQueueLength { get; set; }

    /// <summary>Index of the master (a bridge) to enslave the new link to.</summary>
    public int? MasterIndex { get; set; }

    /// <summary>Link group, or <see langword="null"/> for group 0.</summary>
    public uint? Group { get; set; }

    /// <summary>Bring the link up once created.</summary>
    public bool Up { get; set; }

    /// <summary>Create the link directly in this namespace instead of the socket's.</summary>
    public NetworkNamespace? Namespace { get; set; }

    /// <summary>Writes attributes that belong at the link level (IFLA_LINK for stacked kinds).</summary>
    private protected virtual void WriteLinkAttributes(ref NetlinkWriter writer)
    {
    }

    /// <summary>Writes the kind's IFLA_INFO_DATA content (inside an open nest); nothing by default.</summary>
    private protected virtual bool HasInfoData => false;

    private protected virtual void WriteInfoData(ref NetlinkWriter writer)
    {
    }

    internal void Write(ref NetlinkWriter writer)
    {
        RouteNetlink.ValidateName(Name, nameof(Name));
        writer.WriteString(Ifla.IFLA_IFNAME, Name);
        if (Mtu is int mtu)
        {
            writer.WriteUInt32(Ifla.IFLA_MTU, (uint)mtu);
        }
        if (MacAddress is not null)
        {
            RouteNetlink.WritePhysicalAddress(ref writer, Ifla.IFLA_ADDRESS, MacAddress);
        }
        if (TxQueueLength is uint txq)
        {
            writer.WriteUInt32(Ifla.IFLA_TXQLEN, txq);
        }
        if (MasterIndex is int master)
        {
            writer.WriteUInt32(Ifla.IFLA_MASTER, (uint)master);
        }
        if (Group is uint group)
        {
            writer.WriteUInt32(Ifla.IFLA_GROUP, group);
        }
        if (Namespace is not null)
        {
            writer.WriteUInt32(Ifla.IFLA_NET_NS_FD, (uint)Namespace.Fd);
        }
        WriteLinkAttributes(ref writer);
        NestedScope info = writer.BeginNested(Ifla.IFLA_LINKINFO);
        writer.WriteString(Ifla.IFLA_INFO_KIND, Kind);
        if (HasInfoData)
        {
            NestedScope data = writer.BeginNested(Ifla.IFLA_INFO_DATA);
            WriteInfoData(ref writer);
            writer.EndNested(data);
        }
        writer.EndNested(info);
    }
}
