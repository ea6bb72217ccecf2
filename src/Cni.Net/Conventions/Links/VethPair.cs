using Cni.Net.Netlink.Route;

namespace Cni.Net.Conventions.Links;

/// <summary>A veth pair made for a pod: the end on the node and the end in the pod's namespace, as the kernel reported them at creation.</summary>
public sealed class VethPair
{
    internal VethPair(LinkInfo host, LinkInfo container)
    {
        Host = host;
        Container = container;
    }

    /// <summary>
    /// The node end (named <c>veth</c> + 8 hex digits) as the kernel announced its creation: before it joined a
    /// bridge, so its <see cref="LinkInfo.MasterIndex"/> can still be 0.
    /// </summary>
    public LinkInfo Host { get; }

    /// <summary>The pod end (named CNI_IFNAME), in the pod's namespace.</summary>
    public LinkInfo Container { get; }
}
