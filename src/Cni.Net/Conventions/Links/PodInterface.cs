using System.Net;
using System.Net.Sockets;
using Cni.Net.Namespaces;
using Cni.Net.Netlink.Route;
using Cni.Net.Spec;

namespace Cni.Net.Conventions.Links;

/// <summary>
/// The pod end of an attachment: applies a CNI result's addresses and routes to an interface, checks them again
/// (CHECK), and removes the interface (DEL). Works through an rtnetlink client bound to the pod's namespace.
/// </summary>
public static class PodInterface
{
    /// <summary>The code of a CHECK that found the attachment different from its result (plugin-specific, ≥ 100).</summary>
    public const CniErrorCode CheckFailedCode = (CniErrorCode)100;

    private static readonly TimeSpan s_settleTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The per-interface sysctls the reference bridge plugin sets before addressing: IPv6 duplicate address
    /// detection off (or on, with enhanced DAD, when <paramref name="enableDad"/>), and <c>arp_notify</c> on so that
    /// neighbours learn the new MAC at once. Each is best effort, as in the reference: a setting the interface lacks
    /// (IPv6 disabled, say) is left alone. <c>arp_notify</c> is set through
    /// <paramref name="pod"/>'s rtnetlink socket, which needs no <c>/proc/sys</c> lookup (on a node with hundreds of pod
    /// namespaces each such lookup compares against all of them) and no move of the thread into the pod's namespace;
    /// IPv6 settings have no such way in.
    /// </summary>
    /// <param name="pod">rtnetlink bound to the pod's namespace.</param>
    /// <param name="podNamespace">The pod's namespace.</param>
    /// <param name="ifName">The interface.</param>
    /// <param name="enableDad">Keep duplicate address detection for IPv6 addresses.</param>
    public static void ApplySysctls(RouteNetlink pod, NetworkNamespace podNamespace, string ifName, bool enableDad)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(podNamespace);
        if (enableDad)
        {
            BridgeSetup.TryWriteSysctl($"net/ipv6/conf/{ifName}/enhanced_dad", "1", podNamespace);
            BridgeSetup.TryWriteSysctl($"net/ipv6/conf/{ifName}/accept_dad", "1", podNamespace);
        }
        else
        {
            BridgeSetup.TryWriteSysctl($"net/ipv6/conf/{ifName}/accept_dad", "0", podNamespace);
        }
        try
        {
            pod.SetIPv4Setting(ifName, Ifla.IPV4_DEVCONF_ARP_NOTIFY, 1);
        }
        catch (Netlink.NetlinkException)
        {
            // Best effort, as the reference plugin's sysctl write (no such interface, or no IPv4 configuration on it);
            // configuring the interface reports a missing one.
        }
    }

    /// <summary>
    /// Brings the interface up, adds every address of <paramref name="result"/> that names it (through its
    /// <c>interface</c> index) and every route of the result, through the route's gateway or else the gateway of the
    /// first address of its family — what the reference <c>ipam.ConfigureIface</c> does. A route that already exists
    /// is kept (the first one wins); IPv6 addresses are waited for until duplicate address detection is over.
    /// </summary>
    /// <param name="pod">rtnetlink bound to the pod's namespace.</param>
    /// <param name="ifName">The interface.</param>
    /// <param name="result">The result whose addresses and routes to apply.</param>
    /// <exception cref="CniException">An address points at another interface or at none that exists (code 7).</exception>
    /// <exception cref="Netlink.NetlinkException">The kernel refused.</exception>
    public static void Configure(RouteNetlink pod, string ifName, CniResult result)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(result);
        LinkInfo link = pod.GetLink(ifName);
        if (!link.IsUp)
        {
            pod.SetLinkUp(link.Index);
        }
        IPAddress? gateway4 = null, gateway6 = null;
        bool hasV6 = false;
        foreach (CniIPConfig ip in AddressesOf(result, ifName))
        {
            pod.TryAddAddress(ToInterfaceAddress(link.Index, ip.Address));
            if (ip.Address.IsIPv4)
            {
                gateway4 ??= ip.Gateway;
            }
            else
            {
                hasV6 = true;
                gateway6 ??= ip.Gateway;
            }
        }
        if (hasV6)
        {
            SettleAddresses(pod, link.Index);
        }
        foreach (CniRoute route in result.Routes)
        {
            IPAddress? gateway = route.Gateway ?? (route.Destination.IsIPv4 ? gateway4 : gateway6);
            pod.TryAddRoute(ToRoute(link.Index, route, gateway));
        }
    }

    /// <summary>
    /// CHECK of the pod end: the interface exists and is up, carries every address of <paramref name="result"/> that
    /// names it, and the namespace has a route for every route of the result (through its gateway when it has one).
    /// </summary>
    /// <param name="pod">rtnetlink bound to the pod's namespace.</param>
    /// <param name="ifName">The interface.</param>
    /// <param name="result">The result to compare with (prevResult).</param>
    /// <exception cref="CniException">Something differs (code <see cref="CheckFailedCode"/>).</exception>
    public static void Verify(RouteNetlink pod, string ifName, CniResult result)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(result);
        if (!pod.TryGetLink(ifName, out LinkInfo? link) || link is null)
        {
            throw CheckFailed($"interface {ifName} not found in the pod");
        }
        if (!link.IsUp)
        {
            throw CheckFailed($"interface {ifName} is down");
        }
        List<InterfaceAddress> present = pod.ListAddresses(AddressFamily.Unspecified, link.Index);
        foreach (CniIPConfig ip in AddressesOf(result, ifName))
        {
            if (!present.Exists(a => a.Address.Equals(ip.Address.Address) && a.PrefixLength == ip.Address.PrefixLength))
            {
                throw CheckFailed($"interface {ifName} lacks address {ip.Address}");
            }
        }
        foreach (CniRoute route in result.Routes)
        {
            AddressFamily family = route.Destination.Address.AddressFamily;
            bool found = pod.ListRoutes(family).Exists(r =>
                (r.Destination ?? (family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any)).Equals(route.Destination.Address) &&
                r.DestinationPrefixLength == route.Destination.PrefixLength &&
                (route.Gateway is null || route.Gateway.Equals(r.Gateway)));
            if (!found)
            {
                throw CheckFailed($"route {route.Destination}{(route.Gateway is null ? "" : " via " + route.Gateway)} not found in the pod");
            }
        }
    }

    /// <summary>
    /// Deletes the interface (its veth peer goes with it) and returns the global addresses it had; nothing and an
    /// empty list when it is already gone.
    /// </summary>
    /// <param name="pod">rtnetlink bound to the pod's namespace.</param>
    /// <param name="ifName">The interface.</param>
    /// <returns>The addresses the interface carried (link-local ones excepted).</returns>
    /// <exception cref="Netlink.NetlinkException">The kernel refused for another reason than absence.</exception>
    public static IReadOnlyList<CniIPNet> Delete(RouteNetlink pod, string ifName) => Delete(pod, ifName, deferTeardown: false);

    /// <summary>
    /// Deletes the interface (its veth peer goes with it) and returns the global addresses it had; nothing and an
    /// empty list when it is already gone. With <paramref name="deferTeardown"/> it returns once the kernel has
    /// unlisted the interface and leaves the teardown to a thread, or in a plugin process to a detached process
    /// (<see cref="RouteNetlink.TryDeleteLinkDeferringTeardown(int)"/>, <see cref="RouteNetlink.DefersTeardown"/>).
    /// </summary>
    /// <param name="pod">rtnetlink bound to the pod's namespace.</param>
    /// <param name="ifName">The interface.</param>
    /// <param name="deferTeardown">Return before the kernel's teardown of the interface has finished.</param>
    /// <returns>The addresses the interface carried (link-local ones excepted).</returns>
    /// <exception cref="Netlink.NetlinkException">The kernel refused for another reason than absence.</exception>
    public static IReadOnlyList<CniIPNet> Delete(RouteNetlink pod, string ifName, bool deferTeardown)
    {
        ArgumentNullException.ThrowIfNull(pod);
        if (!pod.TryGetLink(ifName, out LinkInfo? link) || link is null)
        {
            return [];
        }
        var addresses = new List<CniIPNet>();
        foreach (InterfaceAddress a in pod.ListAddresses(AddressFamily.Unspecified, link.Index))
        {
            if (a.Scope == RouteScope.Universe)
            {
                addresses.Add(new CniIPNet(a.Address, a.PrefixLength));
            }
        }
        if (deferTeardown)
        {
            pod.TryDeleteLinkDeferringTeardown(link.Index);
        }
        else
        {
            pod.TryDeleteLink(link.Index);
        }
        return addresses;
    }

    /// <summary>An address as the reference plugins add it: with the IPv4 broadcast address derived from the prefix.</summary>
    /// <param name="index">The interface index.</param>
    /// <param name="address">The address and prefix length.</param>
    /// <returns>The rtnetlink address.</returns>
    public static InterfaceAddress ToInterfaceAddress(int index, CniIPNet address)
    {
        var a = new InterfaceAddress(index, address.Address, address.PrefixLength);
        if (address.IsIPv4 && address.PrefixLength < 31)
        {
            byte[] bytes = address.Address.GetAddressBytes();
            uint value = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes);
            value |= uint.MaxValue >> address.PrefixLength;
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
            a.Broadcast = new IPAddress(bytes);
        }
        return a;
    }

    private static IEnumerable<CniIPConfig> AddressesOf(CniResult result, string ifName)
    {
        foreach (CniIPConfig ip in result.IPs)
        {
            if (ip.Interface is not int i)
            {
                continue;
            }
            if ((uint)i >= (uint)result.Interfaces.Count || result.Interfaces[i].Name != ifName)
            {
                throw new CniException(CniErrorCode.InvalidNetworkConfig, $"address {ip.Address} names interface index {i}, which is not {ifName}");
            }
            yield return ip;
        }
    }

    private static IPRoute ToRoute(int index, CniRoute route, IPAddress? gateway)
    {
        var r = new IPRoute
        {
            Destination = route.Destination.Address,
            DestinationPrefixLength = route.Destination.PrefixLength,
            Gateway = gateway,
            DeviceIndex = index,
            Scope = route.Scope is int scope ? (RouteScope)scope : RouteScope.Universe,
        };
        if (route.Mtu is int mtu && mtu > 0)
        {
            r.Mtu = (uint)mtu;
        }
        if (route.AdvMss is int mss && mss > 0)
        {
            r.AdvertisedMss = (uint)mss;
        }
        if (route.Priority is int priority && priority > 0)
        {
            r.Priority = (uint)priority;
        }
        if (route.Table is int table && table > 0)
        {
            r.Table = (uint)table;
        }
        return r;
    }

    private static void SettleAddresses(RouteNetlink pod, int index)
    {
        DateTime deadline = DateTime.UtcNow + s_settleTimeout;
        while (true)
        {
            List<InterfaceAddress> addresses = pod.ListAddresses(AddressFamily.InterNetworkV6, index);
            if (addresses.Exists(a => (a.Flags & AddressFlags.DadFailed) != 0))
            {
                throw new CniException(CniErrorCode.IOFailure, "duplicate address detection failed for an IPv6 address of the pod");
            }
            if (!addresses.Exists(a => (a.Flags & AddressFlags.Tentative) != 0 && a.Scope == RouteScope.Universe) || DateTime.UtcNow > deadline)
            {
                return;
            }
            Thread.Sleep(50);
        }
    }

    private static CniException CheckFailed(string message) => new(CheckFailedCode, message);

    /// <summary>
    /// The node end of the pod's veth, for the meta plugins that act on it (bandwidth): the previous result's node
    /// interface that is the peer of <paramref name="ifName"/> inside the pod. Checked, not guessed: the result must list
    /// the pod interface and the peer among its node interfaces.
    /// </summary>
    /// <param name="previous">prevResult.</param>
    /// <param name="ifName">CNI_IFNAME.</param>
    /// <param name="netNs">CNI_NETNS.</param>
    /// <param name="node">rtnetlink of the node namespace.</param>
    /// <returns>The node end.</returns>
    /// <exception cref="CniException">The result does not say it (code 7), CNI_NETNS is missing (code 4) or cannot be
    /// opened (code 5).</exception>
    public static LinkInfo FindHostPeer(CniResult previous, string ifName, string? netNs, RouteNetlink node)
    {
        ArgumentNullException.ThrowIfNull(previous);
        ArgumentNullException.ThrowIfNull(node);
        if (previous.Interfaces.Count == 0)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, "the previous result lists no interfaces");
        }
        if (!previous.Interfaces.Any(i => i.Name == ifName && !string.IsNullOrEmpty(i.Sandbox)))
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, $"the previous result has no container interface named {ifName}");
        }
        if (string.IsNullOrEmpty(netNs))
        {
            throw new CniException(CniErrorCode.InvalidEnvironmentVariables, "CNI_NETNS is required");
        }
        int peerIndex;
        try
        {
            using NetworkNamespace pod = NetworkNamespace.Open(netNs);
            using RouteNetlink inside = RouteNetlink.Open(pod);
            peerIndex = inside.GetLink(ifName).ParentIndex;
        }
        catch (IOException e)
        {
            throw new CniException(CniErrorCode.IOFailure, $"cannot open the network namespace {netNs}: {e.Message}", null, e);
        }
        // One lookup of the peer itself, which must be one of the result's node interfaces.
        if (node.TryGetLink(peerIndex, out LinkInfo? peer) && peer is not null &&
            previous.Interfaces.Any(i => string.IsNullOrEmpty(i.Sandbox) && i.Name == peer.Name))
        {
            return peer;
        }
        throw new CniException(CniErrorCode.InvalidNetworkConfig, $"no host interface in the previous result is the peer of {ifName}");
    }
}
