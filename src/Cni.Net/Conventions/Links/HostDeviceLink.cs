using Cni.Net.Namespaces;
using Cni.Net.Netlink;
using Cni.Net.Netlink.Route;
using Cni.Net.Spec;

namespace Cni.Net.Conventions.Links;

/// <summary>
/// Hands a node link to a pod and back as the reference host-device plugin does: in the pod it carries CNI_IFNAME
/// and keeps its node name in its alias (IFLA_IFALIAS), which is how DEL — ours or the reference's — knows what to
/// call it again on the node. Moving a link between namespaces takes it down and drops its addresses; its MTU and
/// MAC stay.
/// </summary>
public static class HostDeviceLink
{
    /// <summary>Moves <paramref name="device"/> into the pod as <paramref name="ifName"/> and brings it up; on failure it is put back as it was.</summary>
    /// <param name="node">rtnetlink in the node's namespace.</param>
    /// <param name="nodeNamespace">The node's namespace (where the link goes back on failure).</param>
    /// <param name="device">The node link.</param>
    /// <param name="pod">rtnetlink in the pod's namespace.</param>
    /// <param name="podNamespace">The pod's namespace.</param>
    /// <param name="ifName">CNI_IFNAME.</param>
    /// <returns>The link as the pod sees it.</returns>
    /// <exception cref="CniException">The name is taken in the pod (code 4) or the kernel refused (code 5).</exception>
    public static LinkInfo MoveIn(RouteNetlink node, NetworkNamespace nodeNamespace, LinkInfo device, RouteNetlink pod, NetworkNamespace podNamespace, string ifName)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(nodeNamespace);
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(podNamespace);
        ArgumentException.ThrowIfNullOrEmpty(ifName);
        if (pod.TryGetLink(ifName, out _))
        {
            throw new CniException(CniErrorCode.InvalidEnvironmentVariables,
                $"CNI_IFNAME: an interface named {ifName} already exists in the container", "a second ADD for the same container and ifname needs a DEL first");
        }
        try
        {
            // One request: the kernel moves the link, then renames it and sets the alias in the pod's namespace,
            // so no rename happens where udev or NetworkManager watch.
            node.MoveLink(device.Index, podNamespace, ifName, device.Name);
            LinkInfo moved = pod.GetLink(ifName);
            pod.SetLinkUp(moved.Index);
            return pod.GetLink(moved.Index);
        }
        catch (NetlinkException e)
        {
            PutBack(pod, nodeNamespace, node, device, ifName);
            throw new CniException(CniErrorCode.IOFailure, $"failed to move link \"{device.Name}\" to the container as \"{ifName}\": {e.Message}", null, e);
        }
    }

    /// <summary>
    /// Moves the pod's <paramref name="ifName"/> back to the node under the name its alias keeps, with the alias
    /// cleared; the link stays down there (its earlier state is unknown, as in the reference).
    /// </summary>
    /// <param name="pod">rtnetlink in the pod's namespace.</param>
    /// <param name="node">rtnetlink in the node's namespace.</param>
    /// <param name="nodeNamespace">The node's namespace.</param>
    /// <param name="ifName">CNI_IFNAME.</param>
    /// <returns>The node name it got back, or null when the pod has no such link (already moved out).</returns>
    /// <exception cref="CniException">The link has no alias, its node name is taken (code 5) or the kernel refused (code 5).</exception>
    public static string? MoveOut(RouteNetlink pod, RouteNetlink node, NetworkNamespace nodeNamespace, string ifName)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(nodeNamespace);
        ArgumentException.ThrowIfNullOrEmpty(ifName);
        if (!pod.TryGetLink(ifName, out LinkInfo? link))
        {
            return null;
        }
        string nodeName = link.Alias is { Length: > 0 and <= 15 } alias
            ? alias
            : throw new CniException(CniErrorCode.IOFailure, $"failed to find original ifname for \"{ifName}\" (alias is not set)");
        if (node.TryGetLink(nodeName, out _))
        {
            throw new CniException(CniErrorCode.IOFailure, $"failed to move \"{ifName}\" to the node as \"{nodeName}\": a link of that name exists there");
        }
        try
        {
            pod.MoveLink(link.Index, nodeNamespace, nodeName, "");
        }
        catch (NetlinkException e)
        {
            throw new CniException(CniErrorCode.IOFailure, $"failed to move \"{ifName}\" to the node as \"{nodeName}\": {e.Message}", null, e);
        }
        return nodeName;
    }

    /// <summary>Undoes a partial <see cref="MoveIn"/>: finds the link in the pod by either name and its MAC, moves it home under its own name.</summary>
    private static void PutBack(RouteNetlink pod, NetworkNamespace nodeNamespace, RouteNetlink node, LinkInfo device, string ifName)
    {
        foreach (string name in (string[])[ifName, device.Name])
        {
            if (pod.TryGetLink(name, out LinkInfo? link) &&
                (link.Alias == device.Name || (link.Name == device.Name && Equals(link.MacAddress, device.MacAddress))))
            {
                try
                {
                    pod.MoveLink(link.Index, nodeNamespace, device.Name, "");
                    if (device.IsUp && node.TryGetLinkIndex(device.Name, out int index))
                    {
                        node.SetLinkUp(index);
                    }
                }
                catch (NetlinkException)
                {
                    // Best effort: the error that made us put it back is the one to report.
                }
                return;
            }
        }
    }
}
