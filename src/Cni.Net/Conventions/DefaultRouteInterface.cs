using System.Net.Sockets;
using Cni.Net.Netlink.Route;

namespace Cni.Net.Conventions;

/// <summary>
/// The interface of a namespace's default route, the reference plugins' choice of parent when the config names none
/// (macvlan's and ipvlan's empty <c>master</c>): the first route of the main table with an empty destination, IPv4
/// before IPv6.
/// </summary>
public static class DefaultRouteInterface
{
    /// <summary>Finds the interface.</summary>
    /// <param name="netlink">rtnetlink of the namespace to look in.</param>
    /// <returns>The interface name, or null when there is no default route through an interface.</returns>
    public static string? Find(RouteNetlink netlink)
    {
        ArgumentNullException.ThrowIfNull(netlink);
        foreach (AddressFamily family in (AddressFamily[])[AddressFamily.InterNetwork, AddressFamily.InterNetworkV6])
        {
            foreach (IPRoute route in netlink.ListRoutes(family))
            {
                if (route.DestinationPrefixLength == 0 && route.DeviceIndex != 0 && netlink.TryGetLink(route.DeviceIndex, out LinkInfo? link))
                {
                    return link.Name;
                }
            }
        }
        return null;
    }
}
