namespace Cni.Net.Netlink;

/// <summary>Sizes, alignment and reserved values of the netlink wire format (linux/netlink.h).</summary>
internal static class NetlinkLayout
{
    public const int MessageHeaderSize = 16;   // sizeof(struct nlmsghdr)
    public const int AttributeHeaderSize = 4;  // sizeof(struct nlattr)
    public const int Alignment = 4;            // NLMSG_ALIGNTO == NLA_ALIGNTO
    public const ushort NestedFlag = 0x8000;   // NLA_F_NESTED
    public const ushort NetByteOrderFlag = 0x4000; // NLA_F_NET_BYTEORDER
    public const ushort AttributeTypeMask = 0x3fff; // NLA_TYPE_MASK

    public const ushort NLMSG_NOOP = 1;
    public const ushort NLMSG_ERROR = 2;
    public const ushort NLMSG_DONE = 3;
    public const ushort NLMSG_OVERRUN = 4;
    public const ushort NLMSG_MIN_TYPE = 0x10; // below it, netlink's own types; from it on, the protocol's

    public const ushort NLMSGERR_ATTR_MSG = 1;
    public const ushort NLMSGERR_ATTR_OFFS = 2;
    public const ushort NLMSGERR_ATTR_COOKIE = 3;
    public const ushort NLMSGERR_ATTR_POLICY = 4;
    public const ushort NLMSGERR_ATTR_MISS_TYPE = 5;
    public const ushort NLMSGERR_ATTR_MISS_NEST = 6;

    public static int Align(int length) => (length + Alignment - 1) & ~(Alignment - 1);
}
