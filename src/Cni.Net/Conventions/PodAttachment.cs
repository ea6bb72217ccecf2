namespace Cni.Net.Conventions;

/// <summary>
/// What names one attachment's node-side state (rules, chains, comments): the network, the container id and the
/// interface inside the container.
/// </summary>
/// <param name="Network">The network name (the config's <c>name</c>).</param>
/// <param name="ContainerId">CNI_CONTAINERID.</param>
/// <param name="IfName">CNI_IFNAME.</param>
public readonly record struct PodAttachment(string Network, string ContainerId, string IfName);
