using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using Cni.Net.Conventions;
using Cni.Net.Namespaces;
using Cni.Net.Netfilter;
using Cni.Net.Netlink.Route;
using Cni.Net.Plugins;
using Cni.Net.Plugins.Links;
using Cni.Net.Spec;

namespace Cni.Samples.Bridge;

/// <summary>
/// The reference bridge plugin on Cni.Net: a bridge on the node, a veth pair per pod (the pod end created directly
/// in the pod's namespace), addresses from the IPAM plugin, the gateway on the bridge and IP masquerade in one
/// netfilter transaction. DEL also removes the masquerade rules when the pod's namespace is already gone.
/// </summary>
internal sealed class BridgePlugin : ICniPlugin
{
    private const int ContainerInterfaceIndex = 2;
    // The port's operational state follows its carrier through the kernel's link watcher, asynchronously: poll
    // often at first, then back off (about 2.5 s in all).
    private static readonly int[] s_portStateRetriesMs = [0, 1, 1, 2, 4, 8, 16, 32, 64, 128, 256, 500, 500, 1000];
    private const int ShortestTimerWaitMs = 16;
    private static readonly AddressFamily[] s_families = [AddressFamily.InterNetwork, AddressFamily.InterNetworkV6];

    public async ValueTask<CniResult> AddAsync(CniPluginRequest request, CancellationToken cancellationToken)
    {
        BridgeConfig config = Load(request);
        PhysicalAddress? mac = ContainerMac(request, config);
        bool isGateway = config.IsGateway || config.IsDefaultGateway;

        // The namespace first: when it is missing nothing is created on the node.
        using NetworkNamespace podNamespace = PodNamespace.Open(request.NetNs!);
        using var node = new RouteNetlink();
        using RouteNetlink pod = RouteNetlink.Open(podNamespace);

        // IPAM runs while the bridge and the veth are made (a plugin process of its own, milliseconds of start-up).
        // Not when CNI_IFNAME is taken: that ADD fails below, and releasing its allocation would release the
        // address of the pod that owns the interface (host-local releases by container id and ifname).
        bool hasIpam = HasIpam(request);
        bool ipamStarted = hasIpam && !pod.TryGetLink(request.IfName, out _);
        ValueTask<CniResult> ipamAdd = ipamStarted ? CniIpam.AddAsync(request, cancellationToken) : default;
        bool ipamPending = ipamStarted;
        LinkInfo bridge;
        VethPair veth;
        try
        {
            bridge = BridgeSetup.Ensure(node, config.BridgeName, config.Mtu, config.PromiscMode, vlanFiltering: config.Vlan != 0);
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
            if (config.HairpinMode)
            {
                node.SetBridgePort(veth.Host.Index, new BridgePortSettings { Hairpin = true });
            }
            if (config.Vlan != 0)
            {
                BridgeVlan.SetAccessVlan(node, veth.Host.Index, config.Vlan, config.PreserveDefaultVlan);
            }
            if (config.MacSpoofCheck && veth.Container.MacAddress is { } podMac)
            {
                await MacSpoofCheck.SetupAsync(veth.Host.Name, podMac, request.ContainerId, request.IfName, cancellationToken).ConfigureAwait(false);
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
                List<CniIPNet> gateways = AssignGateways(result, isGateway, config.IsDefaultGateway);

                PodInterface.ApplySysctls(podNamespace, request.IfName, config.EnableDad);
                PodInterface.Configure(pod, request.IfName, result);

                foreach (CniIPNet gateway in gateways)
                {
                    BridgeSetup.EnsureGatewayAddress(node, bridge.Index, gateway, config.ForceAddress, bridge.MacAddress);
                    BridgeSetup.EnableForwarding(gateway.Address.AddressFamily);
                }
                if (config.IPMasq)
                {
                    await ApplyMasqueradeAsync(request, result, cancellationToken).ConfigureAwait(false);
                }
            }
            else
            {
                pod.SetLinkUp(veth.Container.Index);
            }
            LinkInfo host = await WaitForwardingAsync(node, veth.Host.Name, cancellationToken).ConfigureAwait(false);
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
                    await TeardownMasqueradeAsync(request, s_families, CancellationToken.None).ConfigureAwait(false);
                }
            }
        }
    }

    public async ValueTask DelAsync(CniPluginRequest request, CancellationToken cancellationToken)
    {
        BridgeConfig config = Load(request);
        // Three independent steps, each mostly a wait in the kernel: IPAM DEL (a plugin process of its own), the veth's
        // deletion (RCU grace periods, about 20 ms) and the masquerade teardown (nf_tables frees the deleted chain
        // after a grace period, which closing its socket waits for). They overlap: IPAM runs while the veth goes, and
        // when prevResult names the address families, the veth is deleted on a thread of its own during the teardown.
        ValueTask ipamDel = HasIpam(request) ? CniIpam.DelAsync(request, cancellationToken) : default;
        HashSet<AddressFamily>? resultFamilies = request.PrevResult is { IPs.Count: > 0 } previous
            ? new HashSet<AddressFamily>(previous.IPs.Select(ip => ip.Address.Address.AddressFamily))
            : null;
        IReadOnlyList<CniIPNet> removed = [];
        BackgroundDeletion? deletion = null;
        try
        {
            try
            {
                if (config.IPMasq && resultFamilies is not null)
                {
                    deletion = BackgroundDeletion.Start(request.NetNs, request.IfName);
                }
                else
                {
                    removed = DeletePodInterface(request.NetNs, request.IfName);
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
                if (resultFamilies is not null)
                {
                    families.UnionWith(resultFamilies);
                }
                if (families.Count == 0)
                {
                    families.UnionWith(s_families);
                }
                await TeardownMasqueradeAsync(request, families, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            deletion?.Join();
        }
        deletion?.ThrowIfFailed();
    }

    /// <summary>Deletes the pod's interface (its veth peer goes with it); nothing when the namespace or the interface is gone.</summary>
    private static IReadOnlyList<CniIPNet> DeletePodInterface(string? netNs, string ifName)
    {
        if (PodNamespace.TryOpen(netNs) is not { } podNamespace)
        {
            return [];
        }
        using (podNamespace)
        using (RouteNetlink pod = RouteNetlink.Open(podNamespace))
        {
            return PodInterface.Delete(pod, ifName);
        }
    }

    /// <summary><see cref="DeletePodInterface"/> on a thread of its own; its failure is reported after the join.</summary>
    private sealed class BackgroundDeletion
    {
        private readonly Thread _thread;
        private ExceptionDispatchInfo? _failure;

        private BackgroundDeletion(string? netNs, string ifName)
        {
            _thread = new Thread(() =>
            {
                try
                {
                    DeletePodInterface(netNs, ifName);
                }
#pragma warning disable CA1031 // handed to the plugin's thread, which reports it
                catch (Exception e)
#pragma warning restore CA1031
                {
                    _failure = ExceptionDispatchInfo.Capture(e);
                }
            }, 256 * 1024)
            {
                IsBackground = true,
                Name = "veth deletion",
            };
        }

        public static BackgroundDeletion Start(string? netNs, string ifName)
        {
            var deletion = new BackgroundDeletion(netNs, ifName);
            deletion._thread.Start();
            return deletion;
        }

        public void Join() => _thread.Join();

        public void ThrowIfFailed() => _failure?.Throw();
    }

    public async ValueTask CheckAsync(CniPluginRequest request, CancellationToken cancellationToken)
    {
        BridgeConfig config = Load(request);
        using NetworkNamespace podNamespace = PodNamespace.Open(request.NetNs!);
        if (HasIpam(request))
        {
            await CniIpam.CheckAsync(request, cancellationToken).ConfigureAwait(false);
        }
        CniResult previous = request.PrevResult
            ?? throw new CniException(CniErrorCode.InvalidNetworkConfig, "CHECK needs prevResult: it is missing");
        using var node = new RouteNetlink();
        using RouteNetlink pod = RouteNetlink.Open(podNamespace);

        CniInterface bridgeEntry = previous.Interfaces.FirstOrDefault(i => i.Name == config.BridgeName && string.IsNullOrEmpty(i.Sandbox))
            ?? throw CheckFailed($"prevResult lists no bridge {config.BridgeName}");
        CniInterface containerEntry = previous.Interfaces.FirstOrDefault(i => i.Name == request.IfName && i.Sandbox == request.NetNs)
            ?? throw CheckFailed($"prevResult lists no interface {request.IfName} in sandbox {request.NetNs}");

        if (!node.TryGetLink(config.BridgeName, out LinkInfo? bridge) || bridge is null)
        {
            throw CheckFailed($"bridge {config.BridgeName} not found");
        }
        if (bridge.Kind != "bridge")
        {
            throw CheckFailed($"interface {config.BridgeName} is not a bridge");
        }
        ExpectMac(bridgeEntry, bridge);
        bool promiscuous = (bridge.Flags & InterfaceFlags.Promiscuous) != 0;
        if (promiscuous != config.PromiscMode)
        {
            throw CheckFailed($"bridge {config.BridgeName}: promiscuous mode is {promiscuous}, the config says {config.PromiscMode}");
        }

        if (!pod.TryGetLink(request.IfName, out LinkInfo? container) || container is null)
        {
            throw CheckFailed($"interface {request.IfName} not found in {request.NetNs}");
        }
        if (container.Kind != "veth")
        {
            throw CheckFailed($"interface {request.IfName} is not a veth");
        }
        ExpectMac(containerEntry, container);

        bool hostFound = false;
        foreach (CniInterface entry in previous.Interfaces)
        {
            if (entry == bridgeEntry || entry == containerEntry || !string.IsNullOrEmpty(entry.Sandbox) ||
                !node.TryGetLink(entry.Name, out LinkInfo? host) || host is not { Kind: "veth" })
            {
                continue;
            }
            if (host.Index == container.ParentIndex && host.ParentIndex == container.Index && host.MasterIndex == bridge.Index)
            {
                ExpectMac(entry, host);
                hostFound = true;
                break;
            }
        }
        if (!hostFound)
        {
            throw CheckFailed($"no veth on bridge {config.BridgeName} pairs with {request.IfName}");
        }

        PodInterface.Verify(pod, request.IfName, previous);
        if (config.IPMasq && HasIpam(request))
        {
            await VerifyMasqueradeAsync(request, previous, cancellationToken).ConfigureAwait(false);
        }
    }

    private static BridgeConfig Load(CniPluginRequest request)
    {
        BridgeConfig config = BridgeConfig.Parse(request.StdinData.Span);
        if (config.Vlan is < 0 or > 4094)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, $"invalid VLAN ID {config.Vlan} (must be between 0 and 4094)");
        }
        if (config.HairpinMode && config.PromiscMode)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, "cannot set hairpin mode and promiscuous mode at the same time");
        }
        if (config.Vlan != 0 && (config.IsGateway || config.IsDefaultGateway))
        {
            throw new CniException(CniErrorCode.UnsupportedField, "isGateway together with vlan (a gateway interface per VLAN) is not supported by this bridge plugin");
        }
        if (config.Mtu != 0 && config.Mtu is < 68 or > 65535)
        {
            // Checked before any link is made: the kernel would refuse it halfway (68 is IPv4's minimum, 65535 the
            // largest a bridge or veth takes).
            throw new CniException(CniErrorCode.InvalidNetworkConfig, $"mtu: {config.Mtu} is out of range (68 to 65535, or 0 for the default)");
        }
        return config;
    }

    private static bool HasIpam(CniPluginRequest request) =>
        request.Config.Ipam is { } ipam && CniJsonKeys.GetProperty(ipam, "type") is { } type && !string.IsNullOrEmpty(type.ToString());

    private static PhysicalAddress? ContainerMac(CniPluginRequest request, BridgeConfig config)
    {
        string? text = config.RuntimeMac;
        if (string.IsNullOrEmpty(text))
        {
            text = config.ArgsMac;
        }
        if (string.IsNullOrEmpty(text) && request.Args.TryGetValue("MAC", out string? fromArgs))
        {
            text = fromArgs;
        }
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }
        if (!PhysicalAddress.TryParse(text.Replace(':', '-'), out PhysicalAddress? mac) || mac.GetAddressBytes().Length != 6)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, $"invalid MAC address \"{text}\"");
        }
        return mac;
    }

    /// <summary>
    /// As the reference plugin: every address belongs to the container interface; a missing gateway becomes the
    /// first host of the subnet when the bridge is the gateway; a default route per family is added when asked.
    /// Returns the gateway addresses to put on the bridge.
    /// </summary>
    private static List<CniIPNet> AssignGateways(CniResult result, bool isGateway, bool isDefaultGateway)
    {
        var gateways = new List<CniIPNet>();
        var defaultRouteFamilies = new HashSet<AddressFamily>();
        foreach (CniIPConfig ip in result.IPs)
        {
            AddressFamily family = ip.Address.Address.AddressFamily;
            ip.Interface = ContainerInterfaceIndex;
            if (ip.Gateway is null && isGateway)
            {
                ip.Gateway = BridgeSetup.DefaultGateway(ip.Address);
            }
            if (isDefaultGateway && !defaultRouteFamilies.Contains(family))
            {
                CniIPNet any = family == AddressFamily.InterNetworkV6 ? new CniIPNet(IPAddress.IPv6Any, 0) : new CniIPNet(IPAddress.Any, 0);
                if (!result.Routes.Any(r => r.Gateway is not null && r.Destination == any))
                {
                    result.Routes.Add(new CniRoute { Destination = any, Gateway = ip.Gateway });
                }
                defaultRouteFamilies.Add(family);
            }
            if (isGateway && ip.Gateway is not null)
            {
                gateways.Add(new CniIPNet(ip.Gateway, ip.Address.PrefixLength));
            }
        }
        return gateways;
    }

    private static async ValueTask ApplyMasqueradeAsync(CniPluginRequest request, CniResult result, CancellationToken cancellationToken)
    {
        var backend = new NftablesBackend();
        foreach (AddressFamily family in s_families)
        {
            var transaction = new NetfilterTransaction(family);
            foreach (CniIPConfig ip in result.IPs)
            {
                if (ip.Address.Address.AddressFamily == family)
                {
                    IPMasquerade.AddSetup(transaction, ip.Address.Address, ip.Address.PrefixLength, request.Config.Name!, request.ContainerId);
                }
            }
            await backend.ApplyAsync(transaction, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// GC: the IPAM plugin collects its reservations (in a chain, host-local is reached only through bridge), then
    /// the masquerade setups of containers that are not valid attachments go.
    /// </summary>
    public async ValueTask GCAsync(CniPluginRequest request, CancellationToken cancellationToken)
    {
        if (HasIpam(request))
        {
            await CniIpam.GCAsync(request, cancellationToken).ConfigureAwait(false);
        }
        var backend = new NftablesBackend();
        IEnumerable<string> valid = request.ValidAttachments.Select(a => a.ContainerId);
        foreach (AddressFamily family in s_families)
        {
            NetfilterTableState nat;
            try
            {
                nat = await backend.ReadTableAsync(family, NetfilterTable.Nat, cancellationToken).ConfigureAwait(false);
            }
            catch (NetfilterException) when (family == AddressFamily.InterNetworkV6)
            {
                continue; // no IPv6 nat on this node: nothing of ours there
            }
            var transaction = new NetfilterTransaction(family);
            IPMasquerade.AddGarbageCollection(transaction, nat, request.Config.Name!, valid);
            if (transaction.Count > 0)
            {
                await backend.ApplyAsync(transaction, cancellationToken).ConfigureAwait(false);
            }
        }
        NftablesIPMasquerade.GarbageCollect(request.Config.Name!, request.ValidAttachments.Select(a => (a.ContainerId, a.IfName)));
    }

    private static async ValueTask TeardownMasqueradeAsync(CniPluginRequest request, IEnumerable<AddressFamily> families, CancellationToken cancellationToken)
    {
        var backend = new NftablesBackend();
        foreach (AddressFamily family in families)
        {
            var transaction = IPMasquerade.AddTeardown(new NetfilterTransaction(family), request.Config.Name!, request.ContainerId);
            await backend.ApplyAsync(transaction, cancellationToken).ConfigureAwait(false);
        }
        // The reference's nftables layout too (ipMasqBackend "nftables", plugins ≥ 1.5): a pod set up by either
        // layout — or before a backend switch — is cleaned, as the reference's teardown does.
        NftablesIPMasquerade.Teardown(request.Config.Name!, request.IfName, request.ContainerId);
    }

    /// <summary>
    /// STATUS (the reference only asks IPAM): not ready when the IPAM plugin is not, or when the bridge is absent and
    /// cannot be created — a link of another kind has its name, or the kernel has no bridges.
    /// </summary>
    public async ValueTask StatusAsync(CniPluginRequest request, CancellationToken cancellationToken)
    {
        if (HasIpam(request))
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
        BridgeConfig config = Load(request);
        if (KernelFacilities.ProbeBridge(config.BridgeName) is string problem)
        {
            throw new CniException(CniErrorCode.PluginNotAvailable, "bridge: " + problem);
        }
    }

    private static async ValueTask VerifyMasqueradeAsync(CniPluginRequest request, CniResult previous, CancellationToken cancellationToken)
    {
        var backend = new NftablesBackend();
        string chain = CniNames.ContainerChain(request.Config.Name!, request.ContainerId);
        foreach (IGrouping<AddressFamily, CniIPConfig> group in previous.IPs.GroupBy(ip => ip.Address.Address.AddressFamily))
        {
            NetfilterTableState nat = await backend.ReadTableAsync(group.Key, NetfilterTable.Nat, cancellationToken).ConfigureAwait(false);
            if (nat.FindChain(chain) is not { Rules.Count: > 0 })
            {
                throw CheckFailed($"masquerade chain {chain} is missing or empty");
            }
            NetfilterChainState? postrouting = nat.FindChain("POSTROUTING");
            foreach (CniIPConfig ip in group)
            {
                bool jumps = postrouting is not null && postrouting.Rules.Any(r =>
                    r.Target is JumpTarget j && j.Chain == chain && r.Source is IPNetwork s && s.Contains(ip.Address.Address));
                if (!jumps)
                {
                    throw CheckFailed($"no POSTROUTING rule sends {ip.Address.Address} to {chain}");
                }
            }
        }
    }

    private static async ValueTask<LinkInfo> WaitForwardingAsync(RouteNetlink node, string hostName, CancellationToken cancellationToken)
    {
        LinkInfo host = node.GetLink(hostName);
        foreach (int delay in s_portStateRetriesMs)
        {
            if (delay >= ShortestTimerWaitMs)
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
            else if (delay > 0)
            {
                // The kernel's link watcher usually marks the port up within a millisecond; a short sleep is cheaper
                // than starting the timer machinery for it.
                Thread.Sleep(delay);
            }
            host = node.GetLink(hostName);
            if (host.OperationalState == OperationalState.Up)
            {
                return host;
            }
        }
        throw new CniException(CniErrorCode.IOFailure, $"bridge port {hostName} did not come up (state {host.OperationalState})");
    }

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

    private static void ExpectMac(CniInterface entry, LinkInfo link)
    {
        if (!string.IsNullOrEmpty(entry.Mac) && !string.Equals(entry.Mac, CniInterface.FormatMac(link.MacAddress), StringComparison.OrdinalIgnoreCase))
        {
            throw CheckFailed($"interface {link.Name}: MAC {CniInterface.FormatMac(link.MacAddress)} differs from prevResult's {entry.Mac}");
        }
    }

    private static CniException CheckFailed(string message) => new(PodInterface.CheckFailedCode, message);
}
