using System.Net;
using Cni.Net.Netlink;
using Cni.Net.Netlink.Route;

namespace Cni.Net.Examples.Guides;

/// <summary>docs/netlink.md (the quick start is the whole program docs/examples/NetlinkQuickStart).</summary>
public static class NetlinkExamples
{
    public static (bool AddressWasThere, bool LinkWasThere) Delete(RouteNetlink inPod, RouteNetlink host, int eth0, IPAddress ip)
    {
        #region try-delete
        bool addressWasThere = inPod.TryDeleteAddress(eth0, ip, 16);   // false when absent (EADDRNOTAVAIL)
        bool linkWasThere = host.TryDeleteLink("veth1a2b");            // false when absent (ENODEV)
        #endregion
        return (addressWasThere, linkWasThere);
    }

    // From linux/pkt_sched.h and linux/rtnetlink.h: the codec knows no attribute numbers of its own.
    private const ushort TCA_KIND = 1;
    private const ushort TCA_OPTIONS = 2;
    private const ushort TCA_TBF_PARMS = 1;
    private const ushort TCA_TBF_BURST = 6;

    /// <summary>struct tc_tbf_qopt.</summary>
    public struct TbfOptions
    {
        public uint RateCellLogAndLinkLayer;
        public uint RateMpu;
        public uint RateBytesPerSecond;
        public uint PeakCellLogAndLinkLayer;
        public uint PeakMpu;
        public uint PeakBytesPerSecond;
        public uint Limit;
        public uint Buffer;
        public uint Mtu;
    }

    /// <summary>Adds a tbf qdisc as root of link <paramref name="ifindex"/> with the low-level codec.</summary>
    public static void AddTbf(RouteNetlink rtnl, int ifindex, TbfOptions parameters, uint burst)
    {
        #region codec
        NetlinkSocket socket = rtnl.Socket;
        NetlinkWriter w = socket.BeginRequest((ushort)RouteMessageType.NewQdisc,
            NetlinkMessageFlags.Create | NetlinkMessageFlags.Excl);          // header with the next sequence number
        w.WriteFamilyHeader(new TrafficControlMessage { Index = ifindex, Handle = 0x10000, Parent = 0xFFFFFFFF });
        w.WriteString(TCA_KIND, "tbf");
        NestedScope options = w.BeginNested(TCA_OPTIONS);                    // nla_len back-patched by EndNested
        w.WriteStruct(TCA_TBF_PARMS, in parameters);                          // any unmanaged struct
        w.WriteUInt32(TCA_TBF_BURST, burst);
        w.EndNested(options);
        socket.Execute(ref w, "add qdisc");                                   // sends, waits for the ack, throws NetlinkException
        #endregion
    }
}
