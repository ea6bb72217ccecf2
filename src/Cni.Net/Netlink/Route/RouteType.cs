namespace Cni.Net.Netlink.Route;

/// <summary>Route type (<c>RTN_*</c>).</summary>
public enum RouteType : byte
{
    /// <summary>RTN_UNSPEC.</summary>
    Unspecified = 0,
    /// <summary>RTN_UNICAST: a gateway or direct route.</summary>
    Unicast = 1,
    /// <summary>RTN_LOCAL: a local address.</summary>
    Local = 2,
    /// <summary>RTN_BROADCAST.</summary>
    Broadcast = 3,
    /// <summary>RTN_ANYCAST.</summary>
    Anycast = 4,
    /// <summary>RTN_MULTICAST.</summary>
    Multicast = 5,
    /// <summary>RTN_BLACKHOLE: silently drop.</summary>
    Blackhole = 6,
    /// <summary>RTN_UNREACHABLE: drop with ICMP unreachable.</summary>
    Unreachable = 7,
    /// <summary>RTN_PROHIBIT: drop with ICMP prohibited.</summary>
    Prohibit = 8,
    /// <summary>RTN_THROW: continue the lookup in another table.</summary>
    Throw = 9,
}
