using System.Net;
using System.Text.Json.Nodes;
using Cni.Net.Execution;
using Cni.Net.Kubelet;
using Cni.Net.Spec;

namespace Cni.Net.Tests.Kubelet;

/// <summary>The kubelet's buildCNIRuntimeConf (dockershim cni.go, v1.23): CNI_ARGS and the capability arguments, byte for byte.</summary>
public class PodRuntimeRequestTests
{
    private static PodSandbox Pod() => new("default", "web-0", "sandbox-1", "/run/netns/x");

    private static readonly IPNetwork[] s_podCidr = [IPNetwork.Parse("10.244.1.0/24")];

    [Fact]
    public void Create_KubeletCniArgs_InKubeletOrder()
    {
        CniRuntimeRequest r = PodRuntimeRequest.Create(Pod(), "eth0", null);
        Assert.Equal("sandbox-1", r.ContainerId);
        Assert.Equal("/run/netns/x", r.NetNs);
        Assert.Equal("eth0", r.IfName);
        Assert.Equal(["IgnoreUnknown=1", "K8S_POD_NAMESPACE=default", "K8S_POD_NAME=web-0", "K8S_POD_INFRA_CONTAINER_ID=sandbox-1"],
            r.Args.Select(a => $"{a.Key}={a.Value}"));
        Assert.Null(r.CapabilityArgs);
    }

    [Fact]
    public void AddCapabilityArgs_HostPortsBandwidthPodCidrDns_KubeletShape()
    {
        PodSandbox pod = Pod();
        pod.PortMappings.Add(new PortMapping { HostPort = 8080, ContainerPort = 80, Protocol = "TCP" });
        pod.PortMappings.Add(new PortMapping { HostPort = 0, ContainerPort = 9090, Protocol = "TCP" });
        pod.PortMappings.Add(new PortMapping { HostPort = -1, ContainerPort = 9091, Protocol = "TCP" });
        pod.PortMappings.Add(new PortMapping { HostPort = 5353, ContainerPort = 53, Protocol = "UDP", HostIP = "192.0.2.1" });
        pod.PortMappings.Add(new PortMapping { HostPort = 3868, ContainerPort = 3868, Protocol = "SCTP" });
        pod.Annotations["kubernetes.io/ingress-bandwidth"] = "1M";
        pod.Annotations["kubernetes.io/egress-bandwidth"] = "10Mi";
        pod.DnsConfig = new DnsCapability { Servers = ["10.96.0.10"], Searches = ["default.svc.cluster.local", "svc.cluster.local"], Options = ["ndots:5"] };
        Assert.Equal(
            """{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp","hostIP":""},""" +
            """{"hostPort":5353,"containerPort":53,"protocol":"udp","hostIP":"192.0.2.1"},{"hostPort":3868,"containerPort":3868,"protocol":"sctp","hostIP":""}]""" +
            ""","bandwidth":{"ingressRate":1000000,"ingressBurst":2147483647,"egressRate":10485760,"egressBurst":2147483647}""" +
            ""","ipRanges":[[{"subnet":"10.244.1.0/24"}]]""" +
            ""","dns":{"servers":["10.96.0.10"],"searches":["default.svc.cluster.local","svc.cluster.local"],"options":["ndots:5"]}}""",
            PodRuntimeRequest.AddCapabilityArgs(pod, s_podCidr).ToJsonString());
    }

    [Fact]
    public void AddCapabilityArgs_OnlyEgress_NoIngressKeys()
    {
        PodSandbox pod = Pod();
        pod.Annotations["kubernetes.io/egress-bandwidth"] = "500k";
        Assert.Equal("""{"portMappings":[],"bandwidth":{"egressRate":500000,"egressBurst":2147483647}}""",
            PodRuntimeRequest.AddCapabilityArgs(pod, null).ToJsonString());
    }

    [Fact]
    public void AddCapabilityArgs_NothingToMap_EmptyPortMappingsAsTheKubelet() =>
        Assert.Equal("""{"portMappings":[]}""", PodRuntimeRequest.AddCapabilityArgs(Pod(), null).ToJsonString());

    [Fact]
    public void AddCapabilityArgs_DualStackPodCidr_OneRangeSetPerFamily() =>
        Assert.Equal("""{"portMappings":[],"ipRanges":[[{"subnet":"10.244.1.0/24"}],[{"subnet":"fd00:10:244:1::/64"}]]}""",
            PodRuntimeRequest.AddCapabilityArgs(Pod(), NetworkPluginOptions.ParsePodCidrs("10.244.1.0/24,fd00:10:244:1::/64")).ToJsonString());

    [Fact]
    public void AddCapabilityArgs_EmptyDnsLists_LeftOutAsOmitempty()
    {
        PodSandbox pod = Pod();
        pod.DnsConfig = new DnsCapability { Servers = ["10.96.0.10"], Searches = [] };
        Assert.Equal("""{"portMappings":[],"dns":{"servers":["10.96.0.10"]}}""", PodRuntimeRequest.AddCapabilityArgs(pod, null).ToJsonString());
    }

    [Fact]
    public void DelCapabilityArgs_PortsAndPodCidr_NoBandwidthNoDns()
    {
        PodSandbox pod = Pod();
        pod.PortMappings.Add(new PortMapping { HostPort = 8080, ContainerPort = 80, Protocol = "TCP" });
        pod.Annotations["kubernetes.io/ingress-bandwidth"] = "1M";
        pod.DnsConfig = new DnsCapability { Servers = ["10.96.0.10"] };
        Assert.Equal("""{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp","hostIP":""}],"ipRanges":[[{"subnet":"10.244.1.0/24"}]]}""",
            PodRuntimeRequest.DelCapabilityArgs(pod, s_podCidr, null).ToJsonString());
    }

    [Fact]
    public void DelCapabilityArgs_PodWithoutPorts_TakesThoseOfTheAdd()
    {
        var atAdd = JsonNode.Parse("""{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp","hostIP":""}],"bandwidth":{"ingressRate":1}}""")!.AsObject();
        Assert.Equal("""{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp","hostIP":""}]}""",
            PodRuntimeRequest.DelCapabilityArgs(Pod(), null, atAdd).ToJsonString());
    }

    [Theory]
    [InlineData("fast", "invalid quantity")]
    [InlineData("10", "unreasonably small")]
    [InlineData("2P", "unreasonably large")]
    public void AddCapabilityArgs_BadAnnotation_ArgumentExceptionNamingPodAndAnnotation(string value, string reason)
    {
        PodSandbox pod = Pod();
        pod.Annotations["kubernetes.io/ingress-bandwidth"] = value;
        ArgumentException e = Assert.Throws<ArgumentException>(() => PodRuntimeRequest.AddCapabilityArgs(pod, null));
        Assert.Contains("default/web-0", e.Message, StringComparison.Ordinal);
        Assert.Contains("kubernetes.io/ingress-bandwidth", e.Message, StringComparison.Ordinal);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }
}
