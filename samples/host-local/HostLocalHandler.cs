using System.Net;
using Cni.Net.Ipam;
using Cni.Net.Spec;

namespace Cni.Net.Samples.HostLocal;

/// <summary>The host-local verbs over <see cref="HostLocalIpam"/>; errors are <see cref="CniException"/>s.</summary>
internal static class HostLocalHandler
{
    public static CniResult Add(HostLocalNetConf conf, string containerId, string ifName, CniArgs cniArgs)
    {
        HostLocalSettings s = HostLocalSettings.Resolve(conf, cniArgs);
        var result = new CniResult(CniVersion.V1_0_0);
        if (!string.IsNullOrEmpty(s.ResolvConf))
        {
            result.Dns = ReadDns(s.ResolvConf);
        }
        foreach (CniRoute route in ParseRoutes(s.Routes))
        {
            result.Routes.Add(route);
        }

        IReadOnlyList<HostLocalAllocation> allocations;
        using (HostLocalStore store = OpenStore(s))
        {
            allocations = HostLocalIpam.Allocate(store, s.RangeSets, containerId, ifName, s.Requested);
        }
        foreach (HostLocalAllocation a in allocations)
        {
            result.IPs.Add(new CniIPConfig { Address = new CniIPNet(a.Address, a.PrefixLength), Gateway = a.Gateway });
        }
        return result;
    }

    public static void Del(HostLocalNetConf conf, string containerId, string ifName)
    {
        HostLocalSettings s = HostLocalSettings.ResolveStoreOnly(conf);
        using HostLocalStore store = OpenStore(s);
        store.Release(containerId, ifName);
    }

    public static void Check(HostLocalNetConf conf, string containerId, string ifName, CniArgs cniArgs)
    {
        HostLocalSettings s = HostLocalSettings.Resolve(conf, cniArgs);
        IReadOnlyList<IPAddress> held;
        using (HostLocalStore store = OpenStore(s))
        {
            held = store.GetByAttachment(containerId, ifName);
        }
        // Beyond the reference (which is content with any one address): each range set must hold one.
        for (int i = 0; i < s.RangeSets.Count; i++)
        {
            if (!held.Any(a => s.RangeSets[i].RangeFor(a) is not null))
            {
                throw new CniException(CniErrorCode.UnknownContainer,
                    $"host-local: no address of range set {i} ({s.RangeSets[i]}) is allocated to container {containerId} interface {ifName}");
            }
        }
    }

    public static void GC(HostLocalNetConf conf, IEnumerable<(string ContainerId, string IfName)> validAttachments)
    {
        HostLocalSettings s = HostLocalSettings.ResolveStoreOnly(conf);
        using HostLocalStore store = OpenStore(s);
        HostLocalIpam.CollectGarbage(store, validAttachments);
    }

    public static void Status(HostLocalNetConf conf)
    {
        HostLocalSettings s = HostLocalSettings.Resolve(conf, null, forStatus: true);
        int exhausted;
        using (HostLocalStore store = OpenStore(s))
        {
            exhausted = HostLocalIpam.FindExhausted(store, s.RangeSets);
        }
        if (exhausted >= 0)
        {
            throw new CniException(CniErrorCode.PluginNotAvailable,
                $"no IP addresses available in range set {exhausted}: {s.RangeSets[exhausted]}");
        }
    }

    // What the store throws (I/O, permissions, bad arguments) the plugin host maps to CNI codes.
    private static HostLocalStore OpenStore(HostLocalSettings s) => HostLocalStore.Open(s.Network, s.DataDirectory);

    private static CniDns ReadDns(string path)
    {
        ResolvConf rc;
        try
        {
            rc = ResolvConf.Read(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CniException(CniErrorCode.IOFailure, $"cannot read resolvConf {path}: {e.Message}");
        }
        var dns = new CniDns { Domain = rc.Domain };
        foreach (string n in rc.Nameservers)
        {
            dns.Nameservers.Add(n);
        }
        foreach (string n in rc.Search)
        {
            dns.Search.Add(n);
        }
        foreach (string n in rc.Options)
        {
            dns.Options.Add(n);
        }
        return dns;
    }

    private static List<CniRoute> ParseRoutes(IReadOnlyList<RouteConf?> routes)
    {
        var list = new List<CniRoute>(routes.Count);
        for (int i = 0; i < routes.Count; i++)
        {
            RouteConf? r = routes[i];
            if (r is null || !CniIPNet.TryParse(r.Dst, out CniIPNet destination))
            {
                throw CniException.InvalidConfig($"ipam.routes[{i}].dst", "must be a CIDR string");
            }
            IPAddress? gateway = null;
            if (r.Gw is not null && !IPAddress.TryParse(r.Gw, out gateway))
            {
                throw CniException.InvalidConfig($"ipam.routes[{i}].gw", $"'{r.Gw}' is not an IP address");
            }
            list.Add(new CniRoute
            {
                Destination = destination,
                Gateway = gateway,
                Mtu = r.Mtu,
                AdvMss = r.AdvMss,
                Priority = r.Priority,
                Table = r.Table,
                Scope = r.Scope,
            });
        }
        return list;
    }
}
