namespace Cni.Net.Netlink.Route;

// Attribute numbers and values from linux/rtnetlink.h, if_link.h, if_addr.h, neighbour.h and if.h, under their C
// names so that RtnlLayoutProbeTests can compare every one with the headers.
#pragma warning disable CA1707 // C names on purpose

internal static class Ifla
{
    public const ushort IFLA_ADDRESS = 1;
    public const ushort IFLA_BROADCAST = 2;
    public const ushort IFLA_IFNAME = 3;
    public const ushort IFLA_MTU = 4;
    public const ushort IFLA_LINK = 5;
    public const ushort IFLA_QDISC = 6;
    public const ushort IFLA_STATS = 7;
    public const ushort IFLA_MASTER = 10;
    public const ushort IFLA_PROTINFO = 12;
    public const ushort IFLA_TXQLEN = 13;
    public const ushort IFLA_OPERSTATE = 16;
    public const ushort IFLA_LINKMODE = 17;
    public const ushort IFLA_LINKINFO = 18;
    public const ushort IFLA_NET_NS_PID = 19;
    public const ushort IFLA_IFALIAS = 20;
    public const ushort IFLA_STATS64 = 23;
    public const ushort IFLA_AF_SPEC = 26;
    public const ushort IFLA_GROUP = 27;
    public const ushort IFLA_NET_NS_FD = 28;
    public const ushort IFLA_EXT_MASK = 29;
    public const ushort IFLA_PROMISCUITY = 30;
    public const ushort IFLA_NUM_TX_QUEUES = 31;
    public const ushort IFLA_NUM_RX_QUEUES = 32;
    public const ushort IFLA_CARRIER = 33;
    public const ushort IFLA_LINK_NETNSID = 37;
    public const ushort IFLA_MIN_MTU = 50;
    public const ushort IFLA_MAX_MTU = 51;

    // Inside IFLA_AF_SPEC / AF_INET (if_link.h), and the index of a setting inside it (ip.h).
    public const ushort IFLA_INET_CONF = 1;
    public const ushort IPV4_DEVCONF_ARP_NOTIFY = 22;

    // Inside IFLA_AF_SPEC / AF_INET6 (if_link.h): the per-link settings as one array of s32 in ipv6.h's DEVCONF order.
    public const ushort IFLA_INET6_CONF = 2;
    public const int DEVCONF_ACCEPT_RA = 3;

    public const ushort IFLA_INFO_KIND = 1;
    public const ushort IFLA_INFO_DATA = 2;
    public const ushort IFLA_INFO_SLAVE_KIND = 4;
    public const ushort IFLA_INFO_SLAVE_DATA = 5;

    public const ushort VETH_INFO_PEER = 1;

    public const ushort IFLA_BR_FORWARD_DELAY = 1;
    public const ushort IFLA_BR_HELLO_TIME = 2;
    public const ushort IFLA_BR_MAX_AGE = 3;
    public const ushort IFLA_BR_AGEING_TIME = 4;
    public const ushort IFLA_BR_STP_STATE = 5;
    public const ushort IFLA_BR_PRIORITY = 6;
    public const ushort IFLA_BR_VLAN_FILTERING = 7;
    public const ushort IFLA_BR_VLAN_PROTOCOL = 8;
    public const ushort IFLA_BR_MCAST_SNOOPING = 23;
    public const ushort IFLA_BR_VLAN_DEFAULT_PVID = 39;

    public const ushort IFLA_BRPORT_STATE = 1;
    public const ushort IFLA_BRPORT_PRIORITY = 2;
    public const ushort IFLA_BRPORT_COST = 3;
    public const ushort IFLA_BRPORT_MODE = 4;
    public const ushort IFLA_BRPORT_LEARNING = 8;
    public const ushort IFLA_BRPORT_UNICAST_FLOOD = 9;
    public const ushort IFLA_BRPORT_ISOLATED = 33;

    public const ushort IFLA_MACVLAN_MODE = 1;
    public const ushort IFLA_MACVLAN_FLAGS = 2;

    public const ushort IFLA_IPVLAN_MODE = 1;
    public const ushort IFLA_IPVLAN_FLAGS = 2;

    public const ushort IFLA_VLAN_ID = 1;
    public const ushort IFLA_VLAN_FLAGS = 2;
    public const ushort IFLA_VLAN_PROTOCOL = 5;

    public const ushort IFLA_VXLAN_ID = 1;
    public const ushort IFLA_VXLAN_GROUP = 2;
    public const ushort IFLA_VXLAN_LINK = 3;
    public const ushort IFLA_VXLAN_LOCAL = 4;
    public const ushort IFLA_VXLAN_TTL = 5;
    public const ushort IFLA_VXLAN_LEARNING = 7;
    public const ushort IFLA_VXLAN_PORT = 15;
    public const ushort IFLA_VXLAN_GROUP6 = 16;
    public const ushort IFLA_VXLAN_LOCAL6 = 17;
}

internal static class Ifa
{
    public const ushort IFA_ADDRESS = 1;
    public const ushort IFA_LOCAL = 2;
    public const ushort IFA_LABEL = 3;
    public const ushort IFA_BROADCAST = 4;
    public const ushort IFA_ANYCAST = 5;
    public const ushort IFA_CACHEINFO = 6;
    public const ushort IFA_MULTICAST = 7;
    public const ushort IFA_FLAGS = 8;
    public const ushort IFA_RT_PRIORITY = 9;
    public const ushort IFA_PROTO = 11;

    public const uint INFINITY_LIFE_TIME = 0xFFFFFFFF;
}

internal static class Rta
{
    public const ushort RTA_DST = 1;
    public const ushort RTA_SRC = 2;
    public const ushort RTA_IIF = 3;
    public const ushort RTA_OIF = 4;
    public const ushort RTA_GATEWAY = 5;
    public const ushort RTA_PRIORITY = 6;
    public const ushort RTA_PREFSRC = 7;
    public const ushort RTA_METRICS = 8;
    public const ushort RTA_MULTIPATH = 9;
    public const ushort RTA_FLOW = 11;
    public const ushort RTA_CACHEINFO = 12;
    public const ushort RTA_TABLE = 15;
    public const ushort RTA_MARK = 16;
    public const ushort RTA_VIA = 18;
    public const ushort RTA_PREF = 20;
    public const ushort RTA_EXPIRES = 23;

    public const ushort RTAX_LOCK = 1;
    public const ushort RTAX_MTU = 2;
    public const ushort RTAX_WINDOW = 3;
    public const ushort RTAX_RTT = 4;
    public const ushort RTAX_HOPLIMIT = 10;
    public const ushort RTAX_ADVMSS = 8;
    public const ushort RTAX_INITCWND = 11;

    public const uint RTM_F_NOTIFY = 0x100;
    public const uint RTM_F_CLONED = 0x200;
    public const uint RTM_F_LOOKUP_TABLE = 0x1000;

    public const byte RTNH_F_DEAD = 1;
    public const byte RTNH_F_ONLINK = 4;
    public const int RtNextHopSize = 8; // sizeof(struct rtnexthop)

    public const byte RTPROT_UNSPEC = 0;
    public const byte RTPROT_KERNEL = 2;
    public const byte RTPROT_BOOT = 3;
    public const byte RTPROT_STATIC = 4;

    public const byte RT_TABLE_UNSPEC = 0;
    public const byte RT_TABLE_MAIN = 254;
    public const byte RT_TABLE_LOCAL = 255;
}

internal static class Nda
{
    public const ushort NDA_DST = 1;
    public const ushort NDA_LLADDR = 2;
    public const ushort NDA_CACHEINFO = 3;
    public const ushort NDA_PROBES = 4;
    public const ushort NDA_VLAN = 5;
    public const ushort NDA_IFINDEX = 8;
    public const ushort NDA_MASTER = 9;
}

// linux/netconf.h and the netconf message types of linux/rtnetlink.h: a namespace's per-family settings.
internal static class Netconfa
{
    public const ushort RTM_NEWNETCONF = 80;
    public const ushort RTM_GETNETCONF = 82;
    public const ushort NETCONFA_IFINDEX = 1;
    public const ushort NETCONFA_FORWARDING = 2;
    public const int NETCONFA_IFINDEX_ALL = -1;
}

internal static class AddressFamilies
{
    public const byte AF_UNSPEC = 0;
    public const byte AF_INET = 2;
    public const byte AF_BRIDGE = 7;
    public const byte AF_INET6 = 10;
}
#pragma warning restore CA1707
