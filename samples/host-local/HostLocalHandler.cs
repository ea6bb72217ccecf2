using System.Net;
using System.Text.Json;
using Cni.Net.Ipam;
using Cni.Net.Spec;

namespace Cni.Net.Samples.HostLocal;

/// <summary>The host-local verbs over <see cref="HostLocalIpam"/>; errors are <see cref="CniException"/>s.</summary>
internal static class HostLocalHandler
{
    public static CniResult Add(ReadOnlySpan<byte> stdin, string containerId, string ifName, CniArgs cniArgs)
    {
        HostLocalSettings s = HostLocalSettings.Resolve(HostLocalSettings.ParseConf(stdin), cniArgs);
        var result = new CniResult(CniVersion.V1_0_0);
        if (!string.IsNullOrEmpty(s.ResolvConf))
        {
            result.Dns = ReadDns(s.ResolvConf);
        }
        foreach (CniRoute route in ParseRoutes(s.Routes))
        {
            result.Routes.Add(route);
        }

        IReadOnlyList<HostLocalAllocation> allocations = Guard(() =>
        {
            using HostLocalStore store = OpenStore(s);
            return HostLocalIpam.Allocate(store, s.RangeSets, containerId, ifName, s.Requested);
        });
        foreach (HostLocalAllocation a in allocations)
        {
            result.IPs.Add(new CniIPConfig { Address = new CniIPNet(a.Address, a.PrefixLength), Gateway = a.Gateway });
        }
        return result;
    }

    public static void Del(ReadOnlySpan<byte> stdin, string containerId, string ifName)
    {
        HostLocalSettings s = HostLocalSettings.ResolveStoreOnly(HostLocalSettings.ParseConf(stdin));
        Guard(() =>
        {
            using HostLocalStore store = OpenStore(s);
            return store.Release(containerId, ifName);
        });
    }

    public static void Check(ReadOnlySpan<byte> stdin, string containerId, string ifName, CniArgs cniArgs)
    {
        HostLocalSettings s = HostLocalSettings.Resolve(HostLocalSettings.ParseConf(stdin), cniArgs);
        IReadOnlyList<IPAddress> held = Guard(() =>
        {
            using HostLocalStore store = OpenStore(s);
            return store.GetByAttachment(containerId, ifName);
        });
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

    public static void GC(ReadOnlySpan<byte> stdin, IEnumerable<(string ContainerId, string IfName)> validAttachments)
    {
        HostLocalSettings s = HostLocalSettings.ResolveStoreOnly(HostLocalSettings.ParseConf(stdin));
        Guard(() =>
        {
            using HostLocalStore store = OpenStore(s);
            return HostLocalIpam.CollectGarbage(store, validAttachments);
        });
    }

    public static void Status(ReadOnlySpan<byte> stdin)
    {
        HostLocalSettings s = HostLocalSettings.Resolve(HostLocalSettings.ParseConf(stdin), null, forStatus: true);
        int exhausted = Guard(() =>
        {
            using HostLocalStore store = OpenStore(s);
            return HostLocalIpam.FindExhausted(store, s.RangeSets);
        });
        if (exhausted >= 0)
        {
            throw new CniException(CniErrorCode.PluginNotAvailable,
                $"no IP addresses available in range set {exhausted}: {s.RangeSets[exhausted]}");
        }
    }

    private static HostLocalStore OpenStore(HostLocalSettings s) => HostLocalStore.Open(s.Network, s.DataDirectory);

    /// <summary>Maps the library's exceptions to CNI codes; nothing else escapes to the runtime.</summary>
    private static T Guard<T>(Func<T> operation)
    {
        try
        {
            return operation();
        }
        catch (CniException)
        {
            throw;
        }
        catch (ArgumentException e)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, StripParameter(e));
        }
        catch (IOException e)
        {
            throw new CniException(CniErrorCode.IOFailure, e.Message);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new CniException(CniErrorCode.IOFailure, e.Message);
        }
    }

    private static string StripParameter(ArgumentException e)
    {
        int p = e.Message.LastIndexOf(" (Parameter '", StringComparison.Ordinal);
        return p >= 0 ? e.Message[..p] : e.Message;
    }

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

    private static List<CniRoute> ParseRoutes(IReadOnlyList<JsonElement> routes)
    {
        var list = new List<CniRoute>(routes.Count);
        for (int i = 0; i < routes.Count; i++)
        {
            JsonElement r = routes[i];
            if (r.ValueKind != JsonValueKind.Object
                || !TryGetKey(r, "dst", out JsonElement dst) || dst.ValueKind != JsonValueKind.String
                || !CniIPNet.TryParse(dst.GetString(), out CniIPNet destination))
            {
                throw new CniException(CniErrorCode.InvalidNetworkConfig, $"ipam.routes[{i}]: 'dst' must be a CIDR string");
            }
            var route = new CniRoute { Destination = destination };
            if (TryGetKey(r, "gw", out JsonElement gw) && gw.ValueKind != JsonValueKind.Null)
            {
                if (gw.ValueKind != JsonValueKind.String || !IPAddress.TryParse(gw.GetString(), out IPAddress? gateway))
                {
                    throw new CniException(CniErrorCode.InvalidNetworkConfig, $"ipam.routes[{i}]: 'gw' must be an IP address");
                }
                route.Gateway = gateway;
            }
            route.Mtu = OptionalInt(r, "mtu", i);
            route.AdvMss = OptionalInt(r, "advmss", i);
            route.Priority = OptionalInt(r, "priority", i);
            route.Table = OptionalInt(r, "table", i);
            route.Scope = OptionalInt(r, "scope", i);
            list.Add(route);
        }
        return list;
    }

    private static int? OptionalInt(JsonElement route, string key, int index)
    {
        if (!TryGetKey(route, key, out JsonElement v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int n)
            ? n
            : throw new CniException(CniErrorCode.InvalidNetworkConfig, $"ipam.routes[{index}]: '{key}' must be an integer");
    }

    /// <summary>A key of a route object, matched as Go matches keys (case-insensitively, the last one winning).</summary>
    private static bool TryGetKey(JsonElement obj, string key, out JsonElement value)
    {
        value = default;
        bool found = false;
        foreach (JsonProperty property in obj.EnumerateObject())
        {
            if (CniJsonKeys.Matches(property.Name, key))
            {
                value = property.Value;
                found = true;
            }
        }
        return found;
    }
}
