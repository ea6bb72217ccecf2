namespace Cni.Net.TrafficControl;

/// <summary>How an add request treats an existing object.</summary>
internal enum TcChange
{
    /// <summary>Create; fail with EEXIST when it exists (<c>tc ... add</c>).</summary>
    Add,

    /// <summary>Create or replace (<c>tc ... replace</c>).</summary>
    Replace,
}

/// <summary>Builds the rtnetlink requests for qdiscs, classes and filters, byte for byte as iproute2's tc does.</summary>
internal static class TcMessages
{
    private static ushort Flags(TcChange change) => change == TcChange.Add
        ? (ushort)(TcConstants.NLM_F_REQUEST | TcConstants.NLM_F_ACK | TcConstants.NLM_F_EXCL | TcConstants.NLM_F_CREATE)
        : (ushort)(TcConstants.NLM_F_REQUEST | TcConstants.NLM_F_ACK | TcConstants.NLM_F_REPLACE | TcConstants.NLM_F_CREATE);

    private const ushort DeleteFlags = TcConstants.NLM_F_REQUEST | TcConstants.NLM_F_ACK;

    /// <summary>The tcm_info of a filter: priority in the upper half, protocol (network order) in the lower.</summary>
    public static uint FilterInfo(ushort priority, ushort protocolNetworkOrder = TcConstants.EthPAllNetworkOrder) =>
        ((uint)priority << 16) | protocolNetworkOrder;

    public static void WriteQdisc(ref TcMessageWriter w, TcChange change, uint sequence, int ifindex, TcHandle handle, TcHandle parent, Qdisc qdisc)
    {
        w.BeginMessage(TcConstants.RTM_NEWQDISC, Flags(change), sequence, ifindex, handle.Value, parent.Value, 0);
        w.WriteString(TcConstants.TCA_KIND, qdisc.Kind);
        qdisc.WriteOptions(ref w);
        w.EndMessage();
    }

    public static void WriteQdiscDelete(ref TcMessageWriter w, uint sequence, int ifindex, TcHandle handle, TcHandle parent)
    {
        w.BeginMessage(TcConstants.RTM_DELQDISC, DeleteFlags, sequence, ifindex, handle.Value, parent.Value, 0);
        w.EndMessage();
    }

    public static void WriteClass(ref TcMessageWriter w, TcChange change, uint sequence, int ifindex, TcHandle classId, TcHandle parent, HtbClass htb, PschedClock clock)
    {
        w.BeginMessage(TcConstants.RTM_NEWTCLASS, Flags(change), sequence, ifindex, classId.Value, parent.Value, 0);
        w.WriteString(TcConstants.TCA_KIND, HtbClass.Kind);
        htb.WriteOptions(ref w, clock);
        w.EndMessage();
    }

    public static void WriteClassDelete(ref TcMessageWriter w, uint sequence, int ifindex, TcHandle classId, TcHandle parent)
    {
        w.BeginMessage(TcConstants.RTM_DELTCLASS, DeleteFlags, sequence, ifindex, classId.Value, parent.Value, 0);
        w.EndMessage();
    }

    public static void WriteFilter(ref TcMessageWriter w, TcChange change, uint sequence, int ifindex, TcHandle parent, ushort priority, TcFilter filter, TcHandle handle = default)
    {
        w.BeginMessage(TcConstants.RTM_NEWTFILTER, Flags(change), sequence, ifindex, handle.Value, parent.Value, FilterInfo(priority));
        w.WriteString(TcConstants.TCA_KIND, filter.Kind);
        filter.WriteOptions(ref w);
        w.EndMessage();
    }

    /// <summary>Deletes every filter of a priority under a parent (<c>tc filter del ... prio N</c>).</summary>
    public static void WriteFilterDelete(ref TcMessageWriter w, uint sequence, int ifindex, TcHandle parent, ushort priority)
    {
        w.BeginMessage(TcConstants.RTM_DELTFILTER, DeleteFlags, sequence, ifindex, 0, parent.Value, FilterInfo(priority));
        w.EndMessage();
    }

    /// <summary>A dump request for qdiscs, classes or filters of one device.</summary>
    public static void WriteDump(ref TcMessageWriter w, ushort getType, uint sequence, int ifindex, TcHandle parent)
    {
        w.BeginMessage(getType, TcConstants.NLM_F_REQUEST | TcConstants.NLM_F_DUMP, sequence, ifindex, 0, parent.Value, 0);
        w.EndMessage();
    }
}
