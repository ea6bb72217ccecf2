using System.Net;

namespace Cni.Net.IntegrationTests.Runtimes.Podman;

/// <summary>
/// A running container as <c>podman inspect</c> reports it, plus the node end of its veth (found from the kernel,
/// not from podman): what a test needs to reach it and to check that <c>podman rm</c> left nothing of it.
/// </summary>
/// <param name="Name">The container name.</param>
/// <param name="Id">The full container id: CNI_CONTAINERID, so the key of the IPAM files, the cache and the chains.</param>
/// <param name="Network">The network it is attached to.</param>
/// <param name="Address">Its address on that network.</param>
/// <param name="Pid">The container's init process.</param>
/// <param name="ConmonPid">Its conmon.</param>
/// <param name="SandboxKey">The netns bind mount podman made (CNI_NETNS), a path in podman's mount namespace.</param>
/// <param name="HostVeth">The node end of the container's eth0.</param>
internal sealed record PodmanContainer(string Name, string Id, string Network, IPAddress Address, int Pid, int ConmonPid,
    string SandboxKey, string HostVeth)
{
    /// <summary>The container's network namespace as seen by this process (through its init process).</summary>
    public string NetnsPath => $"/proc/{Pid}/ns/net";
}
