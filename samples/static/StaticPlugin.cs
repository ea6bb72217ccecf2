using System.Text;
using System.Text.Json;
using Cni.Net.Ipam;
using Cni.Net.Plugins;
using Cni.Net.Spec;

namespace Cni.Net.Samples.Static;

/// <summary>
/// The reference static IPAM plugin on Cni.Net: ADD answers the configured addresses (with the <c>IP</c>/<c>GATEWAY</c>
/// CNI_ARGS, <c>args.cni.ips</c> and the <c>ips</c> capability resolved by <see cref="StaticIpam"/>), routes and DNS;
/// it holds no state, so DEL has nothing to release; CHECK compares the gateways with prevResult.
/// </summary>
internal sealed class StaticPlugin() : CniPlugin<StaticConfig>(StaticConfig.ReadCniConfig)
{
    protected override ValueTask<CniResult> AddAsync(CniPluginRequest<StaticConfig> request, CancellationToken cancellationToken)
    {
        (StaticConfig config, List<CniIPConfig> addresses) = Load(request);
        CniResult result = RoutesAndDns(config.Ipam!);
        foreach (CniIPConfig ip in addresses)
        {
            result.IPs.Add(ip);
        }
        return ValueTask.FromResult(result);
    }

    protected override ValueTask DelAsync(CniPluginRequest<StaticConfig> request, CancellationToken cancellationToken)
    {
        Load(request);
        return ValueTask.CompletedTask;
    }

    protected override ValueTask CheckAsync(CniPluginRequest<StaticConfig> request, CancellationToken cancellationToken)
    {
        (_, List<CniIPConfig> addresses) = Load(request);
        CniResult previous = request.PrevResult ?? throw new CniException(CniErrorCode.InvalidNetworkConfig, "Required prevResult missing");
        if (StaticIpam.Verify(addresses, previous) is { } mismatch)
        {
            throw new CniException((CniErrorCode)100, $"{mismatch} on interface {request.IfName}");
        }
        return ValueTask.CompletedTask;
    }

    private static (StaticConfig, List<CniIPConfig>) Load(CniPluginRequest<StaticConfig> request)
    {
        StaticConfig config = request.NetConf;
        if (config.Ipam is null)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, "IPAM config missing 'ipam' key");
        }
        List<CniIPConfig> addresses = StaticIpam.ResolveAddresses(
            (config.Ipam.Addresses ?? []).Select(a => (a.Address, a.Gateway)), request.Args,
            config.Args?.Cni?.Ips, config.RuntimeConfig?.Ips, request.Config.CniVersion ?? CniVersion.Parse("0.1.0"));
        RoutesAndDns(config.Ipam); // refuse bad routes on every command, as the reference's decoder does
        return (config, addresses);
    }

    /// <summary>Routes and DNS read by the CNI result reader (Go's key rules, the same validation as any result).</summary>
    private static CniResult RoutesAndDns(StaticIpamSection ipam)
    {
        var json = new StringBuilder("{\"cniVersion\":\"1.0.0\"");
        if (ipam.Routes is { ValueKind: not JsonValueKind.Null } routes)
        {
            json.Append(",\"routes\":").Append(routes.GetRawText());
        }
        if (ipam.Dns is { ValueKind: not JsonValueKind.Null } dns)
        {
            json.Append(",\"dns\":").Append(dns.GetRawText());
        }
        try
        {
            CniResult parsed = CniResult.Parse(Encoding.UTF8.GetBytes(json.Append('}').ToString()));
            var result = new CniResult(CniVersion.Latest) { Dns = parsed.Dns };
            foreach (CniRoute route in parsed.Routes)
            {
                result.Routes.Add(route);
            }
            return result;
        }
        catch (CniException e)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, "ipam: " + e.Message, null, e);
        }
    }
}
