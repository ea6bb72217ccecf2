using System.Buffers.Text;
using System.Net.Sockets;
using Microsoft.Win32.SafeHandles;
using Cni.Net.Namespaces;
using Cni.Net.Netlink;
using Cni.Net.Interop;
using Cni.Net.Netfilter;

namespace Cni.Net.Netfilter.Conntrack;

/// <summary>
/// The kernel's connection-tracking table of one network namespace, over ctnetlink (NETLINK_NETFILTER): list its
/// entries and delete those of flows to given ports — what <c>conntrack -L</c> / <c>conntrack -D -p udp
/// --orig-port-dst N</c> do, without starting a process.
/// </summary>
/// <remarks>
/// <para>Deleting asks the kernel to flush the matching entries itself: one IPCTNL_MSG_CT_DELETE per port carrying a
/// CTA_FILTER on protocol and original destination port (Linux 6.11 and later). The kernel then skips the empty
/// buckets of its conntrack hash, which a dump cannot: a dump walks and locks every bucket whatever the filter (about
/// 9 ms for 262,144 buckets on a 6.x kernel, against about 0.15 ms for the flush). Older kernels read such a request
/// as the deletion of one tuple without addresses and refuse it (EINVAL); there, and from then on for this table,
/// deleting is a dump (filtered by the kernel from Linux 5.8 on, every entry checked again here) followed by one
/// batch of deletions, where an entry that vanished in between (it timed out, or was replaced by a new flow with the
/// same addresses) is not an error. Either way nothing is sent when the namespace tracks no entry at all (its
/// <c>nf_conntrack_count</c> is 0).</para>
/// <para>A kernel without conntrack netlink support makes the constructor or the first request throw
/// <see cref="NetlinkException"/> with EPROTONOSUPPORT (no nfnetlink), or EINVAL / EOPNOTSUPP (no ctnetlink
/// subsystem). A namespace where nothing enabled connection tracking simply has an empty table.</para>
/// <para>Not thread-safe: one request at a time.</para>
/// </remarks>
public sealed class ConntrackTable : IDisposable
{
    private const int MaxKernelFilteredPorts = 8;

    // The detached process sends its flushes as one datagram (160 bytes a port), which must fit the socket's default
    // send buffer; more ports than this are flushed by DeleteFlows.
    private const int MaxDetachedPorts = 256;
    private const int DeleteReserve = 160; // nlmsghdr + nfgenmsg + an IPv6 tuple + zone + id, rounded up

    private const string CountPath = "/proc/sys/net/netfilter/nf_conntrack_count";

    // The first kernel whose deletion honours the filter (before it, the tuple without addresses is refused).
    private static readonly Version FilteredFlushKernel = new(6, 11);

    private readonly NetlinkSocket _socket;
    private readonly (ulong, ulong) _namespace;
    private readonly SafeFileHandle? _count;
    private bool _faulted;
    private bool _disposed;
    private readonly List<ConntrackEntry> _matches = [];

    /// <summary>Opens the table of the calling thread's network namespace.</summary>
    /// <exception cref="NetlinkException">The kernel has no NETLINK_NETFILTER (EPROTONOSUPPORT), or the socket failed.</exception>
    public ConntrackTable()
    {
        // A kept socket when there is one: closing a NETLINK_NETFILTER socket waits for nf_tables' pending grace period.
        (_socket, _namespace) = NfnetlinkSocketPool.Rent(static () => new NetlinkSocket(NetlinkProtocol.Netfilter));
        // A network sysctl file shows the namespace of the thread that opened it, for as long as it stays open.
        try
        {
            _count = File.OpenHandle(CountPath, FileMode.Open, FileAccess.Read);
        }
        catch (IOException)
        {
            _count = null;
        }
        catch (UnauthorizedAccessException)
        {
            _count = null;
        }
    }

    /// <summary>Opens the table of <paramref name="networkNamespace"/> (it stays bound to it).</summary>
    /// <exception cref="NetlinkException">The kernel has no NETLINK_NETFILTER (EPROTONOSUPPORT), or the socket failed.</exception>
    public static ConntrackTable Open(NetworkNamespace networkNamespace)
    {
        ArgumentNullException.ThrowIfNull(networkNamespace);
        // Opening the socket and the count file are two system calls: no thread of its own is worth starting for them.
        return networkNamespace.RunOnCallingThread(static () => new ConntrackTable());
    }

    /// <summary>Whether the kernel flushes matching entries itself (cleared when it refuses a filtered flush).</summary>
    internal bool KernelFlush { get; set; } = true;

    /// <summary>Whether dumps ask the kernel to filter (cleared when the kernel refuses CTA_FILTER).</summary>
    internal bool KernelFilter { get; set; } = true;

    /// <summary>
    /// Deletes every entry of <paramref name="family"/> and <paramref name="protocol"/> whose original destination
    /// port is one of <paramref name="destinationPorts"/> (as <c>conntrack -D -f ipv4 -p udp --orig-port-dst N</c>
    /// does for each port).
    /// </summary>
    /// <remarks>The kernel's own flush does not say how many entries it removed, so neither does this method.</remarks>
    /// <exception cref="ArgumentException">The family is not IPv4 or IPv6, the protocol has no ports, or a port is 0.</exception>
    /// <exception cref="NetlinkException">The kernel refused the flush, the dump or a deletion.</exception>
    /// <exception cref="NetlinkProtocolException">The kernel's reply is malformed.</exception>
    public void DeleteFlows(AddressFamily family, ProtocolType protocol, ReadOnlySpan<ushort> destinationPorts)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        try
        {
            DeleteFlowsCore(family, protocol, destinationPorts);
        }
        catch (Exception e) when (e is NetlinkException or NetlinkProtocolException)
        {
            // Replies may be left unread: the socket is not given back for reuse.
            _faulted = true;
            throw;
        }
    }

    private void DeleteFlowsCore(AddressFamily family, ProtocolType protocol, ReadOnlySpan<ushort> destinationPorts)
    {
        byte af = FamilyByte(family);
        ValidateMatch(protocol, destinationPorts);
        if (destinationPorts.IsEmpty || TrackedEntries() == 0)
        {
            return;
        }
        if (KernelFlush && TryKernelFlush(af, (byte)protocol, destinationPorts))
        {
            return;
        }
        _matches.Clear();
        var handler = new MatchHandler(_matches, af, (byte)protocol, destinationPorts);
        bool filtered = KernelFilter && destinationPorts.Length <= MaxKernelFilteredPorts && TryFilteredDumps(ref handler, af, (byte)protocol, destinationPorts);
        if (!filtered)
        {
            Dump(ref handler, af, 0, 0);
        }
        Delete(_matches);
    }

    /// <summary>
    /// Does <see cref="DeleteFlows"/>'s work without waiting for it, where that is possible: in a plugin process that
    /// exits after its answer (<see cref="Plugins.CniPluginHost"/>), on Linux 6.11 or later, the kernel's filtered
    /// flushes are sent from a detached process of the plugin's, which the plugin's exit does not wait for. The kernel
    /// finds the entries by walking its whole conntrack hash (every bucket, whatever the number of entries: 262,144 on
    /// a node with a few GiB of memory), which this leaves off the plugin's answer.
    /// </summary>
    /// <remarks>
    /// The flushes are then neither confirmed nor reported: a plugin that only logs a failed flush (as portmap does,
    /// after the reference) loses nothing but that line. The operator's <c>CNI_NET_DETACHED_CLEANUP=0</c> turns it off.
    /// </remarks>
    /// <returns>
    /// <see langword="true"/> when the flushes were handed over, or when there is nothing to delete (no port, or a table
    /// with no entry at all); <see langword="false"/> when the caller must call <see cref="DeleteFlows"/> (a long-lived
    /// process, an older kernel, no detached process, more than 256 ports, or a table of another namespace than the
    /// calling thread's).
    /// </returns>
    /// <exception cref="ArgumentException">The family is not IPv4 or IPv6, the protocol has no ports, or a port is 0.</exception>
    public bool TryDeleteFlowsDetached(AddressFamily family, ProtocolType protocol, ReadOnlySpan<ushort> destinationPorts)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        byte af = FamilyByte(family);
        ValidateMatch(protocol, destinationPorts);
        if (destinationPorts.IsEmpty || TrackedEntries() == 0)
        {
            return true;
        }
        // The detached process's socket is opened in the calling thread's namespace: a table of another one (Open)
        // flushes itself.
        if (!KernelFlush || !DetachedProcess.CanDetach || Environment.OSVersion.Version < FilteredFlushKernel
            || destinationPorts.Length > MaxDetachedPorts || !InCallingThreadsNamespace())
        {
            return false;
        }
        return DetachedFlush.TryStart(af, (byte)protocol, destinationPorts);
    }

    private bool InCallingThreadsNamespace()
    {
        try
        {
            return NetlinkNamespaceKey.Current() == _namespace;
        }
        catch (NetlinkException)
        {
            return false;
        }
    }

    private static void ValidateMatch(ProtocolType protocol, ReadOnlySpan<ushort> destinationPorts)
    {
        if ((uint)protocol > byte.MaxValue || !ConntrackMessages.HasPorts((byte)protocol))
        {
            throw new ArgumentException($"protocol {protocol} has no ports (TCP, UDP, DCCP, SCTP, UDP-Lite have)", nameof(protocol));
        }
        if (destinationPorts.Contains((ushort)0))
        {
            throw new ArgumentException("port 0 cannot be matched", nameof(destinationPorts));
        }
    }

    /// <summary>Lists the entries of <paramref name="family"/> (as <c>conntrack -L -f ipv4</c> does).</summary>
    /// <exception cref="ArgumentException">The family is not IPv4 or IPv6.</exception>
    /// <exception cref="NetlinkException">The kernel refused the dump.</exception>
    /// <exception cref="NetlinkProtocolException">The kernel's reply is malformed.</exception>
    public IReadOnlyList<ConntrackFlow> ListFlows(AddressFamily family)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        byte af = FamilyByte(family);
        try
        {
            NetlinkWriter request = _socket.BeginRequest(ConntrackLayout.GetMessageType, NetlinkMessageFlags.Dump);
            ConntrackMessages.WriteDumpBody(ref request, af);
            return _socket.Dump(ref request, "dump conntrack table", static (NetlinkMessage message, out ConntrackFlow flow) =>
            {
                bool entry = ConntrackMessages.TryDecode(message, out ConntrackEntry decoded);
                flow = entry ? decoded.ToFlow() : default;
                return entry;
            });
        }
        catch (Exception e) when (e is NetlinkException or NetlinkProtocolException)
        {
            _faulted = true;
            throw;
        }
    }

    /// <summary>Gives the netlink socket back to the process's pool of NETLINK_NETFILTER sockets (closes it after a
    /// failed request) and closes the count file.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        if (_faulted)
        {
            _socket.Dispose();
        }
        else
        {
            NfnetlinkSocketPool.Return(_namespace, _socket);
        }
        _count?.Dispose();
    }

    /// <summary>The namespace's <c>nf_conntrack_count</c>; -1 when it cannot be read (then a dump decides).</summary>
    internal long TrackedEntries()
    {
        if (_count is null)
        {
            return -1;
        }
        Span<byte> text = stackalloc byte[32];
        int length;
        try
        {
            length = RandomAccess.Read(_count, text, 0);
        }
        catch (IOException)
        {
            return -1;
        }
        return Utf8Parser.TryParse(text[..length], out long count, out _) ? count : -1;
    }

    /// <summary>
    /// One kernel-side filtered flush per port. Returns <see langword="false"/> (and stops trying on this table) when
    /// the kernel refuses the first one, so that the caller falls back to dumping and deleting.
    /// </summary>
    internal bool TryKernelFlush(byte family, byte protocol, ReadOnlySpan<ushort> ports)
    {
        for (int i = 0; i < ports.Length; i++)
        {
            if (ports[..i].Contains(ports[i]))
            {
                continue;
            }
            NetlinkWriter request = _socket.BeginRequest(ConntrackLayout.DeleteMessageType, NetlinkMessageFlags.None);
            ConntrackMessages.WriteDumpBody(ref request, family, protocol, ports[i]);
            try
            {
                _socket.Execute(ref request, "flush conntrack entries");
            }
            catch (NetlinkException e) when (i == 0 && e.Errno is Errno.EINVAL or Errno.EOPNOTSUPP)
            {
                // Before Linux 6.11 the filter is ignored on deletion and the tuple without addresses is refused.
                KernelFlush = false;
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// One kernel-filtered dump per port. Returns <see langword="false"/> (and stops filtering on this table) when the
    /// kernel refuses CTA_FILTER, so that the caller falls back to one unfiltered dump.
    /// </summary>
    internal bool TryFilteredDumps(ref MatchHandler handler, byte family, byte protocol, ReadOnlySpan<ushort> ports)
    {
        for (int i = 0; i < ports.Length; i++)
        {
            if (ports[..i].Contains(ports[i]))
            {
                continue;
            }
            try
            {
                Dump(ref handler, family, protocol, ports[i]);
            }
            catch (NetlinkException e) when (i == 0 && e.Errno is Errno.EINVAL or Errno.EOPNOTSUPP)
            {
                // Kernels before 5.8 (no CTA_FILTER) may refuse the tuple without IP addresses; the plain dump below
                // tells a missing filter from a missing ctnetlink.
                KernelFilter = false;
                handler.OnRestart();
                return false;
            }
        }
        return true;
    }

    internal void Dump(ref MatchHandler handler, byte family, byte protocol, ushort port)
    {
        NetlinkWriter request = _socket.BeginRequest(ConntrackLayout.GetMessageType, NetlinkMessageFlags.Dump);
        ConntrackMessages.WriteDumpBody(ref request, family, protocol, port);
        _socket.Request(ref request, "dump conntrack table", ref handler);
    }

    internal int Delete(List<ConntrackEntry> entries)
    {
        int deleted = 0;
        int index = 0;
        while (index < entries.Count)
        {
            NetlinkWriter batch = _socket.BeginBatch();
            while (index < entries.Count && _socket.AppendRequest(ref batch, ConntrackLayout.DeleteMessageType, NetlinkMessageFlags.None, DeleteReserve))
            {
                ConntrackMessages.WriteDeleteBody(ref batch, entries[index]);
                index++;
            }
            int count = _socket.BatchCount;
            // ENOENT: the entry timed out, was deleted by someone else, or its tuple now belongs to a newer flow.
            int gone = _socket.ExecuteBatch(ref batch, "delete conntrack entry", [Errno.ENOENT]);
            deleted += count - gone;
        }
        return deleted;
    }

    private static byte FamilyByte(AddressFamily family) => family switch
    {
        AddressFamily.InterNetwork => ConntrackLayout.AF_INET,
        AddressFamily.InterNetworkV6 => ConntrackLayout.AF_INET6,
        _ => throw new ArgumentException($"address family {family} has no conntrack table; use InterNetwork or InterNetworkV6", nameof(family)),
    };

    /// <summary>Keeps the dumped entries that match; counts every entry the kernel sent (to see its filtering).</summary>
    internal ref struct MatchHandler : INetlinkReplyHandler
    {
        private readonly List<ConntrackEntry> _matches;
        private readonly byte _family;
        private readonly byte _protocol;
        private readonly ReadOnlySpan<ushort> _ports;

        public MatchHandler(List<ConntrackEntry> matches, byte family, byte protocol, ReadOnlySpan<ushort> ports)
        {
            _matches = matches;
            _family = family;
            _protocol = protocol;
            _ports = ports;
        }

        public int Received { get; private set; }

        public bool SawFilteredFlag { get; private set; }

        public void OnMessage(NetlinkMessage message)
        {
            if (!ConntrackMessages.TryDecode(message, out ConntrackEntry entry))
            {
                return;
            }
            Received++;
            SawFilteredFlag |= (message.Flags & NetlinkMessageFlags.DumpFiltered) != 0;
            if (entry.Family == _family && entry.Protocol == _protocol && _ports.Contains(entry.DestinationPort))
            {
                _matches.Add(entry);
            }
        }

        public void OnRestart()
        {
            _matches.Clear();
            Received = 0;
        }
    }
}
