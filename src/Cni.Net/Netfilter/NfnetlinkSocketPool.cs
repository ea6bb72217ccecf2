using Cni.Net.Namespaces;
using Cni.Net.Netlink;

namespace Cni.Net.Netfilter;

/// <summary>
/// NETLINK_NETFILTER sockets (nf_tables and conntrack alike) kept open between calls: a few per network namespace,
/// for the last few namespaces used.
/// </summary>
/// <remarks>
/// When a bound NETLINK_NETFILTER socket is released, nf_tables flushes its pending destroy work (the objects of
/// deleted rules and chains, freed after an RCU grace period): closing a socket right after a delete waits for that
/// grace period, 8 ms in a portmap DEL here. A long-lived host (the plugin server, an in-process executor) keeps its
/// sockets and never waits; a plugin process closes them once, when it exits. A socket holds a reference to its
/// namespace, so only the <see cref="MaxNamespaces"/> most recently used namespaces keep sockets: a host that works in
/// many short-lived namespaces (tests do) does not keep them alive.
/// </remarks>
internal static class NfnetlinkSocketPool
{
    internal const int MaxNamespaces = 4;

    private static bool s_objectsDeleted;

    /// <summary>
    /// Whether a batch sent by this process deleted nf_tables objects: releasing any NETLINK_NETFILTER socket then waits
    /// for their destroy work, so a plugin process leaves its sockets' release to a detached process at exit
    /// (<see cref="Interop.DetachedProcess.TryReleaseAfterExit"/>).
    /// </summary>
    internal static bool ObjectsDeleted
    {
        get => Volatile.Read(ref s_objectsDeleted);
        set => Volatile.Write(ref s_objectsDeleted, value);
    }
    private const int MaxIdlePerNamespace = 4;

    private static readonly Lock s_lock = new();

    // Most recently used last.
    private static readonly List<Idle> s_idle = [];

    /// <summary>Runs <paramref name="action"/> on a socket of the calling thread's namespace, kept for the next call
    /// when it returns normally (after an exception the socket is closed: it may hold unread replies).</summary>
    /// <param name="open">Opens a socket when none is kept for the namespace (and says how a failure reads).</param>
    /// <param name="action">The work.</param>
    public static void Run(Func<NetlinkSocket> open, Action<NetlinkSocket> action)
    {
        (NetlinkSocket socket, (ulong, ulong) key) = Rent(open);
        bool healthy = false;
        try
        {
            action(socket);
            healthy = true;
        }
        finally
        {
            if (healthy)
            {
                Return(key, socket);
            }
            else
            {
                socket.Dispose();
            }
        }
    }

    /// <summary>How many sockets are kept, in how many namespaces (for tests).</summary>
    internal static (int Sockets, int Namespaces) Count()
    {
        lock (s_lock)
        {
            return (s_idle.Sum(i => i.Sockets.Count), s_idle.Count);
        }
    }

    /// <summary>A kept socket of the calling thread's namespace, or a new one from <paramref name="open"/>; give it
    /// back with <see cref="Return"/> (or dispose of it if a request on it failed).</summary>
    public static (NetlinkSocket Socket, (ulong, ulong) Namespace) Rent(Func<NetlinkSocket> open)
    {
        (ulong, ulong) key = NetlinkNamespaceKey.Current();
        lock (s_lock)
        {
            int at = IndexOf(key);
            if (at >= 0 && s_idle[at].Sockets.TryPop(out NetlinkSocket? kept))
            {
                return (kept, key);
            }
        }
        return (open(), key);
    }

    /// <summary>Keeps <paramref name="socket"/>, rented for <paramref name="key"/>, for the next call.</summary>
    public static void Return((ulong, ulong) key, NetlinkSocket socket)
    {
        NetlinkSocket? extra = null;
        Idle? evicted = null;
        lock (s_lock)
        {
            int at = IndexOf(key);
            Idle idle;
            if (at < 0)
            {
                idle = new Idle(key, new Stack<NetlinkSocket>(MaxIdlePerNamespace));
            }
            else
            {
                idle = s_idle[at];
                s_idle.RemoveAt(at);
            }
            s_idle.Add(idle);
            if (idle.Sockets.Count < MaxIdlePerNamespace)
            {
                idle.Sockets.Push(socket);
            }
            else
            {
                extra = socket;
            }
            if (s_idle.Count > MaxNamespaces)
            {
                evicted = s_idle[0];
                s_idle.RemoveAt(0);
            }
        }
        // Outside the lock: a close may wait for a grace period.
        extra?.Dispose();
        while (evicted is not null && evicted.Sockets.TryPop(out NetlinkSocket? old))
        {
            old.Dispose();
        }
    }

    private static int IndexOf((ulong, ulong) key)
    {
        for (int i = 0; i < s_idle.Count; i++)
        {
            if (s_idle[i].Namespace == key)
            {
                return i;
            }
        }
        return -1;
    }

    private sealed record Idle((ulong, ulong) Namespace, Stack<NetlinkSocket> Sockets);
}
