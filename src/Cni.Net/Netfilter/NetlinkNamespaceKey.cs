using Cni.Net.Namespaces;
using Cni.Net.Netlink;

namespace Cni.Net.Netfilter;

/// <summary>The key the socket pools keep a network namespace's sockets under: its nsfs device and inode.</summary>
internal static class NetlinkNamespaceKey
{
    /// <summary>The calling thread's network namespace.</summary>
    /// <exception cref="NetlinkException">The namespace cannot be identified.</exception>
    public static (ulong Device, ulong Inode) Current()
    {
        try
        {
            return NetworkNamespace.IdentifyCurrent();
        }
        catch (IOException e)
        {
            throw new NetlinkException($"identify the network namespace: {e.Message}", e);
        }
    }
}
