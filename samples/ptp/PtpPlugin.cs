using System.Net.Sockets;
using Cni.Net.Conventions;
using Cni.Net.Namespaces;
using Cni.Net.Netfilter;
using Cni.Net.Netlink.Route;
using Cni.Net.Plugins;
using Cni.Net.Conventions.Links;
using Cni.Net.Spec;
using Cni.Net.Netfilter.NfTables;

namespace Cni.Net.Samples.Ptp;

/// <summary>
/// The reference ptp plugin on Cni.Net: a veth pair (the pod end created in the pod's namespace), addresses from the
/// IPAM plugin, the pod's subnet routed through the gateway, the gateway as a host address on the node end with a
/// host route back to the pod, and optional IP masquerade. DEL also removes the masquerade rules when the pod's
/// namespace is already gone; GC removes those of containers that are no longer attachments.
/// </summary>
internal sealed class PtpPlugin() : CniPlugin<PtpConfig>(PtpConfig.ReadCniConfig)
{
    // The IPAM plugin's process starts while the configuration is read; AddAsync refuses a taken CNI_IFNAME before it
    // delegates, so the early start asks the same.
    protected override bool StartsIpamBeforeRead(CniPluginRequest request) => PodNamespace.IsInterfaceFree(request.NetNs, request.IfName);

    protected override async ValueTask<CniResult> AddAsync(CniPluginRequest<PtpConfig> request, CancellationToken cancellationToken)
    {
        PtpConfig config = request.NetConf;
        using NetworkNamespace podNamespace = PodNamespace.Open(request.NetNs!);
        using var node = new RouteNetlink();
        using RouteNetlink pod = RouteNetlink.Open(podNamespace);
        if (pod.TryGetLink(request.IfName, out _))
        {
            // Before IPAM: releasing an allocation made for a taken ifname would release the owner's address.
            throw new CniException(CniErrorCode.InvalidEnvironmentVariables,
                $"CNI_IFNAME: an interface named {request.IfName} already exists in {request.NetNs}", "a second ADD for the same container and ifname needs a DEL first");
        }
        // The addresses belong to the pod end of the veth, the result's second interface (after the node end).
        var result = new CniResult(CniVersion.Latest);
        result.Dns = (await CniIpam.AddToResultAsync(request, result, interfaceIndex: 1, cancellationToken).ConfigureAwait(false)).Dns;
        foreach (AddressFamily family in result.IPs.Select(ip => ip.Address.Address.AddressFamily).Distinct())
        {
            BridgeSetup.EnableForwarding(family, netlink: node);
        }

        bool succeeded = false;
        try
        {
            VethPair veth = VethSetup.Create(node, pod, podNamespace, request.IfName, mtu: config.Mtu);
            result.Interfaces.Add(new CniInterface { Name = veth.Host.Name, Mac = CniInterface.FormatMac(veth.Host.MacAddress) });
            result.Interfaces.Add(new CniInterface { Name = veth.Container.Name, Mac = CniInterface.FormatMac(veth.Container.MacAddress), Sandbox = request.NetNs });

            PodInterface.Configure(pod, request.IfName, result);
            PointToPointRoutes.ConfigurePod(pod, veth.Container.Index, result.IPs);
            PointToPointRoutes.ConfigureHost(node, veth.Host.Index, result.IPs);
            if (config.IPMasq)
            {
                await PodMasquerade.SetupAsync(new NftablesBackend(), config.MasqueradeLayout, Attachment(request), result.IPs, cancellationToken).ConfigureAwait(false);
            }
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
                // The host releases the IPAM allocation; the veth (its node end goes with it) and the rules are ours.
                pod.TryDeleteLink(request.IfName);
                if (config.IPMasq)
                {
                    await PodMasquerade.TeardownAsync(new NftablesBackend(), Attachment(request), null, CancellationToken.None).ConfigureAwait(false);
                }
            }
        }
    }

    protected override async ValueTask DelAsync(CniPluginRequest<PtpConfig> request, CancellationToken cancellationToken)
    {
        PtpConfig config = request.NetConf;
        ValueTask ipamDel = HasIpam(request) ? CniIpam.DelAsync(request, cancellationToken) : default;
        IReadOnlyList<CniIPNet> removed = [];
        try
        {
            if (PodNamespace.TryOpen(request.NetNs) is { } podNamespace)
            {
                using (podNamespace)
                using (RouteNetlink pod = RouteNetlink.Open(podNamespace))
                {
                    removed = PodInterface.Delete(pod, request.IfName, deferTeardown: RouteNetlink.DefersTeardown);
                }
            }
        }
        finally
        {
            await ipamDel.ConfigureAwait(false);
        }
        if (config.IPMasq)
        {
            // By network and container id: the rules go even when the namespace (and the addresses) are gone.
            var families = new HashSet<AddressFamily>(removed.Select(a => a.Address.AddressFamily));
            if (request.PrevResult is { } previous)
            {
                families.UnionWith(previous.IPs.Select(ip => ip.Address.Address.AddressFamily));
            }
            await PodMasquerade.TeardownAsync(new NftablesBackend(), Attachment(request), families.Count == 0 ? null : families,
                cancellationToken).ConfigureAwait(false);
        }
    }

    protected override async ValueTask CheckAsync(CniPluginRequest<PtpConfig> request, CancellationToken cancellationToken)
    {
        PtpConfig config = request.NetConf;
        using NetworkNamespace podNamespace = PodNamespace.Open(request.NetNs!);
        await CniIpam.CheckAsync(request, cancellationToken).ConfigureAwait(false);
        CniResult previous = request.PrevResult
            ?? throw new CniException(CniErrorCode.InvalidNetworkConfig, "ptp: Required prevResult missing");
        if (!previous.Interfaces.Any(i => i.Name == request.IfName && i.Sandbox == request.NetNs))
        {
            throw CheckFailed($"prevResult lists no interface {request.IfName} in sandbox {request.NetNs}");
        }
        using RouteNetlink pod = RouteNetlink.Open(podNamespace);
        if (!pod.TryGetLink(request.IfName, out LinkInfo? link))
        {
            throw CheckFailed($"ptp: Container Interface name in prevResult: {request.IfName} not found");
        }
        if (link.Kind != "veth")
        {
            throw CheckFailed($"ptp: interface {request.IfName} is not a veth");
        }
        PodInterface.Verify(pod, request.IfName, previous);
        if (config.IPMasq &&
            await PodMasquerade.VerifyAsync(new NftablesBackend(), config.MasqueradeLayout, Attachment(request), previous.IPs, cancellationToken).ConfigureAwait(false) is { } missing)
        {
            throw CheckFailed(missing);
        }
    }

    protected override async ValueTask GCAsync(CniPluginRequest<PtpConfig> request, CancellationToken cancellationToken)
    {
        PtpConfig config = request.NetConf;
        if (HasIpam(request))
        {
            await CniIpam.GCAsync(request, cancellationToken).ConfigureAwait(false);
        }
        if (config.IPMasq)
        {
            await PodMasquerade.CollectGarbageAsync(new NftablesBackend(), request.Config.Name!, request.ValidAttachments,
                cancellationToken).ConfigureAwait(false);
        }
    }

    protected override ValueTask StatusAsync(CniPluginRequest<PtpConfig> request, CancellationToken cancellationToken) =>
        HasIpam(request) ? CniIpam.StatusAsync(request, cancellationToken) : ValueTask.CompletedTask;

    protected override void Validate(PtpConfig config, CniPluginRequest request)
    {
        if (config.Mtu is < 0 or > 65535)
        {
            throw CniException.InvalidConfig("mtu", $"invalid MTU {config.Mtu}");
        }
        if (request.Command is CniCommand.Add or CniCommand.Check && !HasIpam(request))
        {
            throw CniException.InvalidConfig("ipam.type", "ptp needs an IPAM plugin: ipam.type is missing");
        }
        if (config.IPMasq)
        {
            try
            {
                config.MasqueradeLayout = ReferenceBackendChoice.Resolve(config.IPMasqBackend);
            }
            catch (ArgumentException e)
            {
                throw CniException.InvalidConfig("ipMasqBackend", e.Message);
            }
        }
    }

    private static PodAttachment Attachment(CniPluginRequest request) => new(request.Config.Name!, request.ContainerId, request.IfName);

    private static bool HasIpam(CniPluginRequest request) =>
        request.Config.Ipam is { } ipam && CniJsonKeys.GetProperty(ipam, "type") is { } type && !string.IsNullOrEmpty(type.ToString());

    private static CniException CheckFailed(string message) => new(PodInterface.CheckFailedCode, message);
}
