using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Cni.Net.Namespaces;
using Cni.Net.Netlink;
using Cni.Net.Netlink.Route;
using Cni.Net.Spec;
using Cni.Net.Interop;

namespace Cni.Net.Conventions.Links;

/// <summary>
/// The node side of a bridged pod network, as the reference <c>bridge</c> plugin sets it up: the bridge itself, its
/// gateway addresses, and the node settings that let traffic through (bridge netfilter).
/// </summary>
public static class BridgeSetup
{
    /// <summary>
    /// Creates the bridge unless it exists, sets it promiscuous when asked, stops it accepting router advertisements
    /// (the plugin owns its routes) and brings it up. An existing link of that name must be a bridge.
    /// </summary>
    /// <param name="netlink">rtnetlink of the node namespace.</param>
    /// <param name="name">The bridge name (the reference default is <c>cni0</c>).</param>
    /// <param name="mtu">The MTU of a new bridge; 0 for the kernel's default.</param>
    /// <param name="promiscuous">Put the bridge in promiscuous mode.</param>
    /// <param name="vlanFiltering">Create the bridge with VLAN filtering (needed for per-port VLANs).</param>
    /// <returns>The bridge as the kernel reports it after the change.</returns>
    /// <exception cref="CniException">A link of that name exists and is not a bridge, or VLAN filtering is asked of a
    /// kernel without it (code 7).</exception>
    /// <exception cref="NetlinkException">The kernel refused.</exception>
    public static LinkInfo Ensure(RouteNetlink netlink, string name, int mtu = 0, bool promiscuous = false, bool vlanFiltering = false)
    {
        ArgumentNullException.ThrowIfNull(netlink);
        ArgumentException.ThrowIfNullOrEmpty(name);
        var definition = new BridgeLink(name) { Up = true };
        if (mtu > 0)
        {
            definition.Mtu = mtu;
        }
        if (vlanFiltering)
        {
            definition.VlanFiltering = true;
        }
        try
        {
            netlink.TryAddLink(definition);
        }
        catch (NetlinkException e) when (vlanFiltering && e.Errno == Errno.EOPNOTSUPP)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig,
                $"cannot create bridge \"{name}\" with VLAN filtering: the kernel lacks bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING)", null, e);
        }
        LinkInfo bridge = netlink.GetLink(name);
        if (bridge.Kind != "bridge")
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, $"\"{name}\" already exists but is not a bridge (kind {bridge.Kind ?? "none"})");
        }
        if (promiscuous && (bridge.Flags & InterfaceFlags.Promiscuous) == 0)
        {
            netlink.SetLinkPromiscuous(bridge.Index, true);
        }
        // The reference writes it at every ADD; the kernel's own report of the bridge says whether it is needed.
        if (bridge.Ipv6AcceptRouterAdvertisements != 0)
        {
            TryWriteSysctl($"net/ipv6/conf/{name}/accept_ra", "0");
        }
        if (!bridge.IsUp)
        {
            netlink.SetLinkUp(bridge.Index);
        }
        return netlink.GetLink(bridge.Index);
    }

    /// <summary>
    /// Puts a gateway address on the bridge unless it is there. Another IPv4 address on the bridge (or an
    /// overlapping IPv6 one) is an error, or is replaced when <paramref name="forceAddress"/> is set. The bridge's MAC
    /// address is then pinned, so that it no longer follows the ports as they come and go.
    /// </summary>
    /// <param name="netlink">rtnetlink of the node namespace.</param>
    /// <param name="bridgeIndex">The bridge's interface index.</param>
    /// <param name="gateway">The gateway address with the pod network's prefix length.</param>
    /// <param name="forceAddress">Replace a conflicting address instead of failing.</param>
    /// <param name="macAddress">
    /// The address to pin; null for the bridge's current one. The reference plugin pins the address the bridge had
    /// before the pod's port joined (<see cref="Ensure"/>'s answer) — not the port's, which a new bridge adopts
    /// meanwhile — so the bridge keeps an address of its own.
    /// </param>
    /// <exception cref="CniException">The bridge already has a conflicting address (code 7).</exception>
    /// <exception cref="NetlinkException">The kernel refused.</exception>
    public static void EnsureGatewayAddress(RouteNetlink netlink, int bridgeIndex, CniIPNet gateway, bool forceAddress, PhysicalAddress? macAddress = null)
    {
        ArgumentNullException.ThrowIfNull(netlink);
        LinkInfo bridge = netlink.GetLink(bridgeIndex);
        foreach (InterfaceAddress existing in netlink.ListAddresses(gateway.Address.AddressFamily, bridgeIndex))
        {
            if (existing.Address.Equals(gateway.Address) && existing.PrefixLength == gateway.PrefixLength)
            {
                return;
            }
            if (existing.Address.IsIPv6LinkLocal)
            {
                continue;
            }
            var other = new CniIPNet(existing.Address, existing.PrefixLength);
            bool conflicts = gateway.IsIPv4 || other.Network.Contains(gateway.Address) || gateway.Network.Contains(existing.Address);
            if (!conflicts)
            {
                continue;
            }
            if (!forceAddress)
            {
                throw new CniException(CniErrorCode.InvalidNetworkConfig,
                    $"\"{bridge.Name}\" already has an IP address different from {gateway} ({other}); set forceAddress to replace it");
            }
            netlink.TryDeleteAddress(bridgeIndex, existing.Address, existing.PrefixLength);
        }
        netlink.TryAddAddress(PodInterface.ToInterfaceAddress(bridgeIndex, gateway));
        if ((macAddress ?? bridge.MacAddress) is PhysicalAddress mac && mac.GetAddressBytes().Length == 6)
        {
            netlink.SetLinkMacAddress(bridgeIndex, mac);
        }
    }

    /// <summary>
    /// Turns on IP forwarding for the family (<c>net.ipv4.ip_forward</c> or <c>net.ipv6.conf.all.forwarding</c>) unless
    /// it is on. Given <paramref name="netlink"/>, a socket of the same namespace, the setting is read over rtnetlink
    /// (<see cref="RouteNetlink.IsForwarding"/>) and the sysctl opened only to be written: a plugin's ADD on a node
    /// that forwards already, the usual case, then reads no file (a <c>/proc/sys</c> lookup's cost grows with the
    /// namespaces on the node).
    /// </summary>
    /// <param name="family">InterNetwork or InterNetworkV6.</param>
    /// <param name="networkNamespace">The node namespace; null for the calling thread's.</param>
    /// <param name="netlink">An rtnetlink socket of that namespace to read the setting with; null to read the sysctl.</param>
    /// <exception cref="IOException">The sysctl could not be written.</exception>
    public static void EnableForwarding(AddressFamily family, NetworkNamespace? networkNamespace = null, RouteNetlink? netlink = null)
    {
        if (netlink is not null)
        {
            try
            {
                // Any family but IPv6 means IPv4 here, as the sysctl key below reads it.
                if (netlink.IsForwarding(family == AddressFamily.InterNetworkV6 ? family : AddressFamily.InterNetwork))
                {
                    return;
                }
                Sysctl.Write(ForwardingKey(family), "1", networkNamespace);
                return;
            }
            catch (Exception e) when (e is NetlinkException or NetlinkProtocolException)
            {
                // The kernel cannot say (no IPv6): the sysctl says, as without a socket.
            }
        }
        string key = ForwardingKey(family);
        if (Sysctl.Read(key, networkNamespace) != "1")
        {
            Sysctl.Write(key, "1", networkNamespace);
        }
    }

    private static string ForwardingKey(AddressFamily family) =>
        family == AddressFamily.InterNetworkV6 ? "net/ipv6/conf/all/forwarding" : "net/ipv4/ip_forward";

    /// <summary>The reference plugin's gateway for a pod address: the first host of its network.</summary>
    /// <param name="podAddress">The pod's address and prefix length.</param>
    /// <returns>The network address plus one.</returns>
    public static IPAddress DefaultGateway(CniIPNet podAddress)
    {
        byte[] bytes = podAddress.Network.BaseAddress.GetAddressBytes();
        for (int i = bytes.Length - 1; i >= 0; i--)
        {
            if (++bytes[i] != 0)
            {
                break;
            }
        }
        return new IPAddress(bytes);
    }

    internal static void TryWriteSysctl(string key, string value, NetworkNamespace? networkNamespace = null)
    {
        try
        {
            Sysctl.Write(key, value, networkNamespace);
        }
        catch (IOException)
        {
            // Best effort, as the reference plugin: IPv6 may be disabled, leaving no such key.
        }
    }
}
