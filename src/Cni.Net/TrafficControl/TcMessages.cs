using Cni.Net.Netlink;
using Cni.Net.Netlink.Route;

namespace Cni.Net.TrafficControl;

/// <summary>Writes the bodies (tcmsg + attributes) of qdisc, class and filter requests, byte for byte as tc does.</summary>
internal static class TcMessages
{
    public static NetlinkMessageFlags ChangeFlags(bool replace) => replace
        ? NetlinkMessageFlags.Ack | NetlinkMessageFlags.Replace | NetlinkMessageFlags.Create
        : NetlinkMessageFlags.Ack | NetlinkMessageFlags.Excl | NetlinkMessageFlags.Create;

    /// <summary>The tcm_info of a filter: priority in the upper half, protocol (network order) in the lower.</summary>
    public static uint FilterInfo(ushort priority, ushort protocolNetworkOrder = TcConstants.EthPAllNetworkOrder) =>
        ((uint)priority << 16) | protocolNetworkOrder;

    public static void WriteHeader(ref NetlinkWriter w, int ifindex, uint handle, uint parent, uint info) =>
        w.WriteFamilyHeader(new TrafficControlMessage { Index = ifindex, Handle = handle, Parent = parent, Info = info });

    public static void WriteQdisc(ref NetlinkWriter w, int ifindex, TcHandle handle, TcHandle parent, TcQdisc qdisc)
    {
        WriteHeader(ref w, ifindex, handle.Value, parent.Value, 0);
        w.WriteString(TcConstants.TCA_KIND, qdisc.Kind);
        qdisc.WriteOptions(ref w);
    }

    public static void WriteClass(ref NetlinkWriter w, int ifindex, TcHandle classId, TcHandle parent, HtbClass htb, PschedClock clock)
    {
        WriteHeader(ref w, ifindex, classId.Value, parent.Value, 0);
        w.WriteString(TcConstants.TCA_KIND, HtbClass.Kind);
        htb.WriteOptions(ref w, clock);
    }

    public static void WriteFilter(ref NetlinkWriter w, int ifindex, TcHandle parent, ushort priority, TcFilter filter)
    {
        WriteHeader(ref w, ifindex, 0, parent.Value, FilterInfo(priority));
        w.WriteString(TcConstants.TCA_KIND, filter.Kind);
        filter.WriteOptions(ref w);
    }
}
