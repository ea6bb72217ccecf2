using System.Net;

namespace Cni.Net.Kubelet;

/// <summary>A pod's network as the kubelet reports it.</summary>
public sealed class PodNetworkStatus
{
    /// <summary>Creates a status.</summary>
    /// <param name="ips">The pod's addresses, the primary one first.</param>
    public PodNetworkStatus(IReadOnlyList<IPAddress> ips)
    {
        ArgumentNullException.ThrowIfNull(ips);
        IPs = ips;
    }

    /// <summary>The pod's addresses (primary first).</summary>
    public IReadOnlyList<IPAddress> IPs { get; }

    /// <summary>The primary address, or null when there is none.</summary>
    public IPAddress? IP => IPs.Count > 0 ? IPs[0] : null;

    /// <inheritdoc/>
    public override string ToString() => string.Join(",", IPs);
}
