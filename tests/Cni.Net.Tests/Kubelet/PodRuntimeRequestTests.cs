using Cni.Net.Execution;
using Cni.Net.Kubelet;
using Cni.Net.Spec;

namespace Cni.Net.Tests.Kubelet;

public class PodRuntimeRequestTests
{
    private static PodSandbox Pod() => new("default", "web-0", "sandbox-1", "/run/netns/x");

    [Fact]
    public void Create_KubeletCniArgs_InKubeletOrder()
    {
        CniRuntimeRequest r = PodRuntimeRequest.Create(Pod(), "eth0", withCapabilities: false);
        Assert.Equal("sandbox-1", r.ContainerId);
        Assert.Equal("/run/netns/x", r.NetNs);
        Assert.Equal("eth0", r.IfName);
        Assert.Equal(["IgnoreUnknown=1", "K8S_POD_NAMESPACE=default", "K8S_POD_NAME=web-0", "K8S_POD_INFRA_CONTAINER_ID=sandbox-1"],
            r.Args.Select(a => $"{a.Key}={a.Value}"));
        Assert.Null(r.CapabilityArgs);
    }

    [Fact]
    public void CapabilityArgs_HostPortsAndBandwidth_KubeletShape()
    {
        PodSandbox pod = Pod();
        pod.PortMappings.Add(new PortMapping { HostPort = 8080, ContainerPort = 80, Protocol = "TCP" });
        pod.PortMappings.Add(new PortMapping { HostPort = 0, ContainerPort = 9090, Protocol = "TCP" });
        pod.PortMappings.Add(new PortMapping { HostPort = 5353, ContainerPort = 53, Protocol = "UDP", HostIP = "192.0.2.1" });
        pod.Annotations["kubernetes.io/ingress-bandwidth"] = "1M";
        pod.Annotations["kubernetes.io/egress-bandwidth"] = "10Mi";
        Assert.Equal(
            """{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"},{"hostPort":5353,"containerPort":53,"protocol":"udp","hostIP":"192.0.2.1"}]""" +
            ""","bandwidth":{"ingressRate":1000000,"ingressBurst":2147483647,"egressRate":10485760,"egressBurst":2147483647}}""",
            PodRuntimeRequest.CapabilityArgs(pod).ToJsonString());
    }

    [Fact]
    public void CapabilityArgs_OnlyEgress_NoIngressKeys()
    {
        PodSandbox pod = Pod();
        pod.Annotations["kubernetes.io/egress-bandwidth"] = "500k";
        Assert.Equal("""{"bandwidth":{"egressRate":500000,"egressBurst":2147483647}}""", PodRuntimeRequest.CapabilityArgs(pod).ToJsonString());
    }

    [Fact]
    public void CapabilityArgs_NothingToMap_Empty() => Assert.Equal("{}", PodRuntimeRequest.CapabilityArgs(Pod()).ToJsonString());

    [Theory]
    [InlineData("fast", "invalid quantity")]
    [InlineData("10", "unreasonably small")]
    [InlineData("2P", "unreasonably large")]
    public void CapabilityArgs_BadAnnotation_ArgumentExceptionNamingPodAndAnnotation(string value, string reason)
    {
        PodSandbox pod = Pod();
        pod.Annotations["kubernetes.io/ingress-bandwidth"] = value;
        ArgumentException e = Assert.Throws<ArgumentException>(() => PodRuntimeRequest.CapabilityArgs(pod));
        Assert.Contains("default/web-0", e.Message, StringComparison.Ordinal);
        Assert.Contains("kubernetes.io/ingress-bandwidth", e.Message, StringComparison.Ordinal);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }
}
