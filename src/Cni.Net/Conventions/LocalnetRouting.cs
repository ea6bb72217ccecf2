using System.Net;
using System.Net.Sockets;
using Cni.Net.Namespaces;
using Cni.Net.Netlink;
using Cni.Net.Netlink.Route;
using Cni.Net.Netfilter;

namespace Cni.Net.Conventions;

/// <summary>
/// The other half of portmap's localhost forwarding. The <c>-s 127.0.0.1</c> rule of the per-container chain DNATs a
/// node-local connection to <c>127.0.0.1:&lt;hostPort&gt;</c> towards the pod, but the kernel drops a packet whose
/// source is in 127/8 when it would leave through an interface (a "martian") unless that interface has
/// <c>net.ipv4.conf.&lt;if&gt;.route_localnet=1</c>. The reference portmap turns it on, when it masquerades (SNAT on),
/// on the interface the node routes the container's IPv4 address through, and never turns it off again.
/// </summary>
public static class LocalnetRouting
{
    /// <summary>
    /// Sets <c>route_localnet=1</c> on the interface that the node's routing table uses to reach
    /// <paramref name="destination"/> (<c>ip route get</c>), as the reference portmap does for a container address.
    /// Nothing happens when there is no route or the address is IPv6 (127/8 is an IPv4 notion; the kernel has no such
    /// knob for ::1), as with the reference.
    /// </summary>
    /// <param name="destination">The container's address.</param>
    /// <param name="networkNamespace">The node namespace; null for the calling thread's.</param>
    /// <returns>The interface whose <c>route_localnet</c> is now 1, or null when none was touched.</returns>
    /// <exception cref="IOException">The sysctl could not be written.</exception>
    public static string? EnableToward(IPAddress destination, NetworkNamespace? networkNamespace = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (destination.AddressFamily != AddressFamily.InterNetwork)
        {
            return null;
        }
        string? name = RoutingInterface(destination, networkNamespace);
        if (name is null)
        {
            return null;
        }
        // The slash form: interface names may contain dots (VLAN interfaces such as cni0.100).
        Sysctl.Write($"net/ipv4/conf/{name}/route_localnet", "1", networkNamespace);
        return name;
    }

    /// <summary>The name of the interface the route to <paramref name="destination"/> leaves through; null when there is none.</summary>
    private static string? RoutingInterface(IPAddress destination, NetworkNamespace? networkNamespace)
    {
        try
        {
            using RouteNetlink netlink = networkNamespace is null ? new RouteNetlink() : RouteNetlink.Open(networkNamespace);
            IPRoute route = netlink.GetRoute(destination);
            if (route.DeviceIndex == 0)
            {
                return null;
            }
            return netlink.TryGetLink(route.DeviceIndex, out LinkInfo? link) ? link.Name : null;
        }
        catch (NetlinkException)
        {
            // Unreachable (ENETUNREACH) or a vanished link: the reference skips the sysctl then, and so do we.
            return null;
        }
    }
}
