using System.Net;
using System.Net.Sockets;
using Cni.Net.Execution;
using Cni.Net.Namespaces;
using Cni.Net.Netlink;
using Cni.Net.Netlink.Route;
using Cni.Net.Spec;

namespace Cni.Net.Kubelet;

/// <summary>A pod's addresses: from the cached CNI result, else from the interface in its network namespace.</summary>
internal static class PodAddresses
{
    /// <summary>The addresses of the pod's cached <c>eth0</c> result: of <paramref name="networkName"/>, or of any network
    /// but <paramref name="loopbackName"/> (the kubelet's cni runs its loopback with CNI_IFNAME eth0 too).</summary>
    public static PodNetworkStatus? FromCache(CniChainExecutor executor, string? networkName, PodSandbox pod, string? loopbackName = null)
    {
        foreach (CniCachedAttachment entry in executor.GetCachedAttachments(pod.SandboxId))
        {
            if (entry.IfName != PodRuntimeRequest.PodInterface || entry.ResultJson is null || entry.NetworkName == loopbackName
                || (networkName is not null && entry.NetworkName != networkName))
            {
                continue;
            }
            try
            {
                CniResult result = CniResult.Parse(Utf8(entry.ResultJson), CniVersion.V1_0_0);
                var ips = new List<IPAddress>();
                foreach (CniIPConfig ip in result.IPs)
                {
                    ips.Add(ip.Address.Address);
                }
                if (ips.Count > 0)
                {
                    return new PodNetworkStatus(Ordered(ips));
                }
            }
            catch (CniException)
            {
                // An unreadable cache entry: the namespace is the other source of truth.
            }
        }
        return null;
    }

    public static PodNetworkStatus? FromNetNs(PodSandbox pod)
    {
        if (string.IsNullOrEmpty(pod.NetNsPath) || !File.Exists(pod.NetNsPath))
        {
            return null;
        }
        try
        {
            using NetworkNamespace ns = NetworkNamespace.Open(pod.NetNsPath);
            using RouteNetlink rtnl = RouteNetlink.Open(ns);
            if (!rtnl.TryGetLinkIndex(PodRuntimeRequest.PodInterface, out int index))
            {
                return null;
            }
            var ips = new List<IPAddress>();
            foreach (InterfaceAddress address in rtnl.ListAddresses(AddressFamily.Unspecified, index))
            {
                if (address.Scope == RouteScope.Universe)
                {
                    ips.Add(address.Address);
                }
            }
            return ips.Count > 0 ? new PodNetworkStatus(Ordered(ips)) : null;
        }
        catch (Exception e) when (e is IOException or NetlinkException)
        {
            return null;
        }
    }

    private static byte[] Utf8(System.Text.Json.Nodes.JsonNode node)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        using (var writer = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            node.WriteTo(writer);
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>IPv4 first, as the kubelet reports a dual-stack pod's primary address.</summary>
    private static List<IPAddress> Ordered(List<IPAddress> ips) =>
        [.. ips.Where(a => a.AddressFamily == AddressFamily.InterNetwork), .. ips.Where(a => a.AddressFamily != AddressFamily.InterNetwork)];
}
