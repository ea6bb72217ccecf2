namespace Cni.Net.Netlink;

/// <summary>The netlink protocol (family) a socket speaks: the third argument of <c>socket(AF_NETLINK, …)</c>.</summary>
public enum NetlinkProtocol
{
    /// <summary>NETLINK_ROUTE: links, addresses, routes, neighbours, traffic control.</summary>
    Route = 0,

    /// <summary>NETLINK_NETFILTER: nftables, conntrack.</summary>
    Netfilter = 12,

    /// <summary>NETLINK_GENERIC: generic netlink families.</summary>
    Generic = 16,
}
