using Cni.Net.Conventions;
using Cni.Net.Namespaces;
using Cni.Net.Netlink.Route;
using Cni.Net.Plugins;
using Cni.Net.Conventions.Links;
using Cni.Net.Spec;

namespace Cni.Net.Samples.Sbr;

/// <summary>
/// The reference sbr plugin on Cni.Net: for the addresses prevResult gives CNI_IFNAME, rules that send traffic
/// from them to a table of their own (see <see cref="SourceBasedRouting"/>); DEL removes the rules of the
/// interface's addresses. CHECK has nothing to compare, as in the reference.
/// </summary>
internal sealed class SbrPlugin() : CniPlugin<SbrConfig>(SbrConfig.ReadCniConfig)
{
    protected override ValueTask<CniResult> AddAsync(CniPluginRequest<SbrConfig> request, CancellationToken cancellationToken)
    {
        uint? table = Table(request);
        CniResult previous = request.PrevResult
            ?? throw new CniException(CniErrorCode.InvalidNetworkConfig, "This plugin must be called as chained plugin");
        if (previous.IPs.Count == 0)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, $"No IP addresses supplied on interface: {request.IfName}");
        }
        // An address without an interface index counts; one naming another interface does not.
        List<CniIPConfig> addresses = [.. previous.IPs.Where(ip =>
            ip.Interface is not int i || i < 0 || i >= previous.Interfaces.Count || previous.Interfaces[i].Name == request.IfName)];
        using NetworkNamespace podNamespace = PodNamespace.Open(request.NetNs!);
        using RouteNetlink pod = RouteNetlink.Open(podNamespace);
        SourceBasedRouting.Setup(request.NetNs!, pod, request.IfName, addresses, table);
        return ValueTask.FromResult(previous);
    }

    protected override ValueTask DelAsync(CniPluginRequest<SbrConfig> request, CancellationToken cancellationToken)
    {
        uint? table = Table(request);
        if (PodNamespace.TryOpen(request.NetNs) is { } podNamespace)
        {
            using (podNamespace)
            using (RouteNetlink pod = RouteNetlink.Open(podNamespace))
            {
                SourceBasedRouting.Teardown(request.NetNs!, pod, request.IfName, table);
            }
        }
        return ValueTask.CompletedTask;
    }

    // As the reference: nothing to compare (its CHECK only parses the config).
    protected override ValueTask CheckAsync(CniPluginRequest<SbrConfig> request, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    protected override void Validate(SbrConfig config, CniPluginRequest request)
    {
        if (config.Table is <= 0)
        {
            throw CniException.InvalidConfig("table", $"invalid table {config.Table}");
        }
    }

    private static uint? Table(CniPluginRequest<SbrConfig> request) => (uint?)request.NetConf.Table;
}
