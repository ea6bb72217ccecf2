using System.Runtime.ExceptionServices;
using Cni.Net.Netfilter;
using Cni.Net.Netlink;
using Cni.Net.Netlink.Interop;
using Cni.Net.Netlink.Route;
using Cni.Net.TrafficControl;

namespace Cni.Net.Conventions;

/// <summary>
/// Whether the kernel offers what a plugin's ADD will need, asked by doing it: STATUS that tells the truth. Module
/// lists cannot answer (facilities are often built in, and <c>/lib/modules</c> may be absent), so each probe sets up
/// the plugin's real layout — in a scratch network namespace that disappears with the probe, never on the node.
/// Every probe returns <see langword="null"/> when the facility works, else why not (the kernel's own words).
/// Probes need the privileges the plugin's ADD needs (CAP_NET_ADMIN, CAP_SYS_ADMIN for the namespace).
/// </summary>
public static class KernelFacilities
{
    private const string ProbeLink = "cniprobe0";

    /// <summary>
    /// nf_tables answers on NETLINK_NETFILTER in the calling thread's namespace (a read of the ruleset generation;
    /// the kernel loads the module on demand, as for any writer).
    /// </summary>
    public static string? ProbeNfTables()
    {
        try
        {
            using var socket = new NetlinkSocket(NetlinkProtocol.Netfilter);
            _ = NftTableSnapshot.ReadGeneration(socket);
            return null;
        }
        catch (NetlinkException e)
        {
            return $"nf_tables is not available: {e.Message}";
        }
    }

    /// <summary>
    /// bandwidth's layout works: a tbf at a link's root, an ingress qdisc with a u32 match-all filter whose mirred
    /// action redirects to an ifb device, and a tbf at the ifb's root (<see cref="BandwidthShaping"/>).
    /// </summary>
    public static string? ProbeTrafficShaping() => InScratchNamespace(() =>
    {
        using var links = new RouteNetlink();
        using var tc = new TcNetlink(links.Socket);
        int lo = links.GetLink("lo").Index;
        if (Step("tbf qdisc", () => BandwidthShaping.SetIngressLimit(tc, lo, 1_000_000, 100_000)) is string tbf)
        {
            return tbf;
        }
        if (Step("ifb device", () => links.TryAddLink(new IfbLink(ProbeLink) { Up = true })) is string ifb)
        {
            return ifb;
        }
        int ifbIndex = links.GetLink(ProbeLink).Index;
        return Step("ingress qdisc with a u32/mirred redirect", () => BandwidthShaping.SetEgressLimit(tc, lo, ifbIndex, 1_000_000, 100_000));
    });

    /// <summary>Linux bridges can be created (what bridge's ADD does when its bridge is absent).</summary>
    public static string? ProbeBridge() => InScratchNamespace(() =>
    {
        using var links = new RouteNetlink();
        return Step("bridge device", () => links.TryAddLink(new BridgeLink(ProbeLink)));
    });

    /// <summary>
    /// Whether bridge's ADD can have its bridge <paramref name="name"/> in the calling thread's namespace: it exists as
    /// a bridge, or it is absent and bridges can be created. A link of another kind holding the name is not ready.
    /// </summary>
    public static string? ProbeBridge(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        using (var links = new RouteNetlink())
        {
            if (links.TryGetLink(name, out LinkInfo? link) && link is not null)
            {
                return link.Kind == "bridge"
                    ? null
                    : $"the bridge {name} cannot be created: a link of kind '{link.Kind ?? "unknown"}' has that name";
            }
        }
        return ProbeBridge() is string problem ? $"the bridge {name} is absent and cannot be created: {problem}" : null;
    }

    private static string? Step(string what, Action action)
    {
        try
        {
            action();
            return null;
        }
        catch (NetlinkException e)
        {
            return $"the kernel cannot create a {what}: {e.Message}";
        }
    }

    /// <summary>
    /// Runs <paramref name="probe"/> on a new thread that first moves into a namespace of its own; the namespace dies
    /// with the thread and the sockets the probe closed, taking whatever the probe created with it.
    /// </summary>
    private static string? InScratchNamespace(Func<string?> probe)
    {
        string? answer = null;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                if (NetlinkInterop.unshare(NetlinkInterop.CLONE_NEWNET) != 0)
                {
                    answer = $"cannot create a scratch network namespace to probe the kernel: {Errno.Name(System.Runtime.InteropServices.Marshal.GetLastPInvokeError())}";
                    return;
                }
                answer = probe();
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
        })
        {
            IsBackground = true,
            Name = "cni-kernel-probe",
        };
        thread.Start();
        thread.Join();
        failure?.Throw();
        return answer;
    }
}
