using System.Net.Sockets;
using Cni.Net.Conventions;
using Cni.Net.Netfilter;
using Cni.Net.Plugins;
using Cni.Net.Spec;

namespace Cni.Net.Samples.PortMap;

/// <summary>
/// portmap as an <see cref="ICniPlugin"/>: the reference plugin's iptables-nft layout written in one transaction per
/// address family, a DEL that needs no mappings (the per-container chain is found by its name), CHECK against the
/// expected rules, and GC by the entry rules' comments.
/// </summary>
internal sealed class PortMapPlugin : ICniPlugin
{
    private const string ChainedOnly = "portmap must be called as a chained plugin (prevResult is missing)";

    private static readonly AddressFamily[] s_families = [AddressFamily.InterNetwork, AddressFamily.InterNetworkV6];

    private readonly INetfilterBackend _backend;
    private readonly ConntrackCleaner _conntrack;

    public PortMapPlugin(INetfilterBackend? backend = null, ConntrackCleaner? conntrack = null)
    {
        _backend = backend ?? new NftablesBackend();
        _conntrack = conntrack ?? new ConntrackCleaner();
    }

    public async ValueTask<CniResult> AddAsync(CniPluginRequest request, CancellationToken cancellationToken)
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
            NetfilterTransaction transaction = Setup(settings, request.ContainerId, address);
            await ApplyAsync(transaction, cancellationToken).ConfigureAwait(false);
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

    public async ValueTask DelAsync(CniPluginRequest request, CancellationToken cancellationToken)
    {
        string network = request.Config.Name ?? string.Empty;
        // The previous result names the families that can hold rules; without it (a runtime that lost its cache)
        // both are cleaned, and IPv6 failures are tolerated as a node without ip6tables has nothing to clean there.
        CniResult? prev = TryReadPrevResult(request);
        bool v4 = prev is null || prev.IPs.Count == 0 || prev.IPs.Any(ip => ip.Address.IsIPv4);
        bool v6 = prev is null || prev.IPs.Count == 0 || prev.IPs.Any(ip => !ip.Address.IsIPv4);
        bool v6Optional = prev is null || prev.IPs.Count == 0;
        if (v4)
        {
            await ApplyAsync(PortMapRules.AddTeardown(new NetfilterTransaction(AddressFamily.InterNetwork), network, request.ContainerId), cancellationToken)
                .ConfigureAwait(false);
        }
        if (v6)
        {
            try
            {
                await ApplyAsync(PortMapRules.AddTeardown(new NetfilterTransaction(AddressFamily.InterNetworkV6), network, request.ContainerId), cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (CniException) when (v6Optional)
            {
            }
        }
        // The reference's native nftables layout too (backend "nftables"): a pod added before the config switched
        // backends is removed either way. Its rules carry the container id only.
        try
        {
            NftablesPortMap.Delete(request.ContainerId);
        }
        catch (NetfilterException e)
        {
            throw new CniException(CniErrorCode.IOFailure, $"portmap: {e.Message}", null, e);
        }
    }

    /// <summary>
    /// STATUS (the reference has none): ready only when nf_tables answers — both layouts are written through it —
    /// and this namespace's iptables rules are not in iptables-legacy, which the iptables layout refuses to mix with.
    /// </summary>
    public async ValueTask StatusAsync(CniPluginRequest request, CancellationToken cancellationToken)
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

    public async ValueTask CheckAsync(CniPluginRequest request, CancellationToken cancellationToken)
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
            // The expected rules are what ADD would write into an empty table.
            AddressFamily family = address.Address.AddressFamily;
            var expected = new InMemoryNetfilterBackend();
            if (settings.Options.ExternalSetMarkChain is { } external)
            {
                // Someone else's chain: ADD only jumps to it, so it must exist before the expected rules can.
                await expected.ApplyAsync(new NetfilterTransaction(family).EnsureChain(NetfilterTable.Nat, external), cancellationToken)
                    .ConfigureAwait(false);
            }
            await expected.ApplyAsync(Setup(settings, request.ContainerId, address), cancellationToken).ConfigureAwait(false);
            NetfilterTableState want = await expected.ReadTableAsync(family, NetfilterTable.Nat, cancellationToken).ConfigureAwait(false);
            NetfilterTableState have = await ReadAsync(family, cancellationToken).ConfigureAwait(false);
            string containerChain = CniNames.PortMapChain(settings.Network, request.ContainerId);
            foreach (NetfilterChainState chain in want.Chains)
            {
                if (chain.Name == settings.Options.ExternalSetMarkChain)
                {
                    continue;
                }
                NetfilterChainState? actual = have.FindChain(chain.Name);
                if (actual is null)
                {
                    throw new CniException(CniErrorCode.InvalidNetworkConfig, $"portmap check: nat chain {chain.Name} is missing");
                }
                if (chain.Name == containerChain ? !chain.Rules.SequenceEqual(actual.Rules) : chain.Rules.Any(r => !actual.Rules.Contains(r)))
                {
                    throw new CniException(CniErrorCode.InvalidNetworkConfig,
                        $"portmap check: nat chain {chain.Name} does not hold the rules for container {request.ContainerId}");
                }
            }
        }
    }

    public async ValueTask GCAsync(CniPluginRequest request, CancellationToken cancellationToken)
    {
        string network = request.Config.Name ?? string.Empty;
        var valid = new HashSet<string>(request.ValidAttachments.Select(a => a.ContainerId), StringComparer.Ordinal);
        string prefix = $"dnat name: \"{network}\" id: \"";
        foreach (AddressFamily family in s_families)
        {
            NetfilterTableState table;
            try
            {
                table = await ReadAsync(family, cancellationToken).ConfigureAwait(false);
            }
            catch (CniException) when (family == AddressFamily.InterNetworkV6)
            {
                continue;
            }
            var stale = new HashSet<string>(StringComparer.Ordinal);
            foreach (NetfilterRule rule in table.FindChain(PortMapRules.DnatChain)?.Rules ?? [])
            {
                // Comments are written by CniNames.PortMapComment; ids are validated names, so no escapes occur.
                if (rule.Comment is { } c && c.StartsWith(prefix, StringComparison.Ordinal) && c.EndsWith('"') && c.Length > prefix.Length)
                {
                    string id = c[prefix.Length..^1];
                    if (!valid.Contains(id))
                    {
                        stale.Add(id);
                    }
                }
            }
            if (stale.Count == 0)
            {
                continue;
            }
            var transaction = new NetfilterTransaction(family);
            foreach (string id in stale.Order(StringComparer.Ordinal))
            {
                PortMapRules.AddTeardown(transaction, network, id);
            }
            await ApplyAsync(transaction, cancellationToken).ConfigureAwait(false);
        }
        try
        {
            // The native nftables layout records container ids only: ids valid in this network are kept.
            NftablesPortMap.GarbageCollect(valid);
        }
        catch (NetfilterException e)
        {
            throw new CniException(CniErrorCode.IOFailure, $"portmap: {e.Message}", null, e);
        }
    }

    private static NetfilterTransaction Setup(PortMapSettings settings, string containerId, CniIPNet address)
    {
        try
        {
            return PortMapRules.AddSetup(new NetfilterTransaction(address.Address.AddressFamily), settings.Network, containerId,
                address.Address, address.PrefixLength, settings.Mappings, settings.Options);
        }
        catch (ArgumentException e)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, $"portmap: {e.Message}", null, e);
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

    private async ValueTask ApplyAsync(NetfilterTransaction transaction, CancellationToken cancellationToken)
    {
        try
        {
            await _backend.ApplyAsync(transaction, cancellationToken).ConfigureAwait(false);
        }
        catch (NetfilterException e)
        {
            throw new CniException(CniErrorCode.IOFailure, $"portmap: {e.Message}", e.ToolMessage, e);
        }
    }

    private async ValueTask<NetfilterTableState> ReadAsync(AddressFamily family, CancellationToken cancellationToken)
    {
        try
        {
            return await _backend.ReadTableAsync(family, NetfilterTable.Nat, cancellationToken).ConfigureAwait(false);
        }
        catch (NetfilterException e)
        {
            throw new CniException(CniErrorCode.IOFailure, $"portmap: {e.Message}", e.ToolMessage, e);
        }
    }

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
