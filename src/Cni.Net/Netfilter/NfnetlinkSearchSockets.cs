using Cni.Net.Netlink;

namespace Cni.Net.Netfilter;

/// <summary>
/// The NETLINK_NETFILTER sockets that search dumps (<see cref="NfTables.NftTableSnapshot"/> reading a shared chain only
/// up to what a transaction looks for): small receive buffers, so that the kernel makes a dump in small parts, and never
/// closed on a request's path.
/// </summary>
/// <remarks>
/// Releasing a NETLINK_NETFILTER socket makes nf_tables flush its pending destroy work under the namespace's commit
/// mutex: right after rules were deleted, the close waits for an RCU grace period and every commit in the namespace
/// waits with it (measured: an in-process bridge DEL 1.2–1.5 ms with search sockets left open, 11–13 ms with each
/// closed, on this thread or another). So a socket whose search stopped early is kept as it is — up to
/// <see cref="MaxAbandoned"/>, which a plugin process never exceeds before it exits — and beyond that a thread of this
/// class reads the rest of the oldest one's dump and keeps it for the next search (or, when that thread is
/// <see cref="MaxPendingWork"/> sockets behind, the caller does, as a whole read would have). Sockets are only closed when their
/// namespace is no longer among the last <see cref="NfnetlinkSocketPool.MaxNamespaces"/> used, by that thread.
/// </remarks>
internal static class NfnetlinkSearchSockets
{
    /// <summary>The receive buffer of a search socket, which sets the size of the dump's parts: about 25 iptables rules.</summary>
    internal const int BufferSize = 8 * 1024;

    private const int MaxAbandoned = 4;
    private const int MaxIdlePerNamespace = 4;

    // Beyond this many sockets waiting for the worker, the caller finishes its own dump: searches faster than the
    // worker drains must not pile up open sockets (a loop of searches ran out of file descriptors).
    private const int MaxPendingWork = 8;

    private static readonly Lock s_lock = new();

    // Most recently used last.
    private static readonly List<(ulong, ulong)> s_namespaces = [];
    private static readonly Dictionary<(ulong, ulong), Stack<NetlinkSocket>> s_idle = [];

    // Sockets whose dump was left unfinished, oldest first.
    private static readonly Queue<((ulong, ulong) Namespace, NetlinkSocket Socket)> s_abandoned = new();

    // What the worker thread is to finish (a socket to drain and keep) or close (null namespace), under a monitor.
    private static readonly object s_workGate = new();
    private static readonly Queue<((ulong, ulong)? Namespace, NetlinkSocket Socket)> s_work = new();
    private static Thread? s_worker;

    /// <summary>A search socket of the calling thread's namespace; give it back with <see cref="Return"/>.</summary>
    /// <param name="open">Opens a socket with <see cref="BufferSize"/> buffers when none is kept.</param>
    public static (NetlinkSocket Socket, (ulong, ulong) Namespace) Rent(Func<NetlinkSocket> open)
    {
        (ulong, ulong) key = NetlinkNamespaceKey.Current();
        lock (s_lock)
        {
            if (s_idle.TryGetValue(key, out Stack<NetlinkSocket>? idle) && idle.TryPop(out NetlinkSocket? kept))
            {
                return (kept, key);
            }
        }
        return (open(), key);
    }

    /// <summary>
    /// Takes back a socket from <see cref="Rent"/>: <paramref name="finished"/> true when its last dump was read to the
    /// end (it is kept for the next search), false when the dump was left unfinished, null when a request failed (its
    /// state is unknown: it is closed, off the caller's path).
    /// </summary>
    public static void Return((ulong, ulong) key, NetlinkSocket socket, bool? finished)
    {
        if (finished is null)
        {
            Hand(null, socket);
            return;
        }
        if (finished.Value)
        {
            Keep(key, socket);
            return;
        }
        ((ulong, ulong), NetlinkSocket)? oldest = null;
        lock (s_lock)
        {
            s_abandoned.Enqueue((key, socket));
            if (s_abandoned.Count > MaxAbandoned)
            {
                oldest = s_abandoned.Dequeue();
            }
        }
        if (oldest is not var (ns, abandoned))
        {
            return;
        }
        bool backlog;
        lock (s_workGate)
        {
            backlog = s_work.Count >= MaxPendingWork;
        }
        if (backlog)
        {
            Finish(ns, abandoned);
        }
        else
        {
            Hand(ns, abandoned);
        }
    }

    /// <summary>How many sockets are kept idle, and how many were left with an unfinished dump (for tests).</summary>
    internal static (int Idle, int Abandoned) Count()
    {
        lock (s_lock)
        {
            return (s_idle.Values.Sum(s => s.Count), s_abandoned.Count);
        }
    }

    private static void Keep((ulong, ulong) key, NetlinkSocket socket)
    {
        List<NetlinkSocket>? closing = null;
        lock (s_lock)
        {
            s_namespaces.Remove(key);
            s_namespaces.Add(key);
            if (!s_idle.TryGetValue(key, out Stack<NetlinkSocket>? idle))
            {
                s_idle[key] = idle = new Stack<NetlinkSocket>(MaxIdlePerNamespace);
            }
            if (idle.Count < MaxIdlePerNamespace)
            {
                idle.Push(socket);
            }
            else
            {
                (closing ??= []).Add(socket);
            }
            while (s_namespaces.Count > NfnetlinkSocketPool.MaxNamespaces)
            {
                (ulong, ulong) evicted = s_namespaces[0];
                s_namespaces.RemoveAt(0);
                if (s_idle.Remove(evicted, out Stack<NetlinkSocket>? gone))
                {
                    (closing ??= []).AddRange(gone);
                }
            }
        }
        foreach (NetlinkSocket s in closing ?? [])
        {
            Hand(null, s);
        }
    }

    /// <summary>Gives the worker a socket to finish and keep for <paramref name="key"/>, or (null) to close.</summary>
    private static void Hand((ulong, ulong)? key, NetlinkSocket socket)
    {
        lock (s_workGate)
        {
            s_work.Enqueue((key, socket));
            if (s_worker is null)
            {
                s_worker = new Thread(Work) { IsBackground = true, Name = "nfnetlink search sockets" };
                s_worker.UnsafeStart();
            }
            Monitor.Pulse(s_workGate);
        }
    }

    private static void Work()
    {
        while (true)
        {
            ((ulong, ulong)? key, NetlinkSocket socket) item;
            lock (s_workGate)
            {
                while (!s_work.TryDequeue(out item))
                {
                    Monitor.Wait(s_workGate);
                }
            }
            if (item.key is { } key)
            {
                Finish(key, item.socket);
            }
            else
            {
                item.socket.Dispose();
            }
        }
    }

    /// <summary>Reads the rest of the socket's dump and keeps it; closes it when that fails.</summary>
    private static void Finish((ulong, ulong) key, NetlinkSocket socket)
    {
        bool finished;
        try
        {
            finished = socket.FinishDump();
        }
        catch (Exception e) when (e is NetlinkException or NetlinkProtocolException or ObjectDisposedException)
        {
            finished = false;
        }
        if (finished)
        {
            Keep(key, socket);
        }
        else
        {
            socket.Dispose();
        }
    }
}
