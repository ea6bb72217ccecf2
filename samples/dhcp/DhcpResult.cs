using System.Net;
using Cni.Net.Dhcp;
using Cni.Net.Spec;

namespace Cni.Net.Samples.Dhcp;

/// <summary>The IPAM result of a lease, built as the reference builds it.</summary>
internal static class DhcpResult
{
    private const int ScopeLink = 253;

    public static CniResult From(DhcpLease lease, int priority)
    {
        var result = new CniResult(CniVersion.Latest);
        result.IPs.Add(new CniIPConfig
        {
            Address = new CniIPNet(lease.Address, lease.PrefixLength ?? 32),
            Gateway = lease.Routers.Count > 0 ? lease.Routers[0] : null,
        });
        // RFC 3442: with classless static routes the client ignores option 33 and the routers option.
        if (lease.ClasslessStaticRoutes.Count > 0)
        {
            foreach (DhcpRoute route in lease.ClasslessStaticRoutes)
            {
                result.Routes.Add(new CniRoute
                {
                    Destination = new CniIPNet(route.Destination.BaseAddress, route.Destination.PrefixLength),
                    Gateway = route.Gateway,
                    Scope = route.OnLink ? ScopeLink : null,   // on-link: installed with link scope
                });
            }
        }
        else
        {
            foreach (DhcpRoute route in lease.StaticRoutes)
            {
                result.Routes.Add(new CniRoute { Destination = new CniIPNet(route.Destination.BaseAddress, route.Destination.PrefixLength), Gateway = route.Gateway });
            }
            // The spec wants the default route in routes even when a gateway is given.
            if (lease.Routers.Count > 0)
            {
                result.Routes.Add(new CniRoute { Destination = new CniIPNet(IPAddress.Any, 0), Gateway = lease.Routers[0] });
            }
        }
        if (priority != 0)
        {
            foreach (CniRoute route in result.Routes)
            {
                route.Priority = priority;
            }
        }
        // Not in the reference's result (it drops DNS): the servers and domain of options 6 and 15, when sent.
        if (lease.DnsServers.Count > 0 || lease.DomainName is not null)
        {
            var dns = new CniDns { Domain = lease.DomainName };
            foreach (IPAddress server in lease.DnsServers)
            {
                dns.Nameservers.Add(server.ToString());
            }
            result.Dns = dns;
        }
        return result;
    }
}
