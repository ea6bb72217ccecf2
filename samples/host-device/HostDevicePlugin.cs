using Cni.Net.Conventions;
using Cni.Net.Conventions.Links;
using Cni.Net.Namespaces;
using Cni.Net.Netlink.Route;
using Cni.Net.Plugins;
using Cni.Net.Spec;

namespace Cni.Net.Samples.HostDevice;

/// <summary>
/// The reference host-device plugin on Cni.Net: ADD moves a node link (found by name, MAC, sysfs path, PCI address
/// or a device plugin's device id) into the pod as CNI_IFNAME with its node name in its alias, brings it up and
/// gives it the IPAM plugin's addresses; DEL moves it back under its node name (see <see cref="HostDeviceLink"/>).
/// A PCI function bound to a DPDK driver has no kernel link: only IPAM runs, as in the reference.
/// </summary>
internal sealed class HostDevicePlugin() : CniPlugin<HostDeviceConfig>(HostDeviceConfig.ReadCniConfig)
{
    private readonly HostDeviceLookup _lookup = new();

    protected override void Validate(HostDeviceConfig config, CniPluginRequest request) => Resolve(config);

    protected override async ValueTask<CniResult> AddAsync(CniPluginRequest<HostDeviceConfig> request, CancellationToken cancellationToken)
    {
        Device device = Resolve(request.NetConf);
        using NetworkNamespace podNamespace = PodNamespace.Open(request.NetNs!);
        using NetworkNamespace nodeNamespace = NetworkNamespace.OpenCurrent();
        using var node = new RouteNetlink();
        using RouteNetlink pod = RouteNetlink.Open(podNamespace);
        var result = new CniResult(CniVersion.Latest);
        var intf = new CniInterface { Name = request.IfName, Sandbox = request.NetNs };
        result.Interfaces.Add(intf);
        if (!device.Dpdk)
        {
            LinkInfo hostLink = _lookup.Find(node, device.Name, device.HardwareAddress, device.KernelPath, device.PciAddress, device.AuxiliaryDevice);
            LinkInfo moved = HostDeviceLink.MoveIn(node, nodeNamespace, hostLink, pod, podNamespace, request.IfName);
            intf.Name = moved.Name;
            intf.Mac = CniInterface.FormatMac(moved.MacAddress);
        }
        if (!request.NetConf.HasIpam)
        {
            return result;
        }
        bool succeeded = false;
        try
        {
            _ = await CniIpam.AddToResultAsync(request, result, interfaceIndex: 0, cancellationToken).ConfigureAwait(false);
            if (!device.Dpdk)
            {
                PodInterface.Configure(pod, request.IfName, result);
            }
            result.Dns = request.Config.Dns;
            succeeded = true;
            return result;
        }
        finally
        {
            if (!succeeded && !device.Dpdk)
            {
                // The link goes home at once (the reference waits for the runtime's DEL to move it).
                TryMoveOut(pod, node, nodeNamespace, request.IfName);
            }
        }
    }

    protected override async ValueTask DelAsync(CniPluginRequest<HostDeviceConfig> request, CancellationToken cancellationToken)
    {
        Device device = Resolve(request.NetConf);
        // IPAM first and also without a namespace (the reference returns before IPAM when CNI_NETNS is empty and
        // so leaks the address).
        if (request.NetConf.HasIpam)
        {
            await CniIpam.DelAsync(request, cancellationToken).ConfigureAwait(false);
        }
        if (device.Dpdk || PodNamespace.TryOpen(request.NetNs) is not { } podNamespace)
        {
            return;
        }
        using (podNamespace)
        using (NetworkNamespace nodeNamespace = NetworkNamespace.OpenCurrent())
        using (var node = new RouteNetlink())
        using (RouteNetlink pod = RouteNetlink.Open(podNamespace))
        {
            // Already gone (a repeated DEL, or a failed ADD that put it back): nothing to do.
            HostDeviceLink.MoveOut(pod, node, nodeNamespace, request.IfName);
        }
    }

    protected override async ValueTask CheckAsync(CniPluginRequest<HostDeviceConfig> request, CancellationToken cancellationToken)
    {
        Device device = Resolve(request.NetConf);
        using NetworkNamespace podNamespace = PodNamespace.Open(request.NetNs!);
        if (request.NetConf.HasIpam)
        {
            await CniIpam.CheckAsync(request, cancellationToken).ConfigureAwait(false);
        }
        CniResult previous = request.PrevResult ?? throw new CniException(CniErrorCode.InvalidNetworkConfig, "Required prevResult missing");
        if (device.Dpdk)
        {
            return;
        }
        CniInterface? intf = previous.Interfaces.FirstOrDefault(i => i.Name == request.IfName && i.Sandbox == request.NetNs)
            ?? throw CheckFailed($"Sandbox in prevResult doesn't match configured netns: {request.NetNs}");
        using RouteNetlink pod = RouteNetlink.Open(podNamespace);
        if (!pod.TryGetLink(request.IfName, out LinkInfo? link))
        {
            throw CheckFailed($"Container Interface name in prevResult: {request.IfName} not found");
        }
        if (!string.IsNullOrEmpty(intf.Mac) && !string.Equals(intf.Mac, CniInterface.FormatMac(link.MacAddress), StringComparison.OrdinalIgnoreCase))
        {
            throw CheckFailed($"Interface {request.IfName} Mac {intf.Mac} doesn't match container Mac: {CniInterface.FormatMac(link.MacAddress)}");
        }
        PodInterface.Verify(pod, request.IfName, previous);
    }

    protected override ValueTask StatusAsync(CniPluginRequest<HostDeviceConfig> request, CancellationToken cancellationToken) =>
        request.NetConf.HasIpam ? CniIpam.StatusAsync(request, cancellationToken) : ValueTask.CompletedTask;

    protected override ValueTask GCAsync(CniPluginRequest<HostDeviceConfig> request, CancellationToken cancellationToken) =>
        request.NetConf.HasIpam ? CniIpam.GCAsync(request, cancellationToken) : ValueTask.CompletedTask;

    /// <summary>The reference's loadConf: <c>runtimeConfig.deviceID</c> overrides the keys; one of them must be set; a PCI device may be DPDK's.</summary>
    private Device Resolve(HostDeviceConfig config)
    {
        var device = new Device(config.Device, config.HardwareAddress, config.KernelPath, config.PciBusId, null, false);
        if (config.RuntimeConfig?.DeviceId is { Length: > 0 } id)
        {
            device = _lookup.IsPciDeviceId(id) ? device with { PciAddress = id } : device with { PciAddress = null, AuxiliaryDevice = id };
        }
        if (string.IsNullOrEmpty(device.Name) && string.IsNullOrEmpty(device.HardwareAddress) && string.IsNullOrEmpty(device.KernelPath) &&
            string.IsNullOrEmpty(device.PciAddress) && string.IsNullOrEmpty(device.AuxiliaryDevice))
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, "specify either \"device\", \"hwaddr\", \"kernelpath\" or \"pciBusID\"");
        }
        return string.IsNullOrEmpty(device.PciAddress) ? device : device with { Dpdk = _lookup.HasUserspaceDriver(device.PciAddress) };
    }

    private static void TryMoveOut(RouteNetlink pod, RouteNetlink node, NetworkNamespace nodeNamespace, string ifName)
    {
        try
        {
            HostDeviceLink.MoveOut(pod, node, nodeNamespace, ifName);
        }
        catch (CniException)
        {
            // The ADD's own error is the one to report; the runtime's DEL tries again.
        }
    }

    private static CniException CheckFailed(string message) => new(PodInterface.CheckFailedCode, message);

    private sealed record Device(string? Name, string? HardwareAddress, string? KernelPath, string? PciAddress, string? AuxiliaryDevice, bool Dpdk);
}
