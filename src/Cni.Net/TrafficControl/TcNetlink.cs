using System.Buffers.Binary;
using Cni.Net.Namespaces;
using Cni.Net.Netlink;
using Cni.Net.Netlink.Route;
using Cni.Net.Interop;

namespace Cni.Net.TrafficControl;

/// <summary>
/// Traffic control over rtnetlink: add, replace, delete and list qdiscs, classes and filters of one network
/// namespace, over one <see cref="NetlinkSocket"/>.
/// </summary>
/// <remarks>
/// Errors are <see cref="NetlinkException"/>s with the kernel's errno and extended-ack text (for example
/// "Specified qdisc kind is unknown." when the kernel lacks a kind). The <c>TryDelete…</c> forms return
/// <see langword="false"/> instead of throwing when there was nothing to delete, for idempotent CNI DEL.
/// Like its socket, an instance is not thread-safe.
/// </remarks>
public sealed class TcNetlink : IDisposable
{
    private static ReadOnlySpan<int> GoneErrors => [Errno.ENOENT, Errno.EINVAL, Errno.ENODEV];

    private readonly bool _ownsSocket;
    private readonly PschedClock _clock;

    /// <summary>Opens an rtnetlink socket in the calling thread's namespace.</summary>
    /// <exception cref="NetlinkException">The socket could not be opened.</exception>
    public TcNetlink()
        : this(new NetlinkSocket(NetlinkProtocol.Route), ownsSocket: true)
    {
    }

    /// <summary>Uses an existing NETLINK_ROUTE socket.</summary>
    /// <param name="socket">The socket.</param>
    /// <param name="ownsSocket">Whether <see cref="Dispose"/> closes it.</param>
    /// <exception cref="ArgumentException">The socket is not a NETLINK_ROUTE socket.</exception>
    public TcNetlink(NetlinkSocket socket, bool ownsSocket = false)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (socket.Protocol != NetlinkProtocol.Route)
        {
            throw new ArgumentException("traffic control needs a NETLINK_ROUTE socket", nameof(socket));
        }
        Socket = socket;
        _ownsSocket = ownsSocket;
        _clock = PschedClock.Current;
    }

    /// <summary>Opens a client bound to <paramref name="networkNamespace"/>.</summary>
    /// <param name="networkNamespace">The namespace.</param>
    /// <returns>The client.</returns>
    /// <exception cref="NetlinkException">The socket could not be opened.</exception>
    public static TcNetlink Open(NetworkNamespace networkNamespace) =>
        new(NetlinkSocket.Open(networkNamespace, NetlinkProtocol.Route), ownsSocket: true);

    /// <summary>The underlying socket.</summary>
    public NetlinkSocket Socket { get; }

    /// <summary>Adds a qdisc (<c>tc qdisc add</c>), or replaces one (<c>tc qdisc replace</c>).</summary>
    /// <param name="ifIndex">The device.</param>
    /// <param name="parent"><see cref="TcHandle.Root"/>, <see cref="TcHandle.Ingress"/> or a class.</param>
    /// <param name="handle">Its handle (<c>1:</c>; <see cref="TcHandle.IngressQdisc"/> for ingress/clsact).</param>
    /// <param name="qdisc">The kind and its options.</param>
    /// <param name="replace">Replace an existing qdisc instead of failing with EEXIST.</param>
    /// <exception cref="NetlinkException">The kernel refused it.</exception>
    public void AddQdisc(int ifIndex, TcHandle parent, TcHandle handle, TcQdisc qdisc, bool replace = false)
    {
        ArgumentNullException.ThrowIfNull(qdisc);
        NetlinkWriter w = Socket.BeginRequest(TcConstants.RTM_NEWQDISC, TcMessages.ChangeFlags(replace));
        TcMessages.WriteQdisc(ref w, ifIndex, handle, parent, qdisc);
        Socket.ExecuteOn(ref w, replace ? "replace qdisc" : "add qdisc", NetlinkSubject.Link(ifIndex));
    }

    /// <summary>Adds a qdisc unless one is already at <paramref name="parent"/> (<c>tc qdisc add</c>).</summary>
    /// <returns>False when one was there (EEXIST); it is left as it was.</returns>
    /// <exception cref="NetlinkException">The kernel refused for another reason.</exception>
    internal bool TryAddQdisc(int ifIndex, TcHandle parent, TcHandle handle, TcQdisc qdisc)
    {
        NetlinkWriter w = Socket.BeginRequest(TcConstants.RTM_NEWQDISC, TcMessages.ChangeFlags(replace: false));
        TcMessages.WriteQdisc(ref w, ifIndex, handle, parent, qdisc);
        return Socket.TryExecuteOn(ref w, "add qdisc", Netlink.Route.RouteNetlink.ExistsErrors, NetlinkSubject.Link(ifIndex)) == 0;
    }

    /// <summary>Deletes the qdisc at <paramref name="parent"/> (<c>tc qdisc del</c>).</summary>
    /// <param name="ifIndex">The device.</param>
    /// <param name="parent">Where it is attached.</param>
    /// <param name="handle">Its handle, or <see cref="TcHandle.Unspecified"/> for whatever is there.</param>
    /// <returns>False when there was no such qdisc.</returns>
    /// <exception cref="NetlinkException">The kernel refused for another reason.</exception>
    public bool TryDeleteQdisc(int ifIndex, TcHandle parent, TcHandle handle = default)
    {
        NetlinkWriter w = Socket.BeginRequest(TcConstants.RTM_DELQDISC, NetlinkMessageFlags.Ack);
        TcMessages.WriteHeader(ref w, ifIndex, handle.Value, parent.Value, 0);
        return Socket.TryExecuteOn(ref w, "delete qdisc", GoneErrors, NetlinkSubject.Link(ifIndex)) == 0;
    }

    /// <summary>Lists the qdiscs of a device (<c>tc qdisc show dev</c>).</summary>
    /// <param name="ifIndex">The device.</param>
    /// <returns>The qdiscs with their parameters read back.</returns>
    public List<TcQdiscInfo> ListQdiscs(int ifIndex)
    {
        NetlinkWriter w = Socket.BeginRequest(TcConstants.RTM_GETQDISC, NetlinkMessageFlags.Dump);
        TcMessages.WriteHeader(ref w, 0, 0, 0, 0);
        PschedClock clock = _clock;
        List<TcQdiscInfo> all = Socket.DumpOn(ref w, "list qdiscs", (NetlinkMessage m, out TcQdiscInfo item) => DecodeQdisc(m, clock, out item), NetlinkSubject.Link(ifIndex));
        return all.FindAll(q => q.IfIndex == ifIndex);
    }

    /// <summary>Adds or replaces an htb class (<c>tc class add … htb rate … ceil …</c>).</summary>
    /// <param name="ifIndex">The device.</param>
    /// <param name="parent">The htb qdisc or parent class.</param>
    /// <param name="classId">The class id, such as <c>1:10</c>.</param>
    /// <param name="htb">Rate and ceiling.</param>
    /// <param name="replace">Replace an existing class instead of failing with EEXIST.</param>
    /// <exception cref="NetlinkException">The kernel refused it.</exception>
    public void AddClass(int ifIndex, TcHandle parent, TcHandle classId, HtbClass htb, bool replace = false)
    {
        ArgumentNullException.ThrowIfNull(htb);
        NetlinkWriter w = Socket.BeginRequest(TcConstants.RTM_NEWTCLASS, TcMessages.ChangeFlags(replace));
        TcMessages.WriteClass(ref w, ifIndex, classId, parent, htb, _clock);
        Socket.ExecuteOn(ref w, replace ? "replace class" : "add class", NetlinkSubject.Link(ifIndex));
    }

    /// <summary>Deletes a class.</summary>
    /// <param name="ifIndex">The device.</param>
    /// <param name="parent">Its parent.</param>
    /// <param name="classId">The class id.</param>
    /// <returns>False when there was no such class.</returns>
    /// <exception cref="NetlinkException">The kernel refused for another reason (EBUSY while it has children or filters).</exception>
    public bool TryDeleteClass(int ifIndex, TcHandle parent, TcHandle classId)
    {
        NetlinkWriter w = Socket.BeginRequest(TcConstants.RTM_DELTCLASS, NetlinkMessageFlags.Ack);
        TcMessages.WriteHeader(ref w, ifIndex, classId.Value, parent.Value, 0);
        return Socket.TryExecuteOn(ref w, "delete class", GoneErrors, NetlinkSubject.Link(ifIndex)) == 0;
    }

    /// <summary>Lists the classes of a device.</summary>
    /// <param name="ifIndex">The device.</param>
    /// <returns>The classes.</returns>
    public List<TcClassInfo> ListClasses(int ifIndex)
    {
        NetlinkWriter w = Socket.BeginRequest(TcConstants.RTM_GETTCLASS, NetlinkMessageFlags.Dump);
        TcMessages.WriteHeader(ref w, ifIndex, 0, 0, 0);
        return Socket.DumpOn(ref w, "list classes", (NetlinkMessage m, out TcClassInfo item) => DecodeClass(m, out item), NetlinkSubject.Link(ifIndex));
    }

    /// <summary>Adds or replaces a filter for all protocols (<c>tc filter add … protocol all prio N</c>).</summary>
    /// <param name="ifIndex">The device.</param>
    /// <param name="parent">The qdisc (<see cref="TcHandle.IngressQdisc"/>, <see cref="TcHandle.ClsactEgress"/>, <c>1:</c>) or class.</param>
    /// <param name="priority">The priority (1 and up).</param>
    /// <param name="filter">The classifier and its action.</param>
    /// <param name="replace">Replace instead of adding.</param>
    /// <exception cref="NetlinkException">The kernel refused it.</exception>
    public void AddFilter(int ifIndex, TcHandle parent, ushort priority, TcFilter filter, bool replace = false)
    {
        ArgumentNullException.ThrowIfNull(filter);
        NetlinkWriter w = Socket.BeginRequest(TcConstants.RTM_NEWTFILTER, TcMessages.ChangeFlags(replace));
        TcMessages.WriteFilter(ref w, ifIndex, parent, priority, filter);
        Socket.ExecuteOn(ref w, replace ? "replace filter" : "add filter", NetlinkSubject.Link(ifIndex));
    }

    /// <summary>Deletes every filter of one priority under a parent (<c>tc filter del … prio N</c>).</summary>
    /// <param name="ifIndex">The device.</param>
    /// <param name="parent">The qdisc or class.</param>
    /// <param name="priority">The priority.</param>
    /// <returns>False when there were none.</returns>
    /// <exception cref="NetlinkException">The kernel refused for another reason.</exception>
    public bool TryDeleteFilters(int ifIndex, TcHandle parent, ushort priority)
    {
        NetlinkWriter w = Socket.BeginRequest(TcConstants.RTM_DELTFILTER, NetlinkMessageFlags.Ack);
        TcMessages.WriteHeader(ref w, ifIndex, 0, parent.Value, TcMessages.FilterInfo(priority));
        return Socket.TryExecuteOn(ref w, "delete filter", GoneErrors, NetlinkSubject.Link(ifIndex)) == 0;
    }

    /// <summary>Lists the filters under a parent (<c>tc filter show dev … parent …</c>).</summary>
    /// <param name="ifIndex">The device.</param>
    /// <param name="parent">The qdisc or class.</param>
    /// <returns>The filters (u32 also lists its hash tables; those have no class id and no action).</returns>
    public List<TcFilterInfo> ListFilters(int ifIndex, TcHandle parent)
    {
        NetlinkWriter w = Socket.BeginRequest(TcConstants.RTM_GETTFILTER, NetlinkMessageFlags.Dump);
        TcMessages.WriteHeader(ref w, ifIndex, 0, parent.Value, 0);
        return Socket.DumpOn(ref w, "list filters", (NetlinkMessage m, out TcFilterInfo item) => DecodeFilter(m, out item), NetlinkSubject.Link(ifIndex));
    }

    /// <summary>Closes the socket when this instance owns it.</summary>
    public void Dispose()
    {
        if (_ownsSocket)
        {
            Socket.Dispose();
        }
    }

    private static bool DecodeQdisc(NetlinkMessage m, PschedClock clock, out TcQdiscInfo item)
    {
        item = null!;
        if (m.Type != TcConstants.RTM_NEWQDISC)
        {
            return false;
        }
        TrafficControlMessage h = m.ReadFamilyHeader<TrafficControlMessage>();
        string kind = "";
        ReadOnlySpan<byte> options = default;
        foreach (NetlinkAttr a in m.GetAttributes<TrafficControlMessage>())
        {
            if (a.Type == TcConstants.TCA_KIND)
            {
                kind = a.GetString();
            }
            else if (a.Type == TcConstants.TCA_OPTIONS)
            {
                options = a.Value;
            }
        }
        item = new TcQdiscInfo(h.Index, new TcHandle(h.Handle), new TcHandle(h.Parent), kind);
        switch (kind)
        {
            case "tbf":
                item = item with { Tbf = ReadTbf(options, clock) };
                break;
            case "pfifo" or "bfifo" when options.Length >= 4:
                item = item with { FifoLimit = BinaryPrimitives.ReadUInt32LittleEndian(options) };
                break;
            case "htb":
                foreach (NetlinkAttr a in new NetlinkAttributeEnumerator(options))
                {
                    if (a.Type == TcConstants.TCA_HTB_INIT && a.Value.Length >= 12)
                    {
                        item = item with { HtbDefaultClass = (ushort)BinaryPrimitives.ReadUInt32LittleEndian(a.Value[8..]) };
                    }
                }
                break;
        }
        return true;
    }

    private static TbfParameters? ReadTbf(ReadOnlySpan<byte> options, PschedClock clock)
    {
        ulong rate = 0;
        uint limit = 0, buffer = 0;
        bool parms = false;
        foreach (NetlinkAttr a in new NetlinkAttributeEnumerator(options))
        {
            if (a.Type == TcConstants.TCA_TBF_PARMS && a.Value.Length >= 36)
            {
                rate = TcRateSpec.ReadRate(a.Value);
                limit = BinaryPrimitives.ReadUInt32LittleEndian(a.Value[24..]);
                buffer = BinaryPrimitives.ReadUInt32LittleEndian(a.Value[28..]);
                parms = true;
            }
            else if (a.Type == TcConstants.TCA_TBF_RATE64 && a.Value.Length >= 8)
            {
                rate = a.GetUInt64();
            }
        }
        if (!parms)
        {
            return null;
        }
        // The kernel reports the bucket as time; tc turns it back into bytes at the rate.
        double burst = rate * (buffer / clock.TicksPerMicrosecond) / 1_000_000.0;
        return new TbfParameters(rate, PschedClock.Saturate(Math.Round(burst)), buffer, limit);
    }

    private static bool DecodeClass(NetlinkMessage m, out TcClassInfo item)
    {
        item = null!;
        if (m.Type != TcConstants.RTM_NEWTCLASS)
        {
            return false;
        }
        TrafficControlMessage h = m.ReadFamilyHeader<TrafficControlMessage>();
        string kind = "";
        ulong? rate = null, ceil = null;
        foreach (NetlinkAttr a in m.GetAttributes<TrafficControlMessage>())
        {
            if (a.Type == TcConstants.TCA_KIND)
            {
                kind = a.GetString();
            }
            else if (a.Type == TcConstants.TCA_OPTIONS)
            {
                foreach (NetlinkAttr o in a.GetNested())
                {
                    if (o.Type == TcConstants.TCA_HTB_PARMS && o.Value.Length >= 24)
                    {
                        rate ??= TcRateSpec.ReadRate(o.Value);
                        ceil ??= TcRateSpec.ReadRate(o.Value[12..]);
                    }
                    else if (o.Type == TcConstants.TCA_HTB_RATE64 && o.Value.Length >= 8)
                    {
                        rate = o.GetUInt64();
                    }
                    else if (o.Type == TcConstants.TCA_HTB_CEIL64 && o.Value.Length >= 8)
                    {
                        ceil = o.GetUInt64();
                    }
                }
            }
        }
        item = new TcClassInfo(h.Index, new TcHandle(h.Handle), new TcHandle(h.Parent), kind)
        {
            RateBytesPerSecond = rate,
            CeilBytesPerSecond = ceil,
        };
        return true;
    }

    private static bool DecodeFilter(NetlinkMessage m, out TcFilterInfo item)
    {
        item = null!;
        if (m.Type != TcConstants.RTM_NEWTFILTER)
        {
            return false;
        }
        TrafficControlMessage h = m.ReadFamilyHeader<TrafficControlMessage>();
        string kind = "";
        TcHandle? classId = null;
        MirredAction? mirred = null;
        foreach (NetlinkAttr a in m.GetAttributes<TrafficControlMessage>())
        {
            if (a.Type == TcConstants.TCA_KIND)
            {
                kind = a.GetString();
            }
            else if (a.Type == TcConstants.TCA_OPTIONS)
            {
                // u32 and matchall both number CLASSID 1; their action lists are 7 and 2.
                ushort actType = kind == "matchall" ? TcConstants.TCA_MATCHALL_ACT : TcConstants.TCA_U32_ACT;
                foreach (NetlinkAttr o in a.GetNested())
                {
                    if (o.Type == TcConstants.TCA_U32_CLASSID && o.Value.Length >= 4)
                    {
                        classId = new TcHandle(o.GetUInt32());
                    }
                    else if (o.Type == actType)
                    {
                        mirred ??= MirredAction.ReadList(o.Value);
                    }
                }
            }
        }
        ushort protocol = BinaryPrimitives.ReverseEndianness((ushort)h.Info);
        item = new TcFilterInfo(h.Index, h.Handle, new TcHandle(h.Parent), kind, (ushort)(h.Info >> 16), protocol)
        {
            ClassId = classId,
            Mirred = mirred,
        };
        return true;
    }
}
