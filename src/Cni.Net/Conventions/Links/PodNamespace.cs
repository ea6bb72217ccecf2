using Cni.Net.Namespaces;
using Cni.Net.Netlink;
using Cni.Net.Netlink.Route;
using Cni.Net.Spec;

namespace Cni.Net.Conventions.Links;

/// <summary>Opens CNI_NETNS with the answers a runtime expects: a missing namespace is a CNI error on ADD/CHECK, and nothing to do on DEL.</summary>
public static class PodNamespace
{
    /// <summary>Opens the pod's namespace for ADD or CHECK.</summary>
    /// <param name="path">CNI_NETNS.</param>
    /// <returns>The open namespace.</returns>
    /// <exception cref="CniException">It does not exist (code 3, unknown container) or cannot be opened (code 5).</exception>
    public static NetworkNamespace Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        try
        {
            return NetworkNamespace.Open(path);
        }
        catch (FileNotFoundException e)
        {
            throw new CniException(CniErrorCode.UnknownContainer, $"failed to open netns \"{path}\": it does not exist", null, e);
        }
        catch (IOException e)
        {
            throw new CniException(CniErrorCode.IOFailure, $"failed to open netns \"{path}\": {e.Message}", null, e);
        }
    }

    /// <summary>
    /// Whether no interface named <paramref name="ifName"/> exists in the pod's namespace — false also when the
    /// namespace cannot be opened or read, which the plugin's ADD then meets and reports itself. What a plugin asks
    /// before it has IPAM started early (<see cref="Plugins.CniPlugin{TConfig}.StartsIpamBeforeRead"/>): an allocation
    /// made for a taken name could only be released by container id and name, releasing the owner's address.
    /// </summary>
    /// <param name="path">CNI_NETNS.</param>
    /// <param name="ifName">CNI_IFNAME.</param>
    public static bool IsInterfaceFree(string? path, string ifName)
    {
        if (string.IsNullOrEmpty(path))
        {
            return false;
        }
        try
        {
            using NetworkNamespace podNamespace = Open(path);
            using RouteNetlink pod = RouteNetlink.Open(podNamespace);
            return !pod.TryGetLink(ifName, out _);
        }
        catch (Exception e) when (e is CniException or NetlinkException or IOException)
        {
            return false;
        }
    }

    /// <summary>Opens the pod's namespace for DEL: null when the path is empty or the namespace is gone.</summary>
    /// <param name="path">CNI_NETNS (may be empty on DEL).</param>
    /// <returns>The open namespace, or null.</returns>
    /// <exception cref="CniException">It exists but cannot be opened (code 5).</exception>
    public static NetworkNamespace? TryOpen(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }
        try
        {
            return NetworkNamespace.Open(path);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (IOException e)
        {
            throw new CniException(CniErrorCode.IOFailure, $"failed to open netns \"{path}\": {e.Message}", null, e);
        }
    }
}
