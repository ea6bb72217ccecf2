using System.Net.Sockets;
using Cni.Net.Netfilter;
using Cni.Net.Netlink;
using Cni.Net.Conventions;
using Cni.Net.Netfilter.Conntrack;

namespace Cni.Net.Samples.PortMap;

/// <summary>
/// Deletes conntrack entries of UDP flows to mapped host ports after ADD, as the reference plugin does: datagrams
/// that reached a host port before its DNAT rule existed created flows that would keep bypassing it. Done over
/// ctnetlink in-process (no <c>conntrack</c> tool). Like the reference, a failure is logged to stderr and ADD goes on;
/// a kernel without conntrack netlink support has nothing to forget. A plugin process on Linux 6.11 or later leaves the
/// kernel's flush to a detached process (<see cref="ConntrackTable.TryDeleteFlowsDetached"/>): its failure is then
/// not logged.
/// </summary>
internal sealed class ConntrackCleaner
{
    private readonly TextWriter? _log;

    // Console.Error is touched only when there is something to say: setting the console up costs start-up time.
    public ConntrackCleaner(TextWriter? log = null) => _log = log;

    public ValueTask DeleteUdpFlowsAsync(AddressFamily family, IReadOnlyList<HostPortMapping> mappings, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ushort[] ports = mappings.Where(m => m.Protocol == "udp").Select(m => m.HostPort).Distinct().ToArray();
        if (ports.Length == 0)
        {
            return ValueTask.CompletedTask;
        }
        try
        {
            using var table = new ConntrackTable();
            // In a plugin process the kernel's walk of its conntrack hash is left to a detached process, off the answer;
            // the reference flushes after its rules are in as well, so a flow made meanwhile is the same race either way.
            if (!table.TryDeleteFlowsDetached(family, ProtocolType.Udp, ports))
            {
                table.DeleteFlows(family, ProtocolType.Udp, ports);
            }
        }
        catch (NetlinkException e) when (e.ErrnoName is "EPROTONOSUPPORT" or "EINVAL")
        {
            // No nfnetlink (EPROTONOSUPPORT) or no ctnetlink subsystem (EINVAL): no table to clean.
        }
        catch (Exception e) when (e is NetlinkException or NetlinkProtocolException)
        {
            string which = family == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4";
            (_log ?? Console.Error).WriteLine($"portmap: failed to delete stale UDP conntrack entries for {which}: {e.Message}");
        }
        return ValueTask.CompletedTask;
    }
}
