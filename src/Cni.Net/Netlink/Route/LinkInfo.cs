using System.Net.NetworkInformation;
using System.Runtime.InteropServices;

namespace Cni.Net.Netlink.Route;

/// <summary>A link as the kernel reports it (RTM_NEWLINK).</summary>
public sealed class LinkInfo
{
    /// <summary>The interface index.</summary>
    public int Index { get; init; }

    /// <summary>The interface name.</summary>
    public string Name { get; init; } = "";

    /// <summary>The driver kind (<c>veth</c>, <c>bridge</c> …), or <see langword="null"/> for physical/loopback links.</summary>
    public string? Kind { get; init; }

    /// <summary>The kind of the master's port data (<c>bridge</c> for a bridge port), or <see langword="null"/>.</summary>
    public string? SlaveKind { get; init; }

    /// <summary>IFF_* flags.</summary>
    public InterfaceFlags Flags { get; init; }

    /// <summary>Whether IFF_UP is set.</summary>
    public bool IsUp => (Flags & InterfaceFlags.Up) != 0;

    /// <summary>The operational state.</summary>
    public OperationalState OperationalState { get; init; }

    /// <summary>The MTU.</summary>
    public int Mtu { get; init; }

    /// <summary>The link-layer address, or <see langword="null"/>.</summary>
    public PhysicalAddress? MacAddress { get; init; }

    /// <summary>The ARPHRD_* device type (1 = Ethernet, 772 = loopback).</summary>
    public ushort DeviceType { get; init; }

    /// <summary>Index of the master (bridge), or 0.</summary>
    public int MasterIndex { get; init; }

    /// <summary>IFLA_LINK: the peer's index for a veth, the parent's for macvlan/vlan/ipvlan; 0 when none.</summary>
    public int ParentIndex { get; init; }

    /// <summary>IFLA_LINK_NETNSID: the id (in this namespace) of the namespace <see cref="ParentIndex"/> lives in.</summary>
    public int? LinkNamespaceId { get; init; }

    /// <summary>The alias (IFLA_IFALIAS), or <see langword="null"/>.</summary>
    public string? Alias { get; init; }

    /// <summary>The transmit queue length.</summary>
    public uint TxQueueLength { get; init; }

    /// <summary>The link group.</summary>
    public uint Group { get; init; }

    /// <summary>The promiscuity counter (greater than 0 when promiscuous).</summary>
    public uint Promiscuity { get; init; }

    /// <summary>Counters (IFLA_STATS64).</summary>
    public LinkStatistics Statistics { get; init; }

    /// <summary>
    /// The link's IPv6 <c>accept_ra</c> as the kernel reports it with the link (<c>IFLA_AF_SPEC</c> / <c>AF_INET6</c> /
    /// <c>IFLA_INET6_CONF</c>); null when the kernel keeps no IPv6 state for the link (IPv6 off, or an MTU below its
    /// minimum). Read this way, a check of the setting costs no <c>/proc/sys</c> lookup, which on a node with hundreds
    /// of pod namespaces walks an entry per namespace.
    /// </summary>
    internal int? Ipv6AcceptRouterAdvertisements { get; init; }

    /// <inheritdoc/>
    public override string ToString() => $"{Index}: {Name} ({Kind ?? "device"}) mtu {Mtu} {OperationalState}";

    internal static bool TryDecode(NetlinkMessage message, out LinkInfo link)
    {
        if (message.Type != (ushort)RouteMessageType.NewLink)
        {
            link = null!;
            return false;
        }
        link = Decode(message);
        return true;
    }

    internal static LinkInfo Decode(NetlinkMessage message)
    {
        InterfaceInfoMessage ifi = message.ReadFamilyHeader<InterfaceInfoMessage>();
        string name = "";
        string? kind = null, slaveKind = null, alias = null;
        int mtu = 0, master = 0, parent = 0;
        int? linkNs = null;
        uint txq = 0, group = 0, promiscuity = 0;
        PhysicalAddress? mac = null;
        OperationalState state = OperationalState.Unknown;
        LinkStatistics stats = default;
        int? acceptRa = null;
        foreach (NetlinkAttr a in message.GetAttributes<InterfaceInfoMessage>())
        {
            switch (a.Type)
            {
                case Ifla.IFLA_IFNAME:
                    name = a.GetString();
                    break;
                case Ifla.IFLA_MTU:
                    mtu = a.GetInt32();
                    break;
                case Ifla.IFLA_ADDRESS:
                    mac = new PhysicalAddress(a.Value.ToArray());
                    break;
                case Ifla.IFLA_MASTER:
                    master = a.GetInt32();
                    break;
                case Ifla.IFLA_LINK:
                    parent = a.GetInt32();
                    break;
                case Ifla.IFLA_LINK_NETNSID:
                    linkNs = a.GetInt32();
                    break;
                case Ifla.IFLA_OPERSTATE:
                    state = (OperationalState)a.GetUInt8();
                    break;
                case Ifla.IFLA_TXQLEN:
                    txq = a.GetUInt32();
                    break;
                case Ifla.IFLA_GROUP:
                    group = a.GetUInt32();
                    break;
                case Ifla.IFLA_PROMISCUITY:
                    promiscuity = a.GetUInt32();
                    break;
                case Ifla.IFLA_IFALIAS:
                    alias = a.GetString();
                    break;
                case Ifla.IFLA_STATS64:
                    stats = ReadStatistics(a.Value);
                    break;
                case Ifla.IFLA_AF_SPEC:
                    acceptRa = ReadIpv6AcceptRa(a) ?? acceptRa;
                    break;
                case Ifla.IFLA_LINKINFO:
                    foreach (NetlinkAttr info in a.GetNested())
                    {
                        if (info.Type == Ifla.IFLA_INFO_KIND)
                        {
                            kind = info.GetString();
                        }
                        else if (info.Type == Ifla.IFLA_INFO_SLAVE_KIND)
                        {
                            slaveKind = info.GetString();
                        }
                    }
                    break;
            }
        }
        return new LinkInfo
        {
            Index = ifi.Index,
            DeviceType = ifi.DeviceType,
            Flags = (InterfaceFlags)ifi.Flags,
            Name = name,
            Kind = kind,
            SlaveKind = slaveKind,
            Alias = alias,
            Mtu = mtu,
            MacAddress = mac,
            MasterIndex = master,
            ParentIndex = parent,
            LinkNamespaceId = linkNs,
            OperationalState = state,
            TxQueueLength = txq,
            Group = group,
            Promiscuity = promiscuity,
            Statistics = stats,
            Ipv6AcceptRouterAdvertisements = acceptRa,
        };
    }

    private static int? ReadIpv6AcceptRa(NetlinkAttr afSpec)
    {
        foreach (NetlinkAttr family in afSpec.GetNested())
        {
            if (family.Type != AddressFamilies.AF_INET6)
            {
                continue;
            }
            foreach (NetlinkAttr setting in family.GetNested())
            {
                const int Offset = Ifla.DEVCONF_ACCEPT_RA * sizeof(int);
                if (setting.Type == Ifla.IFLA_INET6_CONF && setting.Value.Length >= Offset + sizeof(int))
                {
                    return System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(setting.Value.Slice(Offset, sizeof(int)));
                }
            }
        }
        return null;
    }

    private static LinkStatistics ReadStatistics(ReadOnlySpan<byte> value)
    {
        Span<ulong> fields = stackalloc ulong[10];
        int count = Math.Min(value.Length / 8, fields.Length);
        MemoryMarshal.Cast<byte, ulong>(value[..(count * 8)]).CopyTo(fields);
        return new LinkStatistics(fields[0], fields[1], fields[2], fields[3], fields[4], fields[5], fields[6], fields[7], fields[8], fields[9]);
    }
}
