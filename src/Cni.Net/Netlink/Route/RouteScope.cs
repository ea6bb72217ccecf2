namespace Cni.Net.Netlink.Route;

/// <summary>Route and address scope (<c>RT_SCOPE_*</c>).</summary>
public enum RouteScope : byte
{
    /// <summary>RT_SCOPE_UNIVERSE: global.</summary>
    Universe = 0,
    /// <summary>RT_SCOPE_SITE.</summary>
    Site = 200,
    /// <summary>RT_SCOPE_LINK: on the link only.</summary>
    Link = 253,
    /// <summary>RT_SCOPE_HOST: this host only.</summary>
    Host = 254,
    /// <summary>RT_SCOPE_NOWHERE.</summary>
    Nowhere = 255,
}
