using System.Text;
using Cni.Net.TrafficControl;

namespace Cni.Net.Conventions;

/// <summary>The ifb device name the reference bandwidth plugin derives for a container, and the alias ours adds.</summary>
public static class IfbNames
{
    // A value longer than this goes into the alias as a hash, so that the alias always fits the kernel's 255 bytes
    // (IFALIASZ − 1) however long the network name or container id (the spec sets no limit on either).
    private const int MaxAliasValueBytes = 96;

    /// <summary><c>"bwp" + hex(sha512(network + containerId))</c>, cut to 15 characters (IFNAMSIZ − 1).</summary>
    /// <param name="network">The network name.</param>
    /// <param name="containerId">The container id.</param>
    /// <returns>The device name.</returns>
    public static string ForContainer(string network, string containerId) =>
        CniNames.HashName("bwp", 15, network, containerId);

    /// <summary>
    /// The alias that tells an ifb of ours for this network and container from others (the device name is only a
    /// hash): <c>cni-bandwidth name: "&lt;network&gt;" id: "&lt;containerId&gt;"</c>, a value over 96 bytes replaced by
    /// <c>sha512:</c> and 32 hex digits of its hash. At most 255 bytes.
    /// </summary>
    /// <param name="network">The network name.</param>
    /// <param name="containerId">The container id.</param>
    /// <returns>The alias.</returns>
    public static string Alias(string network, string containerId)
    {
        ArgumentNullException.ThrowIfNull(containerId);
        return AliasPrefix(network) + Bounded(containerId) + "\"";
    }

    /// <summary>What every <see cref="Alias"/> of <paramref name="network"/> starts with (GC finds the network's ifbs by it).</summary>
    /// <param name="network">The network name.</param>
    /// <returns>The prefix.</returns>
    public static string AliasPrefix(string network)
    {
        ArgumentNullException.ThrowIfNull(network);
        return "cni-bandwidth name: \"" + Bounded(network) + "\" id: \"";
    }

    private static string Bounded(string value) =>
        Encoding.UTF8.GetByteCount(value) <= MaxAliasValueBytes
            ? value
            : "sha512:" + Convert.ToHexStringLower(Interop.Sha512.HashData(Encoding.UTF8.GetBytes(value)))[..32];
}
