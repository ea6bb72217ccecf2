using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Cni.Net.Netfilter;

namespace Cni.Net.Samples.PortMap;

/// <summary>
/// Deletes conntrack entries of UDP flows to mapped host ports, as the reference plugin does after ADD, with the
/// <c>conntrack</c> tool when the node has it (a node without it keeps the flows until they time out).
/// </summary>
internal sealed class ConntrackCleaner
{
    private static readonly string[] s_candidates = ["/usr/sbin/conntrack", "/sbin/conntrack", "/usr/bin/conntrack"];

    private readonly string? _tool;

    public ConntrackCleaner(string? toolPath = null)
    {
        _tool = toolPath ?? Array.Find(s_candidates, File.Exists);
    }

    public async ValueTask DeleteUdpFlowsAsync(AddressFamily family, IReadOnlyList<HostPortMapping> mappings, CancellationToken cancellationToken)
    {
        if (_tool is null)
        {
            return;
        }
        foreach (ushort port in mappings.Where(m => m.Protocol == "udp").Select(m => m.HostPort).Distinct())
        {
            var start = new ProcessStartInfo(_tool)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add("-D");
            start.ArgumentList.Add("-f");
            start.ArgumentList.Add(family == AddressFamily.InterNetworkV6 ? "ipv6" : "ipv4");
            start.ArgumentList.Add("-p");
            start.ArgumentList.Add("udp");
            start.ArgumentList.Add("--orig-port-dst");
            start.ArgumentList.Add(port.ToString(CultureInfo.InvariantCulture));
            using Process process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {_tool}");
            Task<string> stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            Task<string> stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            await Task.WhenAll(stdout, stderr).ConfigureAwait(false);
            // conntrack exits 1 when no flow matched ("0 flow entries have been deleted"): nothing to forget is fine.
        }
    }
}
