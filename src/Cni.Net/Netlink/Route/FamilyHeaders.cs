#pragma warning disable CS0169 // the padding fields exist only to give the structs their C layout
using System.Runtime.InteropServices;

namespace Cni.Net.Netlink.Route;

/// <summary><c>struct ifinfomsg</c> (16 bytes): the family header of link messages.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct InterfaceInfoMessage
{
    /// <summary>ifi_family (AF_UNSPEC, or AF_BRIDGE for bridge-port messages).</summary>
    public byte Family { get; set; }
    private readonly byte _pad;
    /// <summary>ifi_type: ARPHRD_* device type.</summary>
    public ushort DeviceType { get; set; }
    /// <summary>ifi_index: the link index (0 = by name or new).</summary>
    public int Index { get; set; }
    /// <summary>ifi_flags: IFF_* flags.</summary>
    public uint Flags { get; set; }
    /// <summary>ifi_change: which IFF_* flags to change.</summary>
    public uint Change { get; set; }
}

/// <summary><c>struct ifaddrmsg</c> (8 bytes): the family header of address messages.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct InterfaceAddressMessage
{
    /// <summary>ifa_family: AF_INET or AF_INET6.</summary>
    public byte Family { get; set; }
    /// <summary>ifa_prefixlen.</summary>
    public byte PrefixLength { get; set; }
    /// <summary>ifa_flags: the low 8 IFA_F_* bits (IFA_FLAGS carries all 32).</summary>
    public byte Flags { get; set; }
    /// <summary>ifa_scope: RT_SCOPE_*.</summary>
    public byte Scope { get; set; }
    /// <summary>ifa_index: the link index.</summary>
    public int Index { get; set; }
}

/// <summary><c>struct rtmsg</c> (12 bytes): the family header of route messages.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct RouteMessage
{
    /// <summary>rtm_family.</summary>
    public byte Family { get; set; }
    /// <summary>rtm_dst_len: destination prefix length.</summary>
    public byte DestinationLength { get; set; }
    /// <summary>rtm_src_len: source prefix length.</summary>
    public byte SourceLength { get; set; }
    /// <summary>rtm_tos.</summary>
    public byte Tos { get; set; }
    /// <summary>rtm_table (RT_TABLE_UNSPEC when RTA_TABLE carries a table ≥ 256).</summary>
    public byte Table { get; set; }
    /// <summary>rtm_protocol: RTPROT_*.</summary>
    public byte Protocol { get; set; }
    /// <summary>rtm_scope: RT_SCOPE_*.</summary>
    public byte Scope { get; set; }
    /// <summary>rtm_type: RTN_*.</summary>
    public byte Type { get; set; }
    /// <summary>rtm_flags: RTM_F_* and RTNH_F_*.</summary>
    public uint Flags { get; set; }
}

/// <summary><c>struct ndmsg</c> (12 bytes): the family header of neighbour messages.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct NeighborMessage
{
    /// <summary>ndm_family.</summary>
    public byte Family { get; set; }
    private readonly byte _pad1;
    private readonly ushort _pad2;
    /// <summary>ndm_ifindex.</summary>
    public int Index { get; set; }
    /// <summary>ndm_state: NUD_*.</summary>
    public ushort State { get; set; }
    /// <summary>ndm_flags: NTF_*.</summary>
    public byte Flags { get; set; }
    /// <summary>ndm_type.</summary>
    public byte Type { get; set; }
}

/// <summary><c>struct tcmsg</c> (20 bytes): the family header of qdisc, class and filter messages.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct TrafficControlMessage
{
    /// <summary>tcm_family (AF_UNSPEC).</summary>
    public byte Family { get; set; }
    private readonly byte _pad1;
    private readonly ushort _pad2;
    /// <summary>tcm_ifindex.</summary>
    public int Index { get; set; }
    /// <summary>tcm_handle (major:minor as 0xMMMMmmmm).</summary>
    public uint Handle { get; set; }
    /// <summary>tcm_parent (TC_H_ROOT = 0xFFFFFFFF, TC_H_INGRESS = 0xFFFFFFF1).</summary>
    public uint Parent { get; set; }
    /// <summary>tcm_info (for filters: priority &lt;&lt; 16 | big-endian protocol).</summary>
    public uint Info { get; set; }
}
