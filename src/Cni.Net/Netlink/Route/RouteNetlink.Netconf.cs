using System.Net.Sockets;

namespace Cni.Net.Netlink.Route;

public sealed partial class RouteNetlink
{
    // struct netconfmsg is one byte; its attributes start at the next 4-byte boundary.
    private const int NetconfHeaderSize = 4;

    /// <summary>
    /// Whether the socket's namespace forwards <paramref name="family"/>: <c>net.ipv4.ip_forward</c> or
    /// <c>net.ipv6.conf.all.forwarding</c>, as the kernel reports it for all interfaces (<c>RTM_GETNETCONF</c>). One round
    /// trip and no <c>/proc/sys</c> lookup, whose cost grows with the namespaces on the node; allocation-free.
    /// </summary>
    /// <param name="family">InterNetwork or InterNetworkV6.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="family"/> is neither.</exception>
    /// <exception cref="NetlinkException">The kernel refused (EOPNOTSUPP for IPv6 where the kernel has none).</exception>
    /// <exception cref="NetlinkProtocolException">The answer carries no forwarding setting.</exception>
    public bool IsForwarding(AddressFamily family)
    {
        byte kernelFamily = family switch
        {
            AddressFamily.InterNetwork => AddressFamilies.AF_INET,
            AddressFamily.InterNetworkV6 => AddressFamilies.AF_INET6,
            _ => throw new ArgumentOutOfRangeException(nameof(family), family, "expected InterNetwork or InterNetworkV6"),
        };
        NetlinkWriter w = Socket.BeginRequest(Netconfa.RTM_GETNETCONF, NetlinkMessageFlags.None);
        uint header = kernelFamily; // ncm_family, then the padding to the attributes
        w.WriteFamilyHeader(in header);
        w.WriteInt32(Netconfa.NETCONFA_IFINDEX, Netconfa.NETCONFA_IFINDEX_ALL);
        var reply = new ForwardingReply();
        Socket.Request(ref w, "get forwarding", ref reply);
        return reply.Forwarding switch
        {
            0 => false,
            > 0 => true,
            _ => throw new NetlinkProtocolException("the kernel's netconf answer carries no NETCONFA_FORWARDING"),
        };
    }

    private struct ForwardingReply() : INetlinkReplyHandler
    {
        public int Forwarding { get; private set; } = -1;

        public void OnMessage(NetlinkMessage message)
        {
            if (message.Type != Netconfa.RTM_NEWNETCONF)
            {
                return;
            }
            foreach (NetlinkAttr attribute in message.GetAttributes(NetconfHeaderSize))
            {
                if (attribute.Type == Netconfa.NETCONFA_FORWARDING && attribute.Value.Length >= 4)
                {
                    Forwarding = attribute.GetInt32();
                }
            }
        }

        public void OnRestart() => Forwarding = -1;
    }
}
