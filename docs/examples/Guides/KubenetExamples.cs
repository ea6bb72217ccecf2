using Cni.Net.Kubelet;
using Cni.Net.Spec;

namespace Cni.Net.Examples.Guides;

/// <summary>docs/kubenet.md (what the Kubelet integration tests run against a real node).</summary>
public static class KubenetExamples
{
    /// <summary>
    /// The contract on the node's own paths (/var/lib/cni, /run/netns/cni-1234): the integration tests run it as
    /// <c>dotnet Guides.dll ContractAsync</c> in a private network and mount namespace (DocExampleKernelTests).
    /// </summary>
    public static async Task<(PodNetworkStatus? Ips, NetworkPluginStatus Ready)> ContractAsync()
    {
        #region contract
        // As root, with the reference plugins in /opt/cni/bin or /usr/lib/cni and the pod's namespace made first
        // (ip netns add cni-1234).
        INetworkPlugin plugin = await NetworkPlugins.InitAsync(NetworkPluginOptions.Parse(
            ["--network-plugin=kubenet", "--pod-cidr=10.244.1.0/24", "--cni-bin-dir=/opt/cni/bin,/usr/lib/cni"]));

        var pod = new PodSandbox("default", "web-0", "sandbox-1234", "/run/netns/cni-1234");   // namespace, name, sandbox id, netns
        pod.PortMappings.Add(new PortMapping { HostPort = 8080, ContainerPort = 80, Protocol = "TCP" });
        pod.Annotations["kubernetes.io/ingress-bandwidth"] = "10M";
        await plugin.SetUpPodAsync(pod);                       // CNI ADD (lo, then eth0)
        PodNetworkStatus? ips = await plugin.GetPodNetworkStatusAsync(pod);
        NetworkPluginStatus ready = await plugin.GetStatusAsync();   // ready, or NotReady with the reason
        plugin.OnPodCidrChanged("10.244.1.0/24");             // the pod-CIDR event
        await plugin.TearDownPodAsync(pod);                    // CNI DEL; fine when already gone
        #endregion
        return (ips, ready);
    }
}
