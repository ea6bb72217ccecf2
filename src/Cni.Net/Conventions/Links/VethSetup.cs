using System.Net.NetworkInformation;
using Cni.Net.Namespaces;
using Cni.Net.Netlink;
using Cni.Net.Netlink.Route;
using Cni.Net.Spec;
using Cni.Net.Interop;

namespace Cni.Net.Conventions.Links;

/// <summary>
/// Creates the veth pair of a pod: one rtnetlink request makes the node end and puts the peer straight into the
/// pod's namespace under CNI_IFNAME (the reference plugins create it inside the pod and move the other end out).
/// </summary>
public static class VethSetup
{
    private const int MaxNameAttempts = 8;

    /// <summary>
    /// Creates the pair: the node end with a random <c>veth…</c> name, attached to <paramref name="bridgeIndex"/>
    /// (when not 0), up, and not accepting IPv6 router advertisements (<c>accept_ra=0</c>, written in the calling
    /// thread's namespace); the pod end named <paramref name="containerIfName"/>, down until it is configured.
    /// Each end is made with the one transmit queue it uses (<see cref="VethLink.TransmitQueues"/>), not the kernel's
    /// default of one per possible CPU cut down to one; receive queues keep the default.
    /// </summary>
    /// <param name="node">rtnetlink of the node namespace.</param>
    /// <param name="pod">rtnetlink bound to the pod's namespace.</param>
    /// <param name="podNamespace">The pod's namespace (the peer is created in it).</param>
    /// <param name="containerIfName">The pod end's name (CNI_IFNAME).</param>
    /// <param name="bridgeIndex">The bridge to attach the node end to, or 0 for none.</param>
    /// <param name="mtu">The MTU of both ends; 0 for the kernel's default.</param>
    /// <param name="containerMac">A MAC address for the pod end; null for a random one.</param>
    /// <returns>Both ends as the kernel reports them.</returns>
    /// <exception cref="CniException">An interface named <paramref name="containerIfName"/> already exists in the pod (code 4, naming CNI_IFNAME).</exception>
    /// <exception cref="NetlinkException">The kernel refused.</exception>
    public static VethPair Create(RouteNetlink node, RouteNetlink pod, NetworkNamespace podNamespace, string containerIfName,
        int bridgeIndex = 0, int mtu = 0, PhysicalAddress? containerMac = null)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(podNamespace);
        ArgumentException.ThrowIfNullOrEmpty(containerIfName);
        if (pod.TryGetLink(containerIfName, out _))
        {
            throw AlreadyExists(containerIfName, podNamespace);
        }
        for (int attempt = 0; ; attempt++)
        {
            string hostName = RandomHostName();
            var veth = new VethLink(hostName, containerIfName)
            {
                PeerNamespace = podNamespace,
                PeerMacAddress = containerMac,
                Up = true,
                // The one queue the kernel would keep of its default (one per possible CPU): trimming the rest costs
                // an expedited RCU grace period per end under the RTNL lock, 0.3–0.5 ms of a bridge ADD here and IPIs
                // to every CPU of a large node. Receive queues keep the default, for XDP.
                TransmitQueues = 1,
            };
            if (mtu > 0)
            {
                veth.Mtu = mtu;
                veth.PeerMtu = mtu;
            }
            if (bridgeIndex != 0)
            {
                veth.MasterIndex = bridgeIndex;
            }
            LinkInfo? host;
            try
            {
                if (!node.TryAddLink(veth, out host))
                {
                    // EEXIST: either the random node name was taken, or the pod end appeared meanwhile.
                    if (pod.TryGetLink(containerIfName, out _))
                    {
                        throw AlreadyExists(containerIfName, podNamespace);
                    }
                    if (attempt < MaxNameAttempts)
                    {
                        continue;
                    }
                    throw new CniException(CniErrorCode.TryAgainLater, "could not find a free name for the node end of the veth pair");
                }
            }
            catch (NetlinkException e) when (e.Errno == Errno.EEXIST)
            {
                throw AlreadyExists(containerIfName, podNamespace);
            }
            // The plugin owns the node end's routes: no router advertisements (the reference's ip.SetupVeth does the
            // same, best effort, in the node namespace — the calling thread's, as for BridgeSetup.Ensure).
            BridgeSetup.TryWriteSysctl($"net/ipv6/conf/{hostName}/accept_ra", "0");
            // The node end as the kernel announced it: read back by name now, it would first be deactivated for its
            // peer being down (an expedited RCU grace period under the RTNL lock); once the pod end is up there is
            // nothing to deactivate.
            return new VethPair(host, pod.GetLink(containerIfName));
        }
    }

    /// <summary>A fresh node-end name as the reference plugins make them: <c>veth</c> and 8 random hex digits.</summary>
    /// <returns>The name.</returns>
    public static string RandomHostName()
    {
        // Uniqueness is all a name needs (a collision is retried); the cryptographic generator would load OpenSSL,
        // milliseconds at every ADD. Random.Shared is seeded from the kernel's random bytes per process.
        Span<byte> bytes = stackalloc byte[4];
        Random.Shared.NextBytes(bytes);
        return "veth" + Convert.ToHexStringLower(bytes);
    }

    private static CniException AlreadyExists(string ifName, NetworkNamespace ns) =>
        new(CniErrorCode.InvalidEnvironmentVariables,
            $"CNI_IFNAME: an interface named {ifName} already exists in {ns.Path}", "a second ADD for the same container and ifname needs a DEL first");
}
