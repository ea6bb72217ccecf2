using System.Net;
using Cni.Net.Namespaces;

namespace Cni.Net.Netlink.Route;

/// <summary>
/// Pipelined rtnetlink requests: several requests are written back to back into the socket's send buffer and sent
/// with one <c>sendto</c>; <see cref="Execute"/> then reads all acknowledgements. For bulk work (thousands of
/// routes or links) this saves a system call round trip per request. Allocation-free.
/// </summary>
/// <remarks>
/// Each queue method returns <see langword="false"/>, queuing nothing, when the batch is full (64 KiB or
/// <see cref="NetlinkSocket.MaxBatchRequests"/> requests): call <see cref="Execute"/> and queue again. The kernel
/// carries out the requests in order and goes on after a failed one; <see cref="Execute"/> throws the first error
/// that is not tolerated once every acknowledgement has been read. Get one from <see cref="RouteNetlink.BeginBatch"/>.
/// </remarks>
public ref struct RouteBatch
{
    private readonly NetlinkSocket _socket;
    private NetlinkWriter _writer;

    internal RouteBatch(NetlinkSocket socket)
    {
        _socket = socket;
        _writer = socket.BeginBatch();
    }

    /// <summary>Number of queued requests.</summary>
    public readonly int Count => _socket.BatchCount;

    /// <summary>Queues the creation of a veth pair (see <see cref="RouteNetlink.AddVeth"/>).</summary>
    /// <exception cref="ArgumentException">A name is invalid.</exception>
    public bool AddVeth(scoped ReadOnlySpan<char> name, scoped ReadOnlySpan<char> peerName, NetworkNamespace? peerNamespace = null, int mtu = 0)
    {
        RouteNetlink.ValidateName(name, nameof(name));
        RouteNetlink.ValidateName(peerName, nameof(peerName));
        if (!Append(RouteMessageType.NewLink, NetlinkMessageFlags.Create | NetlinkMessageFlags.Excl))
        {
            return false;
        }
        RouteNetlink.EncodeVeth(ref _writer, name, peerName, peerNamespace, mtu);
        return true;
    }

    /// <summary>Queues the deletion of the link named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">The name is invalid.</exception>
    public bool DeleteLink(scoped ReadOnlySpan<char> name)
    {
        RouteNetlink.ValidateName(name, nameof(name));
        if (!Append(RouteMessageType.DeleteLink, NetlinkMessageFlags.None))
        {
            return false;
        }
        RouteNetlink.EncodeDeleteLink(ref _writer, name);
        return true;
    }

    /// <summary>Queues setting the link up.</summary>
    public bool SetLinkUp(int index)
    {
        if (!Append(RouteMessageType.NewLink, NetlinkMessageFlags.None))
        {
            return false;
        }
        RouteNetlink.EncodeChangeFlags(ref _writer, index, InterfaceFlags.Up, InterfaceFlags.Up);
        return true;
    }

    /// <summary>Queues adding an address.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The prefix length is out of range.</exception>
    public bool AddAddress(int index, IPAddress address, int prefixLength)
    {
        ArgumentNullException.ThrowIfNull(address);
        RouteNetlink.ValidatePrefix(address, prefixLength, nameof(prefixLength));
        if (!Append(RouteMessageType.NewAddress, NetlinkMessageFlags.Create | NetlinkMessageFlags.Excl))
        {
            return false;
        }
        RouteNetlink.EncodeAddress(ref _writer, index, address, prefixLength, AddressFlags.None, RouteScope.Universe);
        return true;
    }

    /// <summary>Queues removing an address.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The prefix length is out of range.</exception>
    public bool DeleteAddress(int index, IPAddress address, int prefixLength)
    {
        ArgumentNullException.ThrowIfNull(address);
        RouteNetlink.ValidatePrefix(address, prefixLength, nameof(prefixLength));
        if (!Append(RouteMessageType.DeleteAddress, NetlinkMessageFlags.None))
        {
            return false;
        }
        RouteNetlink.EncodeAddress(ref _writer, index, address, prefixLength, AddressFlags.None, RouteScope.Universe);
        return true;
    }

    /// <summary>Queues adding a route (fails with EEXIST at execution when it exists).</summary>
    /// <exception cref="ArgumentException">The route is inconsistent.</exception>
    public bool AddRoute(IPRoute route)
    {
        ArgumentNullException.ThrowIfNull(route);
        if (!Append(RouteMessageType.NewRoute, NetlinkMessageFlags.Create | NetlinkMessageFlags.Excl))
        {
            return false;
        }
        RouteNetlink.EncodeRoute(ref _writer, route, delete: false);
        return true;
    }

    /// <summary>Queues deleting a route.</summary>
    /// <exception cref="ArgumentException">The route is inconsistent.</exception>
    public bool DeleteRoute(IPRoute route)
    {
        ArgumentNullException.ThrowIfNull(route);
        if (!Append(RouteMessageType.DeleteRoute, NetlinkMessageFlags.None))
        {
            return false;
        }
        RouteNetlink.EncodeRoute(ref _writer, route, delete: true);
        return true;
    }

    /// <summary>
    /// Sends the queued requests and reads their acknowledgements; the batch is empty afterwards and can be reused.
    /// </summary>
    /// <param name="toleratedErrors">Errors to count instead of throw (EEXIST for idempotent adds …).</param>
    /// <returns>How many requests ended with a tolerated error.</returns>
    /// <exception cref="NetlinkException">A request failed with an error not tolerated (the first such).</exception>
    public int Execute(ReadOnlySpan<int> toleratedErrors = default) =>
        _socket.ExecuteBatch(ref _writer, "batch", toleratedErrors);

    private bool Append(RouteMessageType type, NetlinkMessageFlags flags) =>
        _socket.AppendRequest(ref _writer, (ushort)type, flags);
}
