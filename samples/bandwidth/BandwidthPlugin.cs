using System.Net.NetworkInformation;
using Cni.Net.Conventions;
using Cni.Net.Conventions.Links;
using Cni.Net.Namespaces;
using Cni.Net.Netlink;
using Cni.Net.Netlink.Route;
using Cni.Net.Plugins;
using Cni.Net.Spec;
using Cni.Net.TrafficControl;

namespace Cni.Net.Samples.Bandwidth;

/// <summary>
/// bandwidth as an <see cref="ICniPlugin"/>: finds the host veth of the pod and applies the library's
/// <see cref="BandwidthShaping"/> layout (tbf at the veth's root; ingress qdisc + one u32/mirred redirect to an ifb
/// named as the reference names it + tbf at the ifb's root). All over rtnetlink, no tc process.
/// </summary>
internal sealed class BandwidthPlugin() : CniPlugin<BandwidthNetConf>(BandwidthNetConf.ReadCniConfig)
{
    private const string ChainedOnly = "bandwidth must be called as a chained plugin (prevResult is missing)";
    protected override ValueTask<CniResult> AddAsync(CniPluginRequest<BandwidthNetConf> request, CancellationToken cancellationToken)
    {
        CniResult prev = request.PrevResult ?? throw new CniException(CniErrorCode.InvalidNetworkConfig, ChainedOnly);
        BandwidthLimits limits = BandwidthLimits.Read(request, PschedClock.Current);
        if (limits.IsEmpty)
        {
            return ValueTask.FromResult(prev);
        }
        CniResult result = prev.Clone();
        Netlinked(() =>
        {
            using var links = new RouteNetlink();
            using var tc = new TcNetlink(links.Socket);
            LinkInfo host = FindHost(prev, request, links);
            if (limits.Ingress is not null)
            {
                BandwidthShaping.SetIngressLimit(tc, host.Index, limits.IngressRate, limits.IngressBurst);
            }
            if (limits.Egress is not null)
            {
                string ifbName = IfbNames.ForContainer(request.Config.Name ?? string.Empty, request.ContainerId);
                // A new ifb comes back in the kernel's answer; only one left by an earlier ADD is read by name.
                bool created = links.TryAddLink(new IfbLink(ifbName) { Mtu = host.Mtu, Up = true }, out LinkInfo? made);
                LinkInfo ifb = made ?? links.GetLink(ifbName);
                try
                {
                    if (created)
                    {
                        // The alias lets GC tell our ifbs of this network from other networks' (the name is only a hash).
                        links.SetLinkAlias(ifb.Index, IfbNames.Alias(request.Config.Name ?? string.Empty, request.ContainerId));
                    }
                    if (!ifb.IsUp)
                    {
                        links.SetLinkUp(ifb.Index);
                    }
                    BandwidthShaping.SetEgressLimit(tc, host.Index, ifb.Index, limits.EgressRate, limits.EgressBurst);
                }
                catch when (created)
                {
                    // A failed ADD leaves nothing of its own behind (the runtime's DEL may never come).
                    links.TryDeleteLink(ifb.Index);
                    throw;
                }
                result.Interfaces.Add(new CniInterface { Name = ifbName, Mac = CniInterface.FormatMac(ifb.MacAddress) });
            }
        });
        return ValueTask.FromResult(result);
    }

    protected override ValueTask DelAsync(CniPluginRequest<BandwidthNetConf> request, CancellationToken cancellationToken)
    {
        // Only the ifb is ours alone; the qdiscs on the host veth go with the veth, which the interface plugin deletes.
        string ifbName = IfbNames.ForContainer(request.Config.Name ?? string.Empty, request.ContainerId);
        Netlinked(() =>
        {
            using var links = new RouteNetlink();
            _ = links.TryDeleteLinkDeferringTeardown(ifbName);
        });
        return ValueTask.CompletedTask;
    }

    protected override ValueTask CheckAsync(CniPluginRequest<BandwidthNetConf> request, CancellationToken cancellationToken)
    {
        CniResult prev = request.PrevResult ?? throw new CniException(CniErrorCode.InvalidNetworkConfig, ChainedOnly);
        BandwidthLimits limits = BandwidthLimits.Read(request, PschedClock.Current);
        if (limits.IsEmpty)
        {
            return ValueTask.CompletedTask;
        }
        Netlinked(() =>
        {
            using var links = new RouteNetlink();
            using var tc = new TcNetlink(links.Socket);
            LinkInfo host = FindHost(prev, request, links);
            if (limits.Ingress is TbfParameters ingress)
            {
                RequireTbf(tc, host, ingress, "ingress");
            }
            if (limits.Egress is TbfParameters egress)
            {
                string ifbName = IfbNames.ForContainer(request.Config.Name ?? string.Empty, request.ContainerId);
                if (!links.TryGetLink(ifbName, out LinkInfo? ifb) || ifb is null)
                {
                    throw CheckFailed($"the ifb device {ifbName} is missing");
                }
                RequireTbf(tc, ifb, egress, "egress");
                bool redirected = tc.ListFilters(host.Index, TcHandle.IngressQdisc)
                    .Any(f => f.Kind == "u32" && f.Mirred is { Kind: MirredKind.EgressRedirect } m && m.TargetIfIndex == ifb.Index);
                if (!redirected)
                {
                    throw CheckFailed($"no ingress filter of {host.Name} redirects to {ifbName}");
                }
            }
        });
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// STATUS (the reference has none): ready only when the kernel can build the shaping layout — tbf, the ingress
    /// qdisc with a u32/mirred redirect, and ifb devices — tried for real in a scratch namespace.
    /// </summary>
    protected override ValueTask StatusAsync(CniPluginRequest<BandwidthNetConf> request, CancellationToken cancellationToken)
    {
        if (KernelFacilities.ProbeTrafficShaping() is string problem)
        {
            throw new CniException(CniErrorCode.PluginNotAvailable, "bandwidth: " + problem);
        }
        return ValueTask.CompletedTask;
    }

    protected override ValueTask GCAsync(CniPluginRequest<BandwidthNetConf> request, CancellationToken cancellationToken)
    {
        string network = request.Config.Name ?? string.Empty;
        var valid = new HashSet<string>(request.ValidAttachments.Select(a => IfbNames.Alias(network, a.ContainerId)), StringComparer.Ordinal);
        string ours = IfbNames.AliasPrefix(network);
        Netlinked(() =>
        {
            using var links = new RouteNetlink();
            foreach (LinkInfo link in links.ListLinks())
            {
                if (link.Kind == "ifb" && link.Alias is { } alias && alias.StartsWith(ours, StringComparison.Ordinal) && !valid.Contains(alias))
                {
                    links.TryDeleteLink(link.Index);
                }
            }
        });
        return ValueTask.CompletedTask;
    }

    private static void RequireTbf(TcNetlink tc, LinkInfo link, TbfParameters expected, string direction)
    {
        TcQdiscInfo? root = tc.ListQdiscs(link.Index).Find(q => q.Parent == TcHandle.Root);
        if (root is not { Kind: "tbf", Tbf: TbfParameters actual })
        {
            throw CheckFailed($"{link.Name} has no tbf at its root for {direction} shaping");
        }
        if (actual.RateBytesPerSecond != expected.RateBytesPerSecond || actual.LimitBytes != expected.LimitBytes)
        {
            throw CheckFailed($"the {direction} tbf of {link.Name} has rate {actual.RateBytesPerSecond} B/s, limit {actual.LimitBytes} B; " +
                $"expected {expected.RateBytesPerSecond} B/s, {expected.LimitBytes} B");
        }
    }

    /// <summary>The node end of the pod's veth; the library's reasons for not finding it say it was bandwidth looking.</summary>
    private static LinkInfo FindHost(CniResult prev, CniPluginRequest request, RouteNetlink links)
    {
        try
        {
            return PodInterface.FindHostPeer(prev, request.IfName, request.NetNs, links);
        }
        catch (CniException e)
        {
            throw new CniException(e.Code, "bandwidth: " + e.Message, e.Details, e);
        }
    }

    private static void Netlinked(Action action)
    {
        try
        {
            action();
        }
        catch (NetlinkException e)
        {
            throw new CniException(CniErrorCode.IOFailure, $"bandwidth: {e.Message}", null, e);
        }
    }

    private static CniException CheckFailed(string message) =>
        new(CniErrorCode.InvalidNetworkConfig, "bandwidth check: " + message);

}
