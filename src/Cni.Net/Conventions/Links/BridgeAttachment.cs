using System.Net;
using System.Net.Sockets;
using Cni.Net.Netlink;
using Cni.Net.Netlink.Route;
using Cni.Net.Spec;

namespace Cni.Net.Conventions.Links;

/// <summary>
/// One pod's place on a bridge, as the reference <c>bridge</c> plugin shapes it: the gateways its result gets, the wait
/// for its port to forward, and CHECK's comparison of bridge, veth pair and result.
/// </summary>
public static class BridgeAttachment
{
    // The port's operational state follows its carrier through the kernel's link watcher, asynchronously: poll
    // often at first, then back off (about 2.5 s in all).
    private static readonly int[] s_portStateRetriesMs = [0, 1, 1, 2, 4, 8, 16, 32, 64, 128, 256, 500, 500, 1000];
    private const int ShortestTimerWaitMs = 16;

    /// <summary>
    /// As the reference plugin: every address belongs to the pod's interface; a missing gateway becomes the first host
    /// of the subnet when the bridge is the gateway; a default route per family is added when asked (unless the result
    /// has one).
    /// </summary>
    /// <param name="result">The result being built (its IPs and routes are updated).</param>
    /// <param name="containerInterfaceIndex">The pod interface's index in <c>result.Interfaces</c>.</param>
    /// <param name="isGateway">The bridge is the gateway (<c>isGateway</c> or <c>isDefaultGateway</c>).</param>
    /// <param name="isDefaultGateway">Add default routes through the gateway.</param>
    /// <returns>The gateway addresses to put on the bridge (with the pods' prefix lengths).</returns>
    public static IReadOnlyList<CniIPNet> AssignGateways(CniResult result, int containerInterfaceIndex, bool isGateway, bool isDefaultGateway)
    {
        ArgumentNullException.ThrowIfNull(result);
        var gateways = new List<CniIPNet>();
        var defaultRouteFamilies = new HashSet<AddressFamily>();
        foreach (CniIPConfig ip in result.IPs)
        {
            AddressFamily family = ip.Address.Address.AddressFamily;
            ip.Interface = containerInterfaceIndex;
            if (ip.Gateway is null && isGateway)
            {
                ip.Gateway = BridgeSetup.DefaultGateway(ip.Address);
            }
            if (isDefaultGateway && defaultRouteFamilies.Add(family))
            {
                CniIPNet any = family == AddressFamily.InterNetworkV6 ? new CniIPNet(IPAddress.IPv6Any, 0) : new CniIPNet(IPAddress.Any, 0);
                if (!result.Routes.Any(r => r.Gateway is not null && r.Destination == any))
                {
                    result.Routes.Add(new CniRoute { Destination = any, Gateway = ip.Gateway });
                }
            }
            if (isGateway && ip.Gateway is not null)
            {
                gateways.Add(new CniIPNet(ip.Gateway, ip.Address.PrefixLength));
            }
        }
        return gateways;
    }

    /// <summary>Waits (about 2.5 s at most) until the pod's bridge port is operationally up, so that its first packets pass.</summary>
    /// <param name="node">rtnetlink of the node namespace.</param>
    /// <param name="hostVethName">The port (the node end of the pod's veth).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The port as the kernel reports it once up (its MAC may have changed since it joined the bridge).</returns>
    /// <exception cref="CniException">The port did not come up (code 11, try again later).</exception>
    /// <exception cref="NetlinkException">The port is gone.</exception>
    public static async ValueTask<LinkInfo> WaitForwardingAsync(RouteNetlink node, string hostVethName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(node);
        LinkInfo host = node.GetLink(hostVethName);
        foreach (int delay in s_portStateRetriesMs)
        {
            if (delay >= ShortestTimerWaitMs)
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
            else if (delay > 0)
            {
                // The link watcher usually marks the port up within a millisecond; a short sleep is cheaper than
                // starting the timer machinery for it.
                Thread.Sleep(delay);
            }
            host = node.GetLink(hostVethName);
            if (host.OperationalState == OperationalState.Up)
            {
                return host;
            }
        }
        throw new CniException(CniErrorCode.TryAgainLater, $"bridge port {hostVethName} did not come up (state {host.OperationalState})");
    }

    /// <summary>
    /// CHECK of the links: the result lists the bridge and the pod's interface; the bridge exists, is a bridge with the
    /// listed MAC and the configured promiscuous mode; the pod's interface is a veth with the listed MAC whose peer is
    /// a port of that bridge listed in the result. Addresses and routes are <see cref="PodInterface.Verify"/>'s.
    /// </summary>
    /// <param name="node">rtnetlink of the node namespace.</param>
    /// <param name="pod">rtnetlink of the pod's namespace.</param>
    /// <param name="previous">The result of ADD (prevResult).</param>
    /// <param name="bridgeName">The bridge.</param>
    /// <param name="ifName">CNI_IFNAME.</param>
    /// <param name="sandbox">CNI_NETNS as the result records it.</param>
    /// <param name="promiscuous">The configured <c>promiscMode</c>.</param>
    /// <exception cref="CniException">Something differs (code 100, <see cref="PodInterface.CheckFailedCode"/>).</exception>
    public static void VerifyLinks(RouteNetlink node, RouteNetlink pod, CniResult previous, string bridgeName, string ifName, string? sandbox, bool promiscuous)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(previous);
        CniInterface bridgeEntry = previous.Interfaces.FirstOrDefault(i => i.Name == bridgeName && string.IsNullOrEmpty(i.Sandbox))
            ?? throw Failed($"prevResult lists no bridge {bridgeName}");
        CniInterface containerEntry = previous.Interfaces.FirstOrDefault(i => i.Name == ifName && i.Sandbox == sandbox)
            ?? throw Failed($"prevResult lists no interface {ifName} in sandbox {sandbox}");
        if (!node.TryGetLink(bridgeName, out LinkInfo? bridge) || bridge is null)
        {
            throw Failed($"bridge {bridgeName} not found");
        }
        if (bridge.Kind != "bridge")
        {
            throw Failed($"interface {bridgeName} is not a bridge");
        }
        ExpectMac(bridgeEntry, bridge);
        bool isPromiscuous = (bridge.Flags & InterfaceFlags.Promiscuous) != 0;
        if (isPromiscuous != promiscuous)
        {
            throw Failed($"bridge {bridgeName}: promiscuous mode is {isPromiscuous}, the config says {promiscuous}");
        }
        if (!pod.TryGetLink(ifName, out LinkInfo? container) || container is null)
        {
            throw Failed($"interface {ifName} not found in {sandbox}");
        }
        if (container.Kind != "veth")
        {
            throw Failed($"interface {ifName} is not a veth");
        }
        ExpectMac(containerEntry, container);
        foreach (CniInterface entry in previous.Interfaces)
        {
            if (entry != bridgeEntry && entry != containerEntry && string.IsNullOrEmpty(entry.Sandbox) &&
                node.TryGetLink(entry.Name, out LinkInfo? host) && host is { Kind: "veth" } &&
                host.Index == container.ParentIndex && host.ParentIndex == container.Index && host.MasterIndex == bridge.Index)
            {
                ExpectMac(entry, host);
                return;
            }
        }
        throw Failed($"no veth on bridge {bridgeName} pairs with {ifName}");
    }

    private static void ExpectMac(CniInterface entry, LinkInfo link)
    {
        if (!string.IsNullOrEmpty(entry.Mac) && !string.Equals(entry.Mac, CniInterface.FormatMac(link.MacAddress), StringComparison.OrdinalIgnoreCase))
        {
            throw Failed($"interface {link.Name}: MAC {CniInterface.FormatMac(link.MacAddress)} differs from prevResult's {entry.Mac}");
        }
    }

    private static CniException Failed(string message) => new(PodInterface.CheckFailedCode, message);
}
