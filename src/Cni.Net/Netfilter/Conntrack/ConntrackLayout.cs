using Cni.Net.Netfilter;

namespace Cni.Net.Netfilter.Conntrack;

/// <summary>
/// ctnetlink's wire constants (linux/netfilter/nfnetlink.h, nfnetlink_conntrack.h; the CTA_FILTER flag bits are
/// private to net/netfilter/nf_conntrack_netlink.c and stable since Linux 5.8). Checked against the C headers by a
/// compiled probe in the unit tests.
/// </summary>
internal static class ConntrackLayout
{
    public const int NfGenMsgSize = 4;          // struct nfgenmsg: family, version, res_id (be16)
    public const byte NfNetlinkV0 = 0;          // NFNETLINK_V0

    public const byte NFNL_SUBSYS_CTNETLINK = 1;

    public const byte IPCTNL_MSG_CT_NEW = 0;
    public const byte IPCTNL_MSG_CT_GET = 1;
    public const byte IPCTNL_MSG_CT_DELETE = 2;

    public const ushort NewMessageType = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
    public const ushort GetMessageType = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
    public const ushort DeleteMessageType = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE;

    // enum ctattr_type
    public const ushort CTA_TUPLE_ORIG = 1;
    public const ushort CTA_TUPLE_REPLY = 2;
    public const ushort CTA_ID = 12;
    public const ushort CTA_ZONE = 18;
    public const ushort CTA_FILTER = 25;

    // enum ctattr_tuple
    public const ushort CTA_TUPLE_IP = 1;
    public const ushort CTA_TUPLE_PROTO = 2;
    public const ushort CTA_TUPLE_ZONE = 3;

    // enum ctattr_ip
    public const ushort CTA_IP_V4_SRC = 1;
    public const ushort CTA_IP_V4_DST = 2;
    public const ushort CTA_IP_V6_SRC = 3;
    public const ushort CTA_IP_V6_DST = 4;

    // enum ctattr_l4proto
    public const ushort CTA_PROTO_NUM = 1;
    public const ushort CTA_PROTO_SRC_PORT = 2;
    public const ushort CTA_PROTO_DST_PORT = 3;

    // enum ctattr_filter
    public const ushort CTA_FILTER_ORIG_FLAGS = 1;
    public const ushort CTA_FILTER_REPLY_FLAGS = 2;

    // CTA_FILTER_FLAG_CTA_* (which fields of the filter tuple must match)
    public const uint FilterProtoNum = 1u << 3;
    public const uint FilterProtoDstPort = 1u << 5;

    public const byte AF_INET = 2;
    public const byte AF_INET6 = 10;
}
