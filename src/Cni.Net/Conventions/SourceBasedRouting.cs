using System.Net;
using System.Net.Sockets;
using Cni.Net.Interop;
using Cni.Net.Netlink.Route;
using Cni.Net.Spec;

namespace Cni.Net.Conventions;

/// <summary>
/// The sbr plugin's source-based routing, as the reference (v1.9.1) lays it out in the pod's namespace: per address
/// of the interface a rule <c>from &lt;ip&gt; lookup &lt;table&gt;</c>, the table (the first from 100 up that no rule
/// names) holding a default route through the address's gateway and a copy of the interface's main-table routes that
/// belong to the address; then the interface's main-table routes are deleted. With a fixed <c>table</c> only the
/// rules are added. Operations take the reference's lock: an exclusive flock on the namespace file.
/// </summary>
public static class SourceBasedRouting
{
    /// <summary>The first table the reference picks.</summary>
    public const uint FirstTable = 100;

    /// <summary>Sets up the rules (and, without a fixed table, the tables) for the interface's addresses.</summary>
    /// <param name="netNsPath">The pod's namespace file (locked for the duration).</param>
    /// <param name="pod">rtnetlink bound to the pod's namespace.</param>
    /// <param name="ifName">The interface.</param>
    /// <param name="addresses">Its addresses with their gateways.</param>
    /// <param name="table">A fixed table, or null to pick tables and move the routes.</param>
    /// <exception cref="Netlink.NetlinkException">The kernel refused.</exception>
    public static void Setup(string netNsPath, RouteNetlink pod, string ifName, IReadOnlyList<CniIPConfig> addresses, uint? table)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(addresses);
        using FileLock held = FileLock.Acquire(netNsPath);
        if (table is uint fixedTable)
        {
            foreach (CniIPConfig ip in addresses)
            {
                pod.AddRule(SourceRule(ip.Address.Address, fixedTable));
            }
            return;
        }
        var usedTables = new HashSet<uint>(pod.ListRules().Select(r => r.Table));
        LinkInfo link = pod.GetLink(ifName);
        List<IPRoute> linkRoutes = [.. MainRoutes(pod).Where(r => r.DeviceIndex == link.Index)];
        uint next = NextFree(usedTables, FirstTable);
        foreach (CniIPConfig ip in addresses)
        {
            pod.AddRule(SourceRule(ip.Address.Address, next));
            if (ip.Gateway is not null)
            {
                bool v6 = ip.Address.Address.AddressFamily == AddressFamily.InterNetworkV6;
                pod.AddRoute(new IPRoute
                {
                    Family = ip.Address.Address.AddressFamily,
                    Destination = v6 ? IPAddress.IPv6Any : IPAddress.Any,
                    DestinationPrefixLength = 0,
                    Gateway = ip.Gateway,
                    DeviceIndex = link.Index,
                    Table = next,
                });
            }
            IPNetwork subnet = ip.Address.Network;
            foreach (IPRoute route in linkRoutes)
            {
                bool belongs = (route.PreferredSource is { } src && subnet.Contains(src)) || (route.Gateway is { } gw && subnet.Contains(gw)) ||
                    (route.PreferredSource is null && route.Gateway is null);
                if (belongs)
                {
                    pod.ReplaceRoute(CopyTo(route, next));
                }
            }
            usedTables.Add(next);
            next = NextFree(usedTables, next + 1);
        }
        foreach (IPRoute route in linkRoutes)
        {
            pod.TryDeleteRoute(route);
        }
    }

    /// <summary>
    /// Removes the rules whose source is an address of the interface (of the fixed table only, when one is given);
    /// nothing when the interface is gone.
    /// </summary>
    /// <param name="netNsPath">The pod's namespace file (locked for the duration).</param>
    /// <param name="pod">rtnetlink bound to the pod's namespace.</param>
    /// <param name="ifName">The interface.</param>
    /// <param name="table">The fixed table, or null.</param>
    /// <exception cref="Netlink.NetlinkException">The kernel refused.</exception>
    public static void Teardown(string netNsPath, RouteNetlink pod, string ifName, uint? table)
    {
        ArgumentNullException.ThrowIfNull(pod);
        using FileLock held = FileLock.Acquire(netNsPath);
        if (!pod.TryGetLink(ifName, out LinkInfo? link))
        {
            return;
        }
        var addresses = new HashSet<IPAddress>(pod.ListAddresses(AddressFamily.Unspecified, link.Index).Select(a => a.Address));
        foreach (RoutingRule rule in pod.ListRules())
        {
            if (rule.Source is not null && addresses.Contains(rule.Source) && (table is null || rule.Table == table))
            {
                pod.TryDeleteRule(rule);
            }
        }
    }

    private static RoutingRule SourceRule(IPAddress address, uint table) => new()
    {
        Family = address.AddressFamily,
        Source = address,
        SourcePrefixLength = address.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32,
        Table = table,
    };

    private static IEnumerable<IPRoute> MainRoutes(RouteNetlink pod) =>
        pod.ListRoutes(AddressFamily.InterNetwork).Concat(pod.ListRoutes(AddressFamily.InterNetworkV6));

    private static uint NextFree(HashSet<uint> used, uint candidate)
    {
        while (used.Contains(candidate))
        {
            candidate++;
        }
        return candidate;
    }

    private static IPRoute CopyTo(IPRoute route, uint table) => new()
    {
        Family = route.Family,
        Destination = route.Destination,
        DestinationPrefixLength = route.DestinationPrefixLength,
        Gateway = route.Gateway,
        DeviceIndex = route.DeviceIndex,
        PreferredSource = route.PreferredSource,
        Scope = route.Scope,
        Protocol = route.Protocol,
        Priority = route.Priority,
        Type = route.Type,
        Mtu = route.Mtu,
        AdvertisedMss = route.AdvertisedMss,
        Table = table,
    };
}
