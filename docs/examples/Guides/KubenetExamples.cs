using Cni.Net.Kubelet;
using Cni.Net.Spec;

namespace Cni.Net.Examples.Guides;

/// <summary>docs/kubenet.md (what the Kubelet integration tests run against a real node).</summary>
public static class KubenetExamples
{
    public static async Task<(PodNetworkStatus? Ips, NetworkPluginStatus Ready)> ContractAsync(string sandboxId)
    {
        #region contract
        INetworkPlugin plugin = await NetworkPlugins.InitAsync(NetworkPluginOptions.Parse(
            ["--network-plugin=kubenet", "--pod-cidr=10.244.1.0/24", "--cni-bin-dir=/opt/cni/bin,/usr/lib/cni"]));

        var pod = new PodSandbox("default", "web-0", sandboxId, "/run/netns/cni-1234");
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
