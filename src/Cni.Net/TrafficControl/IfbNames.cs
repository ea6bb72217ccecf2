namespace Cni.Net.TrafficControl;

/// <summary>The ifb device name the reference bandwidth plugin derives for a container.</summary>
public static class IfbNames
{
    /// <summary><c>"bwp" + hex(sha512(network + containerId))</c>, cut to 15 characters (IFNAMSIZ − 1).</summary>
    /// <param name="network">The network name.</param>
    /// <param name="containerId">The container id.</param>
    /// <returns>The device name.</returns>
    public static string ForContainer(string network, string containerId) =>
        Netfilter.CniNames.HashName("bwp", 15, network, containerId);
}
