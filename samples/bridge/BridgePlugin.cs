using System.Net.NetworkInformation;
using System.Net.Sockets;
using Cni.Net.Conventions;
using Cni.Net.Namespaces;
using Cni.Net.Netfilter;
using Cni.Net.Netlink.Route;
using Cni.Net.Plugins;
using Cni.Net.Conventions.Links;
using Cni.Net.Spec;
using Cni.Net.Netfilter.NfTables;

namespace Cni.Samples.Bridge;

/// <summary>
/// The reference bridge plugin on Cni.Net: a bridge on the node, a veth pair per pod (the pod end created directly
/// in the pod's namespace), addresses from the IPAM plugin, the gateway on the bridge and IP masquerade in one
/// netfilter transaction (iptables or native nftables layout). DEL also removes the masquerade rules when the pod's
/// namespace is already gone.
/// </summary>
internal sealed class BridgePlugin() : CniPlugin<BridgeConfig>(BridgeConfig.ReadCniConfig)
{
    private const int ContainerInterfaceIndex = 2;

    // An exec'd IPAM plugin starts before the configuration is read: its process start-up overlaps the read, then the
    // links. Only when AddAsync would start it too — not when CNI_IFNAME is taken in the pod (see there).
    protected override bool StartsIpamBeforeRead(CniPluginRequest request) => PodNamespace.IsInterfaceFree(request.NetNs, request.IfName);

    protected override async ValueTask<CniResult> AddAsync(CniPluginRequest<BridgeConfig> request, CancellationToken cancellationToken)
    {
        BridgeConfig config = request.NetConf;
        PhysicalAddress? mac = RequestedMac.Choose(request.Args, argsCni: config.Args?.Cni?.Mac, runtime: config.RuntimeConfig?.Mac);
        bool isGateway = config.IsGateway || config.IsDefaultGateway;

        // The namespace first: when it is missing nothing is created on the node.
        using NetworkNamespace podNamespace = PodNamespace.Open(request.NetNs!);
        using var node = new RouteNetlink();
        using RouteNetlink pod = RouteNetlink.Open(podNamespace);

        // IPAM runs while the bridge and the veth are made (a plugin process of its own, milliseconds of start-up).
        // Not when CNI_IFNAME is taken: that ADD fails below, and releasing its allocation would release the
        // address of the pod that owns the interface (host-local releases by container id and ifname).
        bool hasIpam = request.NetConf.HasIpam;
        bool ipamStarted = hasIpam && !pod.TryGetLink(request.IfName, out _);
        ValueTask<CniResult> ipamAdd = ipamStarted ? CniIpam.AddAsync(request, cancellationToken) : default;
        bool ipamPending = ipamStarted;
        LinkInfo bridge;
        VethPair veth;
        try
        {
            bridge = BridgeSetup.Ensure(node, config.BridgeName, config.Mtu, config.PromiscMode, config.VlanFiltering);
            veth = VethSetup.Create(node, pod, podNamespace, request.IfName, bridge.Index, config.Mtu, mac);
        }
        catch
        {
            // Collect the IPAM plugin; if it allocated, the host releases the allocation before reporting the error.
            await CollectQuietlyAsync(ipamAdd, ipamPending).ConfigureAwait(false);
            throw;
        }
        bool succeeded = false;
        try
        {
            if (config.HairpinMode || config.PortIsolation)
            {
                node.SetBridgePort(veth.Host.Index, new BridgePortSettings { Hairpin = config.HairpinMode, Isolated = config.PortIsolation });
            }
            BridgeVlan.Configure(node, veth.Host.Index, config.Vlan, config.TrunkVlans, config.PreserveDefaultVlan);
            if (config.MacSpoofCheck && veth.Container.MacAddress is { } podMac)
            {
                await MacSpoofCheck.SetupAsync(veth.Host.Name, podMac, request.ContainerId, request.IfName, cancellationToken).ConfigureAwait(false);
            }

            // The pod interface's settings need no address: made while the IPAM plugin is still at work.
            if (hasIpam)
            {
                PodInterface.ApplySysctls(pod, podNamespace, request.IfName, config.EnableDad);
            }

            var result = new CniResult(CniVersion.Latest);
            result.Interfaces.Add(new CniInterface { Name = bridge.Name, Mac = CniInterface.FormatMac(bridge.MacAddress) });
            result.Interfaces.Add(new CniInterface { Name = veth.Host.Name, Mac = CniInterface.FormatMac(veth.Host.MacAddress) });
            result.Interfaces.Add(new CniInterface { Name = veth.Container.Name, Mac = CniInterface.FormatMac(veth.Container.MacAddress), Sandbox = request.NetNs });

            if (hasIpam)
            {
                ipamPending = false;
                CniResult ipam = ipamStarted
                    ? await ipamAdd.ConfigureAwait(false)
                    : await CniIpam.AddAsync(request, cancellationToken).ConfigureAwait(false);
                if (ipam.IPs.Count == 0)
                {
                    throw new CniException(CniErrorCode.IOFailure, "IPAM plugin returned missing IP config");
                }
                foreach (CniIPConfig ip in ipam.IPs)
                {
                    result.IPs.Add(ip);
                }
                foreach (CniRoute route in ipam.Routes)
                {
                    result.Routes.Add(route);
                }
                result.Dns = ipam.Dns;
                IReadOnlyList<CniIPNet> gateways = BridgeAttachment.AssignGateways(result, ContainerInterfaceIndex, isGateway, config.IsDefaultGateway);

                // The pod's side (its sysctls, addresses and routes, through its own socket) and the node's side (the
                // gateway, forwarding, the masquerade rules) touch nothing of each other's: in a long-lived host the
                // pod's side runs on a pool thread meanwhile, and an error of it is still reported first. A plugin
                // process has no pool thread yet: starting one cost what the overlap saves, and so did a thread of its
                // own (session 20, chain_ab.py, six runs within ±0.1 ms).
                void ConfigurePodSide() => PodInterface.Configure(pod, request.IfName, result);
                Task podSide = Task.CompletedTask;
                if (request.ProcessOutlivesRequest)
                {
                    podSide = NetworkNamespace.StartInCurrent(ConfigurePodSide);
                }
                else
                {
                    ConfigurePodSide();
                }
                try
                {
                    foreach (CniIPNet gateway in gateways)
                    {
                        BridgeSetup.EnsureGatewayAddress(node, bridge.Index, gateway, config.ForceAddress, bridge.MacAddress);
                        BridgeSetup.EnableForwarding(gateway.Address.AddressFamily, netlink: node);
                    }
                    if (config.IPMasq)
                    {
                        await PodMasquerade.SetupAsync(new NftablesBackend(), config.MasqueradeLayout, Attachment(request), result.IPs, cancellationToken)
                            .ConfigureAwait(false);
                    }
                }
                catch
                {
                    // The pod's side ends before the handler goes on; should it have failed too, its error is thrown.
                    await podSide.ConfigureAwait(false);
                    throw;
                }
                await podSide.ConfigureAwait(false);
            }
            else if (!config.DisableContainerInterface)
            {
                pod.SetLinkUp(veth.Container.Index);
            }
            // A pod interface left down keeps its port down too: nothing to wait for.
            LinkInfo host = config.DisableContainerInterface
                ? node.GetLink(veth.Host.Index)
                : await BridgeAttachment.WaitForwardingAsync(node, veth.Host.Name, cancellationToken).ConfigureAwait(false);
            result.Interfaces[1].Mac = CniInterface.FormatMac(host.MacAddress);
            result.Interfaces[0].Mac = CniInterface.FormatMac(node.GetLink(bridge.Index).MacAddress);
            if (request.Config.Dns is { IsEmpty: false } dns)
            {
                result.Dns = dns;
            }
            succeeded = true;
            return result;
        }
        finally
        {
            if (!succeeded)
            {
                // The host releases the IPAM allocation; the veth and any masquerade rules are ours to undo.
                await CollectQuietlyAsync(ipamAdd, ipamPending).ConfigureAwait(false);
                pod.TryDeleteLink(request.IfName);
                if (config.MacSpoofCheck)
                {
                    await MacSpoofCheck.TeardownAsync(request.ContainerId, request.IfName, CancellationToken.None).ConfigureAwait(false);
                }
                if (config.IPMasq)
                {
                    await PodMasquerade.TeardownAsync(new NftablesBackend(), Attachment(request), null, CancellationToken.None).ConfigureAwait(false);
                }
            }
        }
    }

    protected override async ValueTask DelAsync(CniPluginRequest<BridgeConfig> request, CancellationToken cancellationToken)
    {
        BridgeConfig config = request.NetConf;
        // Three independent steps, each mostly a wait in the kernel: IPAM DEL (a plugin process of its own), the veth's
        // deletion (RCU grace periods, about 20 ms) and the masquerade teardown (nf_tables frees the deleted chain
        // after a grace period, which closing its socket waits for). They overlap: IPAM runs while the veth goes, and
        // when prevResult names the address families, the veth is deleted on a thread of its own during the teardown.
        ValueTask ipamDel = request.NetConf.HasIpam ? CniIpam.DelAsync(request, cancellationToken) : default;
        HashSet<AddressFamily>? resultFamilies = request.PrevResult is { IPs.Count: > 0 } previous
            ? new HashSet<AddressFamily>(previous.IPs.Select(ip => ip.Address.Address.AddressFamily))
            : null;
        IReadOnlyList<CniIPNet> removed = [];
        Task? deletion = null;
        try
        {
            try
            {
                // The veth's teardown is not waited for (a long-lived host leaves it to a thread, a plugin process to a
                // detached process); the deletion is then too short to overlap. Where it is waited for, the
                // masquerade rules are deleted meanwhile.
                bool deferTeardown = RouteNetlink.DefersTeardown;
                if (config.IPMasq && resultFamilies is not null && !deferTeardown)
                {
                    deletion = Task.Factory.StartNew(() => DeletePodInterface(request.NetNs, request.IfName, deferTeardown: false),
                        CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
                }
                else
                {
                    removed = DeletePodInterface(request.NetNs, request.IfName, deferTeardown);
                }
            }
            finally
            {
                await ipamDel.ConfigureAwait(false);
            }
            if (config.MacSpoofCheck)
            {
                await MacSpoofCheck.TeardownAsync(request.ContainerId, request.IfName, cancellationToken).ConfigureAwait(false);
            }
            if (config.IPMasq)
            {
                // The chain name comes from the network and container id alone, so the rules go even when the pod's
                // namespace (and with it the addresses) is already gone — the reference plugin leaks them then.
                var families = new HashSet<AddressFamily>(removed.Select(a => a.Address.AddressFamily));
                families.UnionWith(resultFamilies ?? []);
                await PodMasquerade.TeardownAsync(new NftablesBackend(), Attachment(request), families.Count == 0 ? null : families, cancellationToken)
                    .ConfigureAwait(false);
            }
        }
        finally
        {
            if (deletion is not null)
            {
                await deletion.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        await (deletion ?? Task.CompletedTask).ConfigureAwait(false);
    }

    /// <summary>Deletes the pod's interface (its veth peer goes with it); nothing when the namespace or the interface is gone.</summary>
    private static IReadOnlyList<CniIPNet> DeletePodInterface(string? netNs, string ifName, bool deferTeardown)
    {
        if (PodNamespace.TryOpen(netNs) is not { } podNamespace)
        {
            return [];
        }
        using (podNamespace)
        using (RouteNetlink pod = RouteNetlink.Open(podNamespace))
        {
            return PodInterface.Delete(pod, ifName, deferTeardown);
        }
    }

    protected override async ValueTask CheckAsync(CniPluginRequest<BridgeConfig> request, CancellationToken cancellationToken)
    {
        BridgeConfig config = request.NetConf;
        using NetworkNamespace podNamespace = PodNamespace.Open(request.NetNs!);
        if (request.NetConf.HasIpam)
        {
            await CniIpam.CheckAsync(request, cancellationToken).ConfigureAwait(false);
        }
        CniResult previous = request.PrevResult
            ?? throw new CniException(CniErrorCode.InvalidNetworkConfig, "CHECK needs prevResult: it is missing");
        using var node = new RouteNetlink();
        using RouteNetlink pod = RouteNetlink.Open(podNamespace);

        BridgeAttachment.VerifyLinks(node, pod, previous, config.BridgeName, request.IfName, request.NetNs, config.PromiscMode);
        PodInterface.Verify(pod, request.IfName, previous);
        if (config.IPMasq && request.NetConf.HasIpam)
        {
            if (await PodMasquerade.VerifyAsync(new NftablesBackend(), config.MasqueradeLayout, Attachment(request), previous.IPs, cancellationToken)
                .ConfigureAwait(false) is { } missing)
            {
                throw new CniException(PodInterface.CheckFailedCode, missing);
            }
        }
    }

    protected override void Validate(BridgeConfig config, CniPluginRequest request) => config.Validate();

    /// <summary>
    /// GC: the IPAM plugin collects its reservations (in a chain, host-local is reached only through bridge), then
    /// the masquerade setups of containers that are not valid attachments go.
    /// </summary>
    protected override async ValueTask GCAsync(CniPluginRequest<BridgeConfig> request, CancellationToken cancellationToken)
    {
        if (request.NetConf.HasIpam)
        {
            await CniIpam.GCAsync(request, cancellationToken).ConfigureAwait(false);
        }
        await PodMasquerade.CollectGarbageAsync(new NftablesBackend(), request.Config.Name!, request.ValidAttachments, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// STATUS (the reference only asks IPAM): not ready when the IPAM plugin is not, or when the bridge is absent and
    /// cannot be created — a link of another kind has its name, or the kernel has no bridges.
    /// </summary>
    protected override async ValueTask StatusAsync(CniPluginRequest<BridgeConfig> request, CancellationToken cancellationToken)
    {
        if (request.NetConf.HasIpam)
        {
            try
            {
                await CniIpam.StatusAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (CniException e) when (e.Code is not (CniErrorCode.PluginNotAvailable or CniErrorCode.PluginNotAvailableLimitedConnectivity))
            {
                throw new CniException(CniErrorCode.PluginNotAvailable, $"bridge: the IPAM plugin is not ready: {e.Message}", e.Details, e);
            }
        }
        BridgeConfig config = request.NetConf;
        if (KernelFacilities.ProbeBridge(config.BridgeName) is string problem)
        {
            throw new CniException(CniErrorCode.PluginNotAvailable, "bridge: " + problem);
        }
    }

    private static PodAttachment Attachment(CniPluginRequest request) => new(request.Config.Name!, request.ContainerId, request.IfName);

    /// <summary>Awaits a started IPAM ADD whose result is no longer wanted (the ADD is failing anyway).</summary>
    private static async ValueTask CollectQuietlyAsync(ValueTask<CniResult> ipamAdd, bool pending)
    {
        if (!pending)
        {
            return;
        }
        try
        {
            await ipamAdd.ConfigureAwait(false);
        }
        catch (Exception e) when (e is CniException or IOException or OperationCanceledException)
        {
            // The ADD's own error is the one to report.
        }
    }
}
