using Cni.Net.Ipam;

namespace Cni.Net.Examples.Guides;

/// <summary>docs/ipam.md.</summary>
public static class IpamExamples
{
    /// <summary>
    /// Allocates in host-local's default store (/var/lib/cni/networks/mynet): the integration tests run it as
    /// <c>dotnet Guides.dll Allocate</c> over a private /var/lib/cni (DocExampleKernelTests).
    /// </summary>
    public static IReadOnlyList<HostLocalAllocation> Allocate()
    {
        #region allocate
        string containerId = "ctr-1";                                                   // CNI_CONTAINERID in a plugin
        using HostLocalStore store = HostLocalStore.Open("mynet", dataDirectory: null); // flock held until Dispose
        IReadOnlyList<HostLocalAllocation> got = HostLocalIpam.Allocate(store,
            [new IPRangeSet([IPRange.Parse("10.22.0.0/16")]), new IPRangeSet([IPRange.Parse("fd00:22::/64")])],
            containerId, "eth0", requested: []);
        // got[0].ToString() == "10.22.0.2/16", got[0].Gateway == 10.22.0.1, got[1].ToString() == "fd00:22::2/64"
        #endregion
        return got;
    }
}
