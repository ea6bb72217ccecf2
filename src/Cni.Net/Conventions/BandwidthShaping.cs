using Cni.Net.TrafficControl;

namespace Cni.Net.Conventions;

/// <summary>
/// The bandwidth plugin's tc layout, shared by every plugin that limits a pod: ingress (traffic to the pod) is a tbf
/// at the root of the host-side veth; egress (traffic from the pod) is an ingress qdisc on the host veth whose u32
/// match-all filter redirects everything (one mirred action, not the reference's two) to an ifb, shaped by a tbf at
/// the ifb's root. Setting a limit again replaces it.
/// </summary>
public static class BandwidthShaping
{
    /// <summary>The class id the reference puts on its redirect filter (<c>1:1</c>).</summary>
    private static readonly TcHandle s_redirectClass = TcHandle.Create(1, 1);

    /// <summary>Limits traffic towards the pod: tbf <c>1:</c> at the root of the host veth.</summary>
    /// <param name="tc">A client in the host veth's namespace.</param>
    /// <param name="hostIfIndex">The host-side veth.</param>
    /// <param name="rateBits">Bits per second.</param>
    /// <param name="burstBits">Bits.</param>
    /// <exception cref="Netlink.NetlinkException">The kernel refused it.</exception>
    public static void SetIngressLimit(TcNetlink tc, int hostIfIndex, ulong rateBits, ulong burstBits)
    {
        ArgumentNullException.ThrowIfNull(tc);
        tc.AddQdisc(hostIfIndex, TcHandle.Root, TcHandle.Create(1, 0), new TbfQdisc(TbfParameters.FromBandwidth(rateBits, burstBits)) { ReferenceRateSpec = true }, replace: true);
    }

    /// <summary>Limits traffic from the pod: host veth ingress → mirred redirect → ifb, tbf <c>1:</c> at the ifb's root.</summary>
    /// <param name="tc">A client in the host veth's namespace.</param>
    /// <param name="hostIfIndex">The host-side veth.</param>
    /// <param name="ifbIfIndex">The ifb device (see <see cref="IfbNames.ForContainer"/>), already created and up.</param>
    /// <param name="rateBits">Bits per second.</param>
    /// <param name="burstBits">Bits.</param>
    /// <exception cref="Netlink.NetlinkException">The kernel refused it.</exception>
    public static void SetEgressLimit(TcNetlink tc, int hostIfIndex, int ifbIfIndex, ulong rateBits, ulong burstBits)
    {
        ArgumentNullException.ThrowIfNull(tc);
        TbfParameters tbf = TbfParameters.FromBandwidth(rateBits, burstBits);
        tc.AddQdisc(ifbIfIndex, TcHandle.Root, TcHandle.Create(1, 0), new TbfQdisc(tbf) { ReferenceRateSpec = true }, replace: true);
        // A new ingress qdisc has no filters to clear; one that was there (a repeated ADD) is replaced and emptied.
        if (!tc.TryAddQdisc(hostIfIndex, TcHandle.Ingress, TcHandle.IngressQdisc, new IngressQdisc()))
        {
            tc.AddQdisc(hostIfIndex, TcHandle.Ingress, TcHandle.IngressQdisc, new IngressQdisc(), replace: true);
            tc.TryDeleteFilters(hostIfIndex, TcHandle.IngressQdisc, 1);
        }
        tc.AddFilter(hostIfIndex, TcHandle.IngressQdisc, 1,
            new U32Filter(U32Filter.MatchAll, s_redirectClass, new MirredAction(MirredKind.EgressRedirect, ifbIfIndex)));
    }

    /// <summary>Removes both limits from the host veth (the ifb, a link, is the caller's to delete).</summary>
    /// <param name="tc">A client in the host veth's namespace.</param>
    /// <param name="hostIfIndex">The host-side veth.</param>
    /// <returns>True when something was removed.</returns>
    public static bool Remove(TcNetlink tc, int hostIfIndex)
    {
        ArgumentNullException.ThrowIfNull(tc);
        bool root = tc.TryDeleteQdisc(hostIfIndex, TcHandle.Root);
        bool ingress = tc.TryDeleteQdisc(hostIfIndex, TcHandle.Ingress);
        return root || ingress;
    }
}
