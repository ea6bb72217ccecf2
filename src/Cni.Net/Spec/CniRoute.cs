using System.Net;

namespace Cni.Net.Spec;

/// <summary>A route (a result's <c>routes[]</c>; also used in IPAM configuration).</summary>
public sealed class CniRoute
{
    /// <summary>The destination (<c>dst</c>).</summary>
    public CniIPNet Destination { get; set; }

    /// <summary>The next hop (<c>gw</c>); absent means the IP config's gateway or on-link.</summary>
    public IPAddress? Gateway { get; set; }

    /// <summary>The route MTU (<c>mtu</c>, 1.1.0).</summary>
    public int? Mtu { get; set; }

    /// <summary>The advertised MSS (<c>advmss</c>, 1.1.0).</summary>
    public int? AdvMss { get; set; }

    /// <summary>The route priority/metric (<c>priority</c>, 1.1.0).</summary>
    public int? Priority { get; set; }

    /// <summary>The routing table (<c>table</c>, 1.1.0).</summary>
    public int? Table { get; set; }

    /// <summary>The route scope as the kernel numbers it (<c>scope</c>, 1.1.0; 0 universe, 253 link, 254 host).</summary>
    public int? Scope { get; set; }

    /// <summary>A copy.</summary>
    public CniRoute Clone() => (CniRoute)MemberwiseClone();
}
