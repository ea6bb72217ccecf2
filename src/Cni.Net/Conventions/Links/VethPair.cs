using Cni.Net.Netlink.Route;

namespace Cni.Net.Conventions.Links;

/// <summary>A veth pair made for a pod: the end on the node and the end in the pod's namespace, as read back after creation.</summary>
public sealed class VethPair
{
    internal VethPair(LinkInfo host, LinkInfo container)
    {
        Host = host;
        Container = container;
    }

    /// <summary>The node end (named <c>veth</c> + 8 hex digits).</summary>
    public LinkInfo Host { get; }

    /// <summary>The pod end (named CNI_IFNAME), in the pod's namespace.</summary>
    public LinkInfo Container { get; }
}
