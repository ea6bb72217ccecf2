using System.Net.NetworkInformation;
using System.Text;
using Cni.Net.Namespaces;
using Cni.Net.Interop;

namespace Cni.Net.Netlink.Route;

/// <summary>
/// The rtnetlink client: links, addresses, routes and neighbours of one network namespace, over one
/// <see cref="NetlinkSocket"/>. After warm-up, the span/index-based operations (add a veth pair, set a link up, add
/// or delete an address or a route) allocate nothing, including reading the acknowledgement.
/// </summary>
/// <remarks>
/// <para>Operations throw <see cref="NetlinkException"/> with the kernel's errno and extended-ack text; the
/// <c>Try…</c> forms return <see langword="false"/> for the idempotent cases instead (EEXIST on add,
/// ENOENT/ENODEV/ESRCH/EADDRNOTAVAIL on delete), so that a CNI DEL can be written without exceptions.</para>
/// <para>Like its socket, an instance is not thread-safe. It works on the namespace the socket was opened in:
/// <see cref="Open(NetworkNamespace)"/> opens one for another namespace without moving any thread.</para>
/// </remarks>
public sealed partial class RouteNetlink : IDisposable
{
    private static readonly System.Buffers.SearchValues<char> s_invalidNameChars = System.Buffers.SearchValues.Create("/: \t\n\r\v\f\0");

    private readonly bool _ownsSocket;

    /// <summary>Opens an rtnetlink socket in the calling thread's namespace.</summary>
    /// <exception cref="NetlinkException">The socket could not be opened.</exception>
    public RouteNetlink()
        : this(new NetlinkSocket(NetlinkProtocol.Route), ownsSocket: true)
    {
    }

    /// <summary>Uses an existing <see cref="NetlinkProtocol.Route"/> socket.</summary>
    /// <param name="socket">The socket.</param>
    /// <param name="ownsSocket">Whether <see cref="Dispose"/> closes it.</param>
    /// <exception cref="ArgumentException">The socket is not a NETLINK_ROUTE socket.</exception>
    public RouteNetlink(NetlinkSocket socket, bool ownsSocket = false)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (socket.Protocol != NetlinkProtocol.Route)
        {
            throw new ArgumentException("rtnetlink needs a NETLINK_ROUTE socket", nameof(socket));
        }
        Socket = socket;
        _ownsSocket = ownsSocket;
    }

    /// <summary>Opens an rtnetlink client bound to <paramref name="networkNamespace"/>.</summary>
    /// <exception cref="NetlinkException">The socket could not be opened.</exception>
    public static RouteNetlink Open(NetworkNamespace networkNamespace) =>
        new(NetlinkSocket.Open(networkNamespace, NetlinkProtocol.Route), ownsSocket: true);

    /// <summary>The underlying socket (for requests this class does not cover, such as traffic control).</summary>
    public NetlinkSocket Socket { get; }

    /// <summary>
    /// Starts a pipelined batch on this client's socket (see <see cref="RouteBatch"/>); the socket serves nothing
    /// else until the batch is executed.
    /// </summary>
    public RouteBatch BeginBatch() => new(Socket);

    /// <summary>Closes the socket when this instance owns it.</summary>
    public void Dispose()
    {
        if (_ownsSocket)
        {
            Socket.Dispose();
        }
    }

    // Errors that mean "already there" / "already gone" for the Try forms.
    internal static ReadOnlySpan<int> ExistsErrors => [Errno.EEXIST];

    internal static ReadOnlySpan<int> GoneErrors => [Errno.ENOENT, Errno.ENODEV, Errno.ESRCH, Errno.EADDRNOTAVAIL];

    internal static void ValidateName(ReadOnlySpan<char> name, string paramName)
    {
        // The kernel's dev_valid_name: 1..15 bytes, not "." or "..", no '/', ':' or whitespace.
        if (name.IsEmpty || name.Length > 15 || (!System.Text.Ascii.IsValid(name) && Encoding.UTF8.GetByteCount(name) > 15) ||
            name is "." || name is ".." || name.IndexOfAny(s_invalidNameChars) >= 0)
        {
            ThrowInvalidName(name.ToString(), paramName);
        }
    }

    private static void ThrowInvalidName(string name, string paramName) =>
        throw new ArgumentException(
            $"'{name}' is not a valid interface name: 1–15 bytes without '/', ':' or whitespace, not '.' or '..'", paramName);

    internal static void WritePhysicalAddress(ref NetlinkWriter writer, ushort type, PhysicalAddress address)
    {
        byte[] bytes = address.GetAddressBytes();
        if (bytes.Length == 0)
        {
            throw new ArgumentException("the hardware address is empty", nameof(address));
        }
        writer.WriteMacAddress(type, bytes);
    }
}
