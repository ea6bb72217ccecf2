namespace Cni.Net.Netlink.Route;

/// <summary>ipvlan mode (<c>IPVLAN_MODE_*</c>).</summary>
public enum IpvlanMode
{
    /// <summary>IPVLAN_MODE_L2 (the CNI default).</summary>
    L2 = 0,
    /// <summary>IPVLAN_MODE_L3.</summary>
    L3 = 1,
    /// <summary>IPVLAN_MODE_L3S.</summary>
    L3S = 2,
}
