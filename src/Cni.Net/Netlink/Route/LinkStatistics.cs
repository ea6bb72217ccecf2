namespace Cni.Net.Netlink.Route;

/// <summary>Counters of a link (the first fields of <c>struct rtnl_link_stats64</c>, IFLA_STATS64).</summary>
public readonly record struct LinkStatistics(
    ulong RxPackets,
    ulong TxPackets,
    ulong RxBytes,
    ulong TxBytes,
    ulong RxErrors,
    ulong TxErrors,
    ulong RxDropped,
    ulong TxDropped,
    ulong Multicast,
    ulong Collisions);
