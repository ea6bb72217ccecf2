namespace Cni.Net.Netlink.Route;

/// <summary>macvlan mode (<c>MACVLAN_MODE_*</c>).</summary>
public enum MacvlanMode
{
    /// <summary>MACVLAN_MODE_PRIVATE: no traffic between macvlans of the same parent.</summary>
    Private = 1,
    /// <summary>MACVLAN_MODE_VEPA: traffic between macvlans goes through the external switch.</summary>
    Vepa = 2,
    /// <summary>MACVLAN_MODE_BRIDGE: macvlans of the same parent talk directly (the CNI default).</summary>
    Bridge = 4,
    /// <summary>MACVLAN_MODE_PASSTHRU: one macvlan takes over the parent.</summary>
    Passthru = 8,
    /// <summary>MACVLAN_MODE_SOURCE: accept by source MAC.</summary>
    Source = 16,
}
