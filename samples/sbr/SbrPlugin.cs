using Cni.Net.Conventions;
using Cni.Net.Namespaces;
using Cni.Net.Netlink.Route;
using Cni.Net.Plugins;
using Cni.Net.Plugins.Links;
using Cni.Net.Spec;

namespace Cni.Net.Samples.Sbr;

/// <summary>
/// The reference sbr plugin on Cni.Net: for the addresses prevResult gives CNI_IFNAME, rules that send traffic
/// from them to a table of their own (see <see cref="SourceBasedRouting"/>); DEL removes the rules of the
/// interface's addresses. CHECK has nothing to compare, as in the reference.
/// </summary>
internal sealed class SbrPlugin : ICniPlugin
{
    public ValueTask<CniResult> AddAsync(CniPluginRequest request, CancellationToken cancellationToken)
    {
        uint? table = Load(request);
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

    public ValueTask DelAsync(CniPluginRequest request, CancellationToken cancellationToken)
    {
        uint? table = Load(request);
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

    public ValueTask CheckAsync(CniPluginRequest request, CancellationToken cancellationToken)
    {
        Load(request);
        return ValueTask.CompletedTask;
    }

    private static uint? Load(CniPluginRequest request)
    {
        SbrConfig config = request.Config.As(SbrJsonContext.Default.SbrConfig);
        return config.Table switch
        {
            null => null,
            int t and > 0 => (uint)t,
            int t => throw new CniException(CniErrorCode.InvalidNetworkConfig, $"invalid table {t}"),
        };
    }
}
