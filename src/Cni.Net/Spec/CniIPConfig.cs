using System.Net;

namespace Cni.Net.Spec;

/// <summary>An IP address assigned to an interface (a result's <c>ips[]</c>, or 0.2.0's <c>ip4</c>/<c>ip6</c>).</summary>
public sealed class CniIPConfig
{
    /// <summary>The address with its prefix length (<c>address</c>; 0.2.0 <c>ip</c>).</summary>
    public CniIPNet Address { get; set; }

    /// <summary>The default gateway for this subnet, if any (<c>gateway</c>).</summary>
    public IPAddress? Gateway { get; set; }

    /// <summary>Index into <see cref="CniResult.Interfaces"/> of the interface holding the address (<c>interface</c>).</summary>
    public int? Interface { get; set; }

    /// <summary>A copy.</summary>
    public CniIPConfig Clone() => (CniIPConfig)MemberwiseClone();
}
