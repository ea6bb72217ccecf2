using Cni.Net.Netlink.Route;

namespace Cni.Net.Kubelet;

/// <summary>The pod bridge MTU kubenet picks when <c>--network-plugin-mtu</c> is not given.</summary>
internal static class NodeMtu
{
    /// <summary>The kubelet's fallback when no interface qualifies.</summary>
    internal const int Fallback = 1460;

    /// <summary>
    /// The smallest MTU of the node's active, ordinary interfaces: up, neither loopback nor point-to-point (as the
    /// kubelet's findMinMTU), and not the pod bridge or one of its ports, so pods never lower it themselves.
    /// </summary>
    public static (int Mtu, string? Interface) Detect(IReadOnlyList<LinkInfo> links, string bridgeName)
    {
        int bridgeIndex = 0;
        foreach (LinkInfo link in links)
        {
            if (link.Name == bridgeName)
            {
                bridgeIndex = link.Index;
            }
        }
        int mtu = int.MaxValue;
        string? name = null;
        foreach (LinkInfo link in links)
        {
            if (!link.IsUp || (link.Flags & (InterfaceFlags.Loopback | InterfaceFlags.PointToPoint)) != 0
                || link.Index == bridgeIndex || (bridgeIndex != 0 && link.MasterIndex == bridgeIndex) || link.Mtu <= 0)
            {
                continue;
            }
            if (link.Mtu < mtu)
            {
                mtu = link.Mtu;
                name = link.Name;
            }
        }
        return name is null ? (Fallback, null) : (mtu, name);
    }

    public static (int Mtu, string? Interface) DetectOnNode(string bridgeName)
    {
        using var rtnl = new RouteNetlink();
        return Detect(rtnl.ListLinks(), bridgeName);
    }
}
