using System.Net.Sockets;
using Cni.Net.Conventions;
using Cni.Net.Netfilter;
using Cni.Net.Plugins;
using Cni.Net.Spec;
using Cni.Net.Netfilter.NfTables;
using Cni.Net.Netfilter.Iptables;

namespace Cni.Net.Samples.PortMap;

/// <summary>
/// portmap on the config SDK, in either of the reference's layouts (<c>backend</c>): the iptables one written in one
/// transaction per address family, or the native nftables table. DEL needs no mappings and cleans both layouts (a pod
/// added before the config switched backends still goes); GC collects both.
/// </summary>
internal sealed class PortMapPlugin : CniPlugin<PortMapNetConf>
{
    protected override void Validate(PortMapNetConf config, CniPluginRequest request) => PortMapSettings.Validate(config);

    private const string ChainedOnly = "portmap must be called as a chained plugin (prevResult is missing)";


    private readonly INetfilterBackend _backend;
    private readonly ConntrackCleaner _conntrack;

    public PortMapPlugin(INetfilterBackend? backend = null, ConntrackCleaner? conntrack = null)
        : base(PortMapNetConf.ReadCniConfig)
    {
        _backend = backend ?? new NftablesBackend();
        _conntrack = conntrack ?? new ConntrackCleaner();
    }

    protected override async ValueTask<CniResult> AddAsync(CniPluginRequest<PortMapNetConf> request, CancellationToken cancellationToken)
    {
        CniResult prev = request.PrevResult ?? throw new CniException(CniErrorCode.InvalidNetworkConfig, ChainedOnly);
        PortMapSettings settings = PortMapSettings.Read(request);
        if (settings.Mappings.Count == 0)
        {
            return prev;
        }
        if (settings.ContainerAddresses.Count == 0)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, "portmap: the previous result has no IP address to forward to");
        }
        foreach (CniIPNet address in settings.ContainerAddresses)
        {
            await SetupAsync(settings, request.ContainerId, address, cancellationToken).ConfigureAwait(false);
            // Replies to datagrams that reached the host port before the DNAT rule existed would keep going to the
            // host; forget those flows so the next datagram takes the new rule.
            await _conntrack.DeleteUdpFlowsAsync(address.Address.AddressFamily, settings.Mappings, cancellationToken).ConfigureAwait(false);
            if (settings.Options.Snat)
            {
                EnableLocalnetRouting(address.Address);
            }
        }
        return prev;
    }

    protected override async ValueTask DelAsync(CniPluginRequest<PortMapNetConf> request, CancellationToken cancellationToken)
    {
        string network = request.Config.Name ?? string.Empty;
        // The previous result names the families that can hold rules; without it (a runtime that lost its cache)
        // both are cleaned, and IPv6 failures are tolerated as a node without ip6tables has nothing to clean there.
        CniResult? prev = TryReadPrevResult(request);
        bool v4 = prev is null || prev.IPs.Count == 0 || prev.IPs.Any(ip => ip.Address.IsIPv4);
        bool v6 = prev is null || prev.IPs.Count == 0 || prev.IPs.Any(ip => !ip.Address.IsIPv4);
        bool v6Optional = prev is null || prev.IPs.Count == 0;
        try
        {
            if (v4)
            {
                await IptablesPortMap.TeardownAsync(_backend, network, request.ContainerId, AddressFamily.InterNetwork, cancellationToken).ConfigureAwait(false);
            }
            if (v6)
            {
                try
                {
                    await IptablesPortMap.TeardownAsync(_backend, network, request.ContainerId, AddressFamily.InterNetworkV6, cancellationToken).ConfigureAwait(false);
                }
                catch (NetfilterException) when (v6Optional)
                {
                }
            }
            // The native layout too: its rules carry the container id (their comment), whatever the network.
            NftablesPortMap.Delete(request.ContainerId);
        }
        catch (NetfilterException e)
        {
            throw Failed(e);
        }
    }

    /// <summary>
    /// STATUS (the reference has none): ready only when nf_tables answers — both layouts are written through it —
    /// and this namespace's iptables rules are not in iptables-legacy, which the iptables layout refuses to mix with.
    /// </summary>
    protected override async ValueTask StatusAsync(CniPluginRequest<PortMapNetConf> request, CancellationToken cancellationToken)
    {
        if (KernelFacilities.ProbeNfTables() is string problem)
        {
            throw new CniException(CniErrorCode.PluginNotAvailable, "portmap: " + problem);
        }
        try
        {
            await new IptablesNftBackend().EnsureNotLegacyAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NetfilterException e)
        {
            throw new CniException(CniErrorCode.PluginNotAvailable, $"portmap: {e.Message}", e.ToolMessage, e);
        }
    }

    protected override async ValueTask CheckAsync(CniPluginRequest<PortMapNetConf> request, CancellationToken cancellationToken)
    {
        if (request.PrevResult is null)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, ChainedOnly);
        }
        PortMapSettings settings = PortMapSettings.Read(request);
        if (settings.Mappings.Count == 0)
        {
            return;
        }
        foreach (CniIPNet address in settings.ContainerAddresses)
        {
            string? missing;
            try
            {
                missing = settings.IsNftables
                    ? NftablesPortMap.Check(request.ContainerId, address.Address, settings.Mappings, settings.Options.Snat)
                    : await IptablesPortMap.VerifyAsync(_backend, settings.Network, request.ContainerId, address, settings.Mappings, settings.Options, cancellationToken)
                        .ConfigureAwait(false);
            }
            catch (NetfilterException e)
            {
                throw Failed(e);
            }
            if (missing is not null)
            {
                throw new CniException(CniErrorCode.InvalidNetworkConfig, $"portmap check: {missing}");
            }
        }
    }

    protected override async ValueTask GCAsync(CniPluginRequest<PortMapNetConf> request, CancellationToken cancellationToken)
    {
        string network = request.Config.Name ?? string.Empty;
        string[] valid = [.. request.ValidAttachments.Select(a => a.ContainerId)];
        try
        {
            await IptablesPortMap.CollectGarbageAsync(_backend, network, valid, cancellationToken).ConfigureAwait(false);
            NftablesPortMap.GarbageCollect(network, valid);
        }
        catch (NetfilterException e)
        {
            throw Failed(e);
        }
    }

    private async ValueTask SetupAsync(PortMapSettings settings, string containerId, CniIPNet address, CancellationToken cancellationToken)
    {
        try
        {
            if (settings.IsNftables)
            {
                IReadOnlyList<string>? conditions = address.IsIPv4 ? settings.Options.ConditionsV4 : settings.Options.ConditionsV6;
                NftablesPortMap.Add(settings.Network, containerId, address.Address, settings.Mappings, settings.Options.Snat, conditions);
            }
            else
            {
                await IptablesPortMap.SetupAsync(_backend, settings.Network, containerId, address, settings.Mappings, settings.Options, cancellationToken)
                    .ConfigureAwait(false);
            }
        }
        catch (ArgumentException e)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, $"portmap: {e.Message}", null, e);
        }
        catch (NetfilterException e)
        {
            throw Failed(e);
        }
    }

    /// <summary>
    /// Lets the <c>-s 127.0.0.1</c> connections that the chain DNATs leave the node towards the pod (route_localnet on
    /// the interface routing to it), as the reference does when it masquerades; IPv4 only, never undone on DEL.
    /// </summary>
    private static void EnableLocalnetRouting(System.Net.IPAddress containerAddress)
    {
        try
        {
            LocalnetRouting.EnableToward(containerAddress);
        }
        catch (IOException e)
        {
            throw new CniException(CniErrorCode.IOFailure, $"portmap: unable to enable route_localnet: {e.Message}", null, e);
        }
    }

    private static CniException Failed(NetfilterException e) => new(CniErrorCode.IOFailure, $"portmap: {e.Message}", e.ToolMessage, e);

    // DEL must succeed even when the runtime hands over a result it cannot parse.
    private static CniResult? TryReadPrevResult(CniPluginRequest request)
    {
        try
        {
            return request.PrevResult;
        }
        catch (CniException)
        {
            return null;
        }
    }
}
