using System.Net.NetworkInformation;
using Cni.Net.Namespaces;
using Cni.Net.Netlink.Route;
using Cni.Net.Plugins;
using Cni.Net.Conventions.Links;
using Cni.Net.Spec;

namespace Cni.Samples.Loopback;

/// <summary>
/// The reference loopback plugin's behaviour: ADD brings <c>lo</c> up and reports it (or passes a chained
/// prevResult through unchanged), DEL brings it down and succeeds when the namespace is gone, CHECK wants it up.
/// </summary>
internal sealed class LoopbackPlugin : ICniPlugin
{
    private const string Lo = "lo";

    public ValueTask<CniResult> AddAsync(CniPluginRequest request, CancellationToken cancellationToken)
    {
        using NetworkNamespace ns = PodNamespace.Open(request.NetNs!);
        using RouteNetlink rtnl = RouteNetlink.Open(ns);
        LinkInfo lo = rtnl.GetLink(Lo);
        if (!lo.IsUp)
        {
            rtnl.SetLinkUp(lo.Index);
        }
        if (request.PrevResult is { } previous)
        {
            return ValueTask.FromResult(previous);
        }
        var result = new CniResult(CniVersion.Latest);
        result.Interfaces.Add(new CniInterface { Name = Lo, Mac = "00:00:00:00:00:00", Sandbox = request.NetNs });
        foreach (InterfaceAddress a in rtnl.ListAddresses(System.Net.Sockets.AddressFamily.Unspecified, lo.Index))
        {
            result.IPs.Add(new CniIPConfig { Interface = 0, Address = new CniIPNet(a.Address, a.PrefixLength) });
        }
        return ValueTask.FromResult(result);
    }

    public ValueTask DelAsync(CniPluginRequest request, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(request.NetNs) || PodNamespace.TryOpen(request.NetNs) is not { } ns)
        {
            return ValueTask.CompletedTask;
        }
        using (ns)
        using (RouteNetlink rtnl = RouteNetlink.Open(ns))
        {
            if (rtnl.TryGetLink(Lo, out LinkInfo? lo) && lo is { IsUp: true })
            {
                rtnl.SetLinkDown(lo.Index);
            }
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask CheckAsync(CniPluginRequest request, CancellationToken cancellationToken)
    {
        using NetworkNamespace ns = PodNamespace.Open(request.NetNs!);
        using RouteNetlink rtnl = RouteNetlink.Open(ns);
        LinkInfo lo = rtnl.GetLink(Lo);
        if (!lo.IsUp)
        {
            throw new CniException(PodInterface.CheckFailedCode, "loopback interface is down");
        }
        return ValueTask.CompletedTask;
    }
}
