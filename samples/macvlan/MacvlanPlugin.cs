using System.Net.NetworkInformation;
using Cni.Net.Conventions;
using Cni.Net.Namespaces;
using Cni.Net.Netlink;
using Cni.Net.Netlink.Route;
using Cni.Net.Plugins;
using Cni.Net.Conventions.Links;
using Cni.Net.Spec;

namespace Cni.Net.Samples.Macvlan;

/// <summary>
/// The reference macvlan plugin on Cni.Net: one rtnetlink request creates the macvlan of the parent straight in
/// the pod's namespace under CNI_IFNAME; addresses from the IPAM plugin when there is one (else the link is only
/// brought up); DEL deletes it.
/// </summary>
internal sealed class MacvlanPlugin() : CniPlugin<MacvlanConfig>(MacvlanConfig.ReadCniConfig)
{
    protected override async ValueTask<CniResult> AddAsync(CniPluginRequest<MacvlanConfig> request, CancellationToken cancellationToken)
    {
        using NetworkNamespace podNamespace = PodNamespace.Open(request.NetNs!);
        using var node = new RouteNetlink();
        using RouteNetlink pod = RouteNetlink.Open(podNamespace);
        (MacvlanConfig config, LinkInfo parent, MacvlanMode mode, PhysicalAddress? mac) = Load(request, node, pod);
        if (pod.TryGetLink(request.IfName, out _))
        {
            throw new CniException(CniErrorCode.InvalidEnvironmentVariables,
                $"CNI_IFNAME: an interface named {request.IfName} already exists in {request.NetNs}", "a second ADD for the same container and ifname needs a DEL first");
        }
        var definition = new MacvlanLink(request.IfName, parent.Index) { Mode = mode, MacAddress = mac, Namespace = config.LinkInContainer ? null : podNamespace };
        if (config.Mtu > 0)
        {
            definition.Mtu = config.Mtu;
        }
        try
        {
            (config.LinkInContainer ? pod : node).AddLink(definition);
        }
        catch (NetlinkException e)
        {
            throw new CniException(CniErrorCode.IOFailure, $"failed to create macvlan: {e.Message}", null, e);
        }
        bool succeeded = false;
        try
        {
            LinkInfo link = pod.GetLink(request.IfName);
            var result = new CniResult(CniVersion.Latest);
            result.Interfaces.Add(new CniInterface { Name = link.Name, Mac = CniInterface.FormatMac(link.MacAddress), Sandbox = request.NetNs });
            if (HasIpam(request))
            {
                _ = await CniIpam.AddToResultAsync(request, result, interfaceIndex: 0, cancellationToken).ConfigureAwait(false);
                // Neighbours learn the new MAC at once (both best effort, as the reference).
                TrySysctl($"net/ipv4/conf/{request.IfName}/arp_notify", podNamespace);
                TrySysctl($"net/ipv6/conf/{request.IfName}/ndisc_notify", podNamespace);
                PodInterface.Configure(pod, request.IfName, result);
            }
            else
            {
                pod.SetLinkUp(link.Index);
            }
            result.Dns = request.Config.Dns;
            succeeded = true;
            return result;
        }
        finally
        {
            if (!succeeded)
            {
                pod.TryDeleteLink(request.IfName);
            }
        }
    }

    protected override async ValueTask DelAsync(CniPluginRequest<MacvlanConfig> request, CancellationToken cancellationToken)
    {
        if (HasIpam(request))
        {
            await CniIpam.DelAsync(request, cancellationToken).ConfigureAwait(false);
        }
        if (PodNamespace.TryOpen(request.NetNs) is { } podNamespace)
        {
            using (podNamespace)
            using (RouteNetlink pod = RouteNetlink.Open(podNamespace))
            {
                _ = pod.TryDeleteLinkDeferringTeardown(request.IfName);
            }
        }
    }

    protected override async ValueTask CheckAsync(CniPluginRequest<MacvlanConfig> request, CancellationToken cancellationToken)
    {
        using NetworkNamespace podNamespace = PodNamespace.Open(request.NetNs!);
        using var node = new RouteNetlink();
        using RouteNetlink pod = RouteNetlink.Open(podNamespace);
        (_, LinkInfo parent, _, _) = Load(request, node, pod);
        if (HasIpam(request))
        {
            await CniIpam.CheckAsync(request, cancellationToken).ConfigureAwait(false);
        }
        CniResult previous = request.PrevResult ?? throw new CniException(CniErrorCode.InvalidNetworkConfig, "required prevResult missing");
        if (!previous.Interfaces.Any(i => i.Name == request.IfName && i.Sandbox == request.NetNs))
        {
            throw CheckFailed($"sandbox in prevResult doesn't match configured netns: {request.NetNs}");
        }
        if (!pod.TryGetLink(request.IfName, out LinkInfo? link))
        {
            throw CheckFailed($"Container Interface name in prevResult: {request.IfName} not found");
        }
        if (link.Kind != "macvlan")
        {
            throw CheckFailed($"Error: Container interface {request.IfName} not of type macvlan");
        }
        _ = parent;
        PodInterface.Verify(pod, request.IfName, previous);
    }

    protected override ValueTask StatusAsync(CniPluginRequest<MacvlanConfig> request, CancellationToken cancellationToken) =>
        HasIpam(request) ? CniIpam.StatusAsync(request, cancellationToken) : ValueTask.CompletedTask;

    protected override ValueTask GCAsync(CniPluginRequest<MacvlanConfig> request, CancellationToken cancellationToken) =>
        HasIpam(request) ? CniIpam.GCAsync(request, cancellationToken) : ValueTask.CompletedTask;

    private static (MacvlanConfig, LinkInfo, MacvlanMode, PhysicalAddress?) Load(CniPluginRequest<MacvlanConfig> request, RouteNetlink node, RouteNetlink pod)
    {
        MacvlanConfig config = request.NetConf;
        RouteNetlink home = config.LinkInContainer ? pod : node;
        string master = string.IsNullOrEmpty(config.Master)
            ? DefaultRouteInterface.Find(home) ?? throw new CniException(CniErrorCode.InvalidNetworkConfig, "no default route interface found")
            : config.Master;
        if (!home.TryGetLink(master, out LinkInfo? parent))
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, $"failed to lookup master \"{master}\": no such interface");
        }
        if (config.Mtu < 0 || config.Mtu > parent.Mtu)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, $"invalid MTU {config.Mtu}, must be [0, master MTU({parent.Mtu})]");
        }
        MacvlanMode mode = config.Mode switch
        {
            null or "" or "bridge" => MacvlanMode.Bridge,
            "private" => MacvlanMode.Private,
            "vepa" => MacvlanMode.Vepa,
            "passthru" => MacvlanMode.Passthru,
            _ => throw new CniException(CniErrorCode.InvalidNetworkConfig, $"unknown macvlan mode: \"{config.Mode}\""),
        };
        PhysicalAddress? parsed = RequestedMac.Choose(request.Args, config.Mac, runtime: config.RuntimeConfig?.Mac);
        return (config, parent, mode, parsed);
    }

    private static void TrySysctl(string key, NetworkNamespace podNamespace)
    {
        try
        {
            Sysctl.Write(key, "1", podNamespace);
        }
        catch (IOException)
        {
            // IPv6 disabled in the pod: no ndisc_notify.
        }
    }

    private static bool HasIpam(CniPluginRequest request) =>
        request.Config.Ipam is { } ipam && CniJsonKeys.GetProperty(ipam, "type") is { } type && !string.IsNullOrEmpty(type.ToString());

    private static CniException CheckFailed(string message) => new(PodInterface.CheckFailedCode, message);
}
