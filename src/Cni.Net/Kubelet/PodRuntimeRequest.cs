using System.Text.Json.Nodes;
using Cni.Net.Execution;
using Cni.Net.Spec;
using Cni.Net.TrafficControl;

namespace Cni.Net.Kubelet;

/// <summary>What the kubelet hands a CNI chain for a pod: its CNI_ARGS and the capability arguments it supports.</summary>
internal static class PodRuntimeRequest
{
    internal const string IngressBandwidthAnnotation = "kubernetes.io/ingress-bandwidth";
    internal const string EgressBandwidthAnnotation = "kubernetes.io/egress-bandwidth";
    internal const string PodInterface = "eth0";
    internal const string LoopbackInterface = "lo";

    /// <summary>The kubelet sets no burst: int32's maximum (bits) stands for "unlimited".</summary>
    internal const long UnlimitedBurst = int.MaxValue;

    public static CniRuntimeRequest Create(PodSandbox pod, string ifName, bool withCapabilities) =>
        new(pod.SandboxId, pod.NetNsPath, ifName)
        {
            Args =
            [
                new("IgnoreUnknown", "1"),
                new("K8S_POD_NAMESPACE", pod.Namespace),
                new("K8S_POD_NAME", pod.Name),
                new("K8S_POD_INFRA_CONTAINER_ID", pod.SandboxId),
            ],
            CapabilityArgs = withCapabilities ? CapabilityArgs(pod) : null,
        };

    /// <summary><c>portMappings</c> from the host ports and <c>bandwidth</c> from the annotations, as the kubelet builds them.</summary>
    /// <exception cref="ArgumentException">A bandwidth annotation is not a valid quantity.</exception>
    public static JsonObject CapabilityArgs(PodSandbox pod)
    {
        var capabilities = new JsonObject();
        var mappings = new JsonArray();
        foreach (PortMapping port in pod.PortMappings)
        {
            if (port.HostPort <= 0)
            {
                continue;
            }
            var mapping = new JsonObject
            {
                ["hostPort"] = port.HostPort,
                ["containerPort"] = port.ContainerPort,
                ["protocol"] = (port.Protocol ?? "tcp").ToLowerInvariant(),
            };
            if (!string.IsNullOrEmpty(port.HostIP))
            {
                mapping["hostIP"] = port.HostIP;
            }
            mappings.Add((JsonNode)mapping);
        }
        if (mappings.Count > 0)
        {
            capabilities["portMappings"] = mappings;
        }
        long? ingress = Bandwidth(pod, IngressBandwidthAnnotation);
        long? egress = Bandwidth(pod, EgressBandwidthAnnotation);
        if (ingress is not null || egress is not null)
        {
            var bandwidth = new JsonObject();
            if (ingress is long i)
            {
                bandwidth["ingressRate"] = i;
                bandwidth["ingressBurst"] = UnlimitedBurst;
            }
            if (egress is long e)
            {
                bandwidth["egressRate"] = e;
                bandwidth["egressBurst"] = UnlimitedBurst;
            }
            capabilities["bandwidth"] = bandwidth;
        }
        return capabilities;
    }

    private static long? Bandwidth(PodSandbox pod, string annotation)
    {
        if (!pod.Annotations.TryGetValue(annotation, out string? text))
        {
            return null;
        }
        try
        {
            return KubernetesQuantity.ParseBandwidth(text);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"pod {pod.Namespace}/{pod.Name}: annotation {annotation}: {e.Message}", nameof(pod), e);
        }
    }
}
