using System.Net;
using System.Net.Sockets;
using Cni.Net.Netlink;
using Cni.Net.Netlink.Route;
using Cni.Net.Spec;

namespace Cni.Net.Conventions;

/// <summary>
/// The ptp plugin's routing, as the reference lays it out. A veth has no point-to-point flag, so in the pod the
/// connected route of each address is replaced by a host route to the gateway (scope link, from the pod's address)
/// and the subnet routed through that gateway: everything, the pod's neighbours included, goes through the node.
/// On the node the veth end carries each gateway as a host address and a host route leads back to the pod.
/// </summary>
public static class PointToPointRoutes
{
    /// <summary>
    /// Rewrites the pod's routes after its addresses are configured (<c>PodInterface.Configure</c>): per address,
    /// deletes the kernel's connected route and adds <c>gateway/32 dev if scope link src ip</c> and
    /// <c>subnet via gateway dev if src ip</c>.
    /// </summary>
    /// <param name="pod">rtnetlink bound to the pod's namespace.</param>
    /// <param name="index">The pod interface's index.</param>
    /// <param name="addresses">The pod's addresses, each with its gateway.</param>
    /// <exception cref="CniException">An address has no gateway (code 7).</exception>
    /// <exception cref="NetlinkException">The kernel refused.</exception>
    public static void ConfigurePod(RouteNetlink pod, int index, IEnumerable<CniIPConfig> addresses)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(addresses);
        foreach (CniIPConfig ip in addresses)
        {
            IPAddress gateway = GatewayOf(ip);
            IPAddress subnet = ip.Address.Network.BaseAddress;
            int hostBits = HostPrefix(ip.Address.Address);
            pod.TryDeleteRoute(new IPRoute
            {
                Destination = subnet,
                DestinationPrefixLength = ip.Address.PrefixLength,
                DeviceIndex = index,
                Protocol = RouteProtocol.Kernel,
                Scope = ip.Address.IsIPv4 ? RouteScope.Link : RouteScope.Universe,
            });
            pod.AddRoute(new IPRoute
            {
                Destination = gateway,
                DestinationPrefixLength = hostBits,
                DeviceIndex = index,
                Scope = RouteScope.Link,
                PreferredSource = ip.Address.Address,
            });
            pod.AddRoute(new IPRoute
            {
                Destination = subnet,
                DestinationPrefixLength = ip.Address.PrefixLength,
                Gateway = gateway,
                DeviceIndex = index,
                Scope = RouteScope.Universe,
                PreferredSource = ip.Address.Address,
            });
        }
    }

    /// <summary>
    /// The node end: each gateway as a host address (/32 or /128) and a host route to each pod address through the
    /// veth. An address or route that is already there is kept.
    /// </summary>
    /// <param name="node">rtnetlink of the node namespace.</param>
    /// <param name="hostIndex">The node end's index.</param>
    /// <param name="addresses">The pod's addresses, each with its gateway.</param>
    /// <exception cref="CniException">An address has no gateway (code 7).</exception>
    /// <exception cref="NetlinkException">The kernel refused.</exception>
    public static void ConfigureHost(RouteNetlink node, int hostIndex, IEnumerable<CniIPConfig> addresses)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(addresses);
        foreach (CniIPConfig ip in addresses)
        {
            IPAddress gateway = GatewayOf(ip);
            int hostBits = HostPrefix(gateway);
            node.TryAddAddress(new InterfaceAddress(hostIndex, gateway, hostBits));
            node.TryAddRoute(new IPRoute
            {
                Destination = ip.Address.Address,
                DestinationPrefixLength = HostPrefix(ip.Address.Address),
                DeviceIndex = hostIndex,
                // What the reference's ip.AddHostRoute leaves (the kernel shows "scope host").
                Scope = RouteScope.Host,
            });
        }
    }

    private static IPAddress GatewayOf(CniIPConfig ip) => ip.Gateway
        ?? throw new CniException(CniErrorCode.InvalidNetworkConfig, $"address {ip.Address} has no gateway: a point-to-point link routes through it");

    private static int HostPrefix(IPAddress address) => address.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32;
}
