using System.Net.NetworkInformation;
using Cni.Net.Conventions;
using Cni.Net.Conventions.Links;
using Cni.Net.Namespaces;
using Cni.Net.Netlink;
using Cni.Net.Netlink.Route;
using Cni.Net.Plugins;
using Cni.Net.Spec;

namespace Cni.Net.Samples.Tap;

/// <summary>
/// The reference tap plugin (v1.9.1) on Cni.Net: a persistent tap device made straight in the pod's namespace
/// (<see cref="TunTap"/>) as CNI_IFNAME, with its MTU, MAC and owner/group, optionally a port of a bridge that lives
/// in the pod, and the IPAM plugin's addresses when there is one (else it is only brought up). DEL deletes it.
/// </summary>
internal sealed class TapPlugin() : CniPlugin<TapConfig>(TapConfig.ReadCniConfig)
{
    protected override void Validate(TapConfig config, CniPluginRequest request)
    {
        if (config.Mtu is < 0 or > 65535)
        {
            throw CniException.InvalidConfig("mtu", $"{config.Mtu} is out of range (0 to 65535)");
        }
        _ = RequestedMac.Choose(request.Args, config.Mac, runtime: config.RuntimeConfig?.Mac);
    }

    protected override async ValueTask<CniResult> AddAsync(CniPluginRequest<TapConfig> request, CancellationToken cancellationToken)
    {
        TapConfig config = request.NetConf;
        PhysicalAddress? mac = RequestedMac.Choose(request.Args, config.Mac, runtime: config.RuntimeConfig?.Mac);
        using NetworkNamespace podNamespace = PodNamespace.Open(request.NetNs!);
        using RouteNetlink pod = RouteNetlink.Open(podNamespace);
        if (pod.TryGetLink(request.IfName, out _))
        {
            throw new CniException(CniErrorCode.InvalidEnvironmentVariables,
                $"CNI_IFNAME: an interface named {request.IfName} already exists in {request.NetNs}", "a second ADD for the same container and ifname needs a DEL first");
        }
        TunTapOptions options = Options(config);
        try
        {
            TunTap.Create(request.IfName, options, podNamespace);
        }
        catch (IOException e)
        {
            throw new CniException(CniErrorCode.IOFailure, $"failed to create tap: {e.Message}", null, e);
        }
        bool succeeded = false;
        try
        {
            int index = pod.GetLinkIndex(request.IfName);
            if (config.Mtu > 0)
            {
                pod.SetLinkMtu(index, config.Mtu);
            }
            if (mac is not null)
            {
                pod.SetLinkMacAddress(index, mac);
            }
            if (!string.IsNullOrEmpty(config.Bridge))
            {
                // The bridge is the pod's own (a VM's network inside the pod), as in the reference.
                LinkInfo bridge = pod.TryGetLink(config.Bridge, out LinkInfo? b)
                    ? b : throw new CniException(CniErrorCode.InvalidNetworkConfig, $"failed to get bridge {config.Bridge}: link not found");
                pod.SetLinkMaster(index, bridge.Index);
            }
            pod.SetLinkUp(index);
            LinkInfo tap = pod.GetLink(index);
            var result = new CniResult(CniVersion.Latest);
            result.Interfaces.Add(new CniInterface { Name = tap.Name, Mac = CniInterface.FormatMac(tap.MacAddress), Sandbox = request.NetNs });
            if (config.HasIpam)
            {
                _ = await CniIpam.AddToResultAsync(request, result, interfaceIndex: 0, cancellationToken).ConfigureAwait(false);
                TryArpNotify(request.IfName, podNamespace);
                PodInterface.Configure(pod, request.IfName, result);
            }
            result.Dns = request.Config.Dns;
            succeeded = true;
            return result;
        }
        catch (NetlinkException e)
        {
            throw new CniException(CniErrorCode.IOFailure, $"failed to set up tap {request.IfName}: {e.Message}", null, e);
        }
        finally
        {
            if (!succeeded)
            {
                pod.TryDeleteLink(request.IfName);
            }
        }
    }

    protected override async ValueTask DelAsync(CniPluginRequest<TapConfig> request, CancellationToken cancellationToken)
    {
        if (request.NetConf.HasIpam)
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

    protected override async ValueTask CheckAsync(CniPluginRequest<TapConfig> request, CancellationToken cancellationToken)
    {
        using NetworkNamespace podNamespace = PodNamespace.Open(request.NetNs!);
        if (request.NetConf.HasIpam)
        {
            await CniIpam.CheckAsync(request, cancellationToken).ConfigureAwait(false);
        }
        CniResult previous = request.PrevResult ?? throw new CniException(CniErrorCode.InvalidNetworkConfig, "Required prevResult missing");
        if (!previous.Interfaces.Any(i => i.Name == request.IfName && i.Sandbox == request.NetNs))
        {
            throw new CniException(PodInterface.CheckFailedCode, $"Sandbox in prevResult doesn't match configured netns: {request.NetNs}");
        }
        using RouteNetlink pod = RouteNetlink.Open(podNamespace);
        if (!pod.TryGetLink(request.IfName, out LinkInfo? link) || link.Kind != "tun")
        {
            throw new CniException(PodInterface.CheckFailedCode, $"Container tap interface {request.IfName} not found");
        }
        PodInterface.Verify(pod, request.IfName, previous);
    }

    protected override ValueTask StatusAsync(CniPluginRequest<TapConfig> request, CancellationToken cancellationToken) =>
        request.NetConf.HasIpam ? CniIpam.StatusAsync(request, cancellationToken) : ValueTask.CompletedTask;

    protected override ValueTask GCAsync(CniPluginRequest<TapConfig> request, CancellationToken cancellationToken) =>
        request.NetConf.HasIpam ? CniIpam.GCAsync(request, cancellationToken) : ValueTask.CompletedTask;

    private static void TryArpNotify(string ifName, NetworkNamespace podNamespace)
    {
        try
        {
            Sysctl.Write($"net/ipv4/conf/{ifName}/arp_notify", "1", podNamespace);
        }
        catch (IOException)
        {
            // Best effort, as in the reference.
        }
    }

    /// <summary>
    /// The device flags the reference ends up with: with both owner and group it creates through vishvananda/netlink
    /// (virtio-net header on; packet information on unless multi-queue), otherwise through <c>ip tuntap</c> (neither).
    /// </summary>
    private static TunTapOptions Options(TapConfig config)
    {
        bool ownerAndGroup = config.Owner is not null && config.Group is not null;
        return new TunTapOptions
        {
            Tap = true,
            MultiQueue = config.MultiQueue,
            Owner = config.Owner,
            Group = config.Group,
            VirtioNetHeader = ownerAndGroup,
            PacketInformation = ownerAndGroup && !config.MultiQueue,
        };
    }
}
