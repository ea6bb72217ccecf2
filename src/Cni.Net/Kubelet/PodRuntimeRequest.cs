using System.Net;
using System.Text.Json.Nodes;
using Cni.Net.Execution;
using Cni.Net.Spec;
using Cni.Net.TrafficControl;
using Cni.Net.Conventions;
using Cni.Net.Conventions.Links;

namespace Cni.Net.Kubelet;

/// <summary>
/// What the kubelet's cni plugin (dockershim <c>buildCNIRuntimeConf</c>) hands a CNI chain for a pod: its CNI_ARGS and
/// the capability arguments <c>portMappings</c>, <c>bandwidth</c>, <c>ipRanges</c> and <c>dns</c>. The executor passes
/// each only to the plugins that declare it.
/// </summary>
internal static class PodRuntimeRequest
{
    internal const string IngressBandwidthAnnotation = "kubernetes.io/ingress-bandwidth";
    internal const string EgressBandwidthAnnotation = "kubernetes.io/egress-bandwidth";
    internal const string PodInterface = "eth0";
    internal const string LoopbackInterface = "lo";

    /// <summary>The kubelet sets no burst: int32's maximum (bits) stands for "unlimited".</summary>
    internal const long UnlimitedBurst = int.MaxValue;

    /// <summary>The request with the kubelet's CNI_ARGS, in its order, and the given capability arguments.</summary>
    public static CniRuntimeRequest Create(PodSandbox pod, string ifName, JsonObject? capabilityArgs) =>
        new(pod.SandboxId, pod.NetNsPath, ifName)
        {
            Args =
            [
                new("IgnoreUnknown", "1"),
                new("K8S_POD_NAMESPACE", pod.Namespace),
                new("K8S_POD_NAME", pod.Name),
                new("K8S_POD_INFRA_CONTAINER_ID", pod.SandboxId),
            ],
            CapabilityArgs = capabilityArgs,
        };

    /// <summary>
    /// The capability arguments of an ADD, as the kubelet builds them: <c>portMappings</c> always (the host ports, an
    /// empty list when there are none), <c>bandwidth</c> when an annotation is set, <c>ipRanges</c> when the node has
    /// a pod CIDR, <c>dns</c> when the pod has a DNS config.
    /// </summary>
    /// <exception cref="ArgumentException">A bandwidth annotation is not a valid quantity.</exception>
    public static JsonObject AddCapabilityArgs(PodSandbox pod, IReadOnlyList<IPNetwork>? podCidrs)
    {
        var capabilities = new JsonObject { ["portMappings"] = PortMappings(pod) };
        if (Bandwidth(pod) is JsonObject bandwidth)
        {
            capabilities["bandwidth"] = bandwidth;
        }
        if (IpRanges(podCidrs) is JsonArray ranges)
        {
            capabilities["ipRanges"] = ranges;
        }
        if (pod.DnsConfig is DnsCapability dns)
        {
            capabilities["dns"] = Dns(dns);
        }
        return capabilities;
    }

    /// <summary>
    /// The capability arguments of a DEL, as the kubelet builds them: its teardown passes no annotations and no DNS
    /// options, so only <c>portMappings</c> and <c>ipRanges</c>. When the caller no longer knows the pod's ports, those
    /// of the ADD (from the result cache) are sent, so that portmap still finds what to remove.
    /// </summary>
    public static JsonObject DelCapabilityArgs(PodSandbox pod, IReadOnlyList<IPNetwork>? podCidrs, JsonObject? atAdd)
    {
        JsonArray ports = PortMappings(pod);
        if (ports.Count == 0 && atAdd?["portMappings"] is JsonArray cached)
        {
            ports = (JsonArray)cached.DeepClone();
        }
        var capabilities = new JsonObject { ["portMappings"] = ports };
        if (IpRanges(podCidrs) is JsonArray ranges)
        {
            capabilities["ipRanges"] = ranges;
        }
        return capabilities;
    }

    /// <summary>The host ports (only those above 0), with the protocol lower-cased and <c>hostIP</c> always present.</summary>
    private static JsonArray PortMappings(PodSandbox pod)
    {
        var mappings = new JsonArray();
        foreach (PortMapping port in pod.PortMappings)
        {
            if (port.HostPort <= 0)
            {
                continue;
            }
            mappings.Add((JsonNode)new JsonObject
            {
                ["hostPort"] = port.HostPort,
                ["containerPort"] = port.ContainerPort,
                // The API server defaults a port's protocol to TCP before the kubelet sees it.
                ["protocol"] = (port.Protocol ?? "tcp").ToLowerInvariant(),
                ["hostIP"] = port.HostIP ?? "",
            });
        }
        return mappings;
    }

    /// <summary>The annotation rates (bits/s), each with the kubelet's burst of int32's maximum.</summary>
    private static JsonObject? Bandwidth(PodSandbox pod)
    {
        long? ingress = Quantity(pod, IngressBandwidthAnnotation);
        long? egress = Quantity(pod, EgressBandwidthAnnotation);
        if (ingress is null && egress is null)
        {
            return null;
        }
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
        return bandwidth;
    }

    /// <summary>
    /// <c>[[{"subnet": cidr}]]</c>: one range set per pod CIDR. (The kubelet puts its whole <c>--pod-cidr</c> text into
    /// one subnet, which no IPAM can parse for a dual-stack node; one set per family is what it means.)
    /// </summary>
    private static JsonArray? IpRanges(IReadOnlyList<IPNetwork>? podCidrs)
    {
        if (podCidrs is null || podCidrs.Count == 0)
        {
            return null;
        }
        var sets = new JsonArray();
        foreach (IPNetwork cidr in podCidrs)
        {
            sets.Add((JsonNode)new JsonArray(new JsonObject { ["subnet"] = cidr.ToString() }));
        }
        return sets;
    }

    /// <summary>The CRI DNS config as the <c>dns</c> capability; empty lists are left out, as the kubelet's omitempty does.</summary>
    private static JsonObject Dns(DnsCapability dns)
    {
        var json = new JsonObject();
        Add("servers", dns.Servers);
        Add("searches", dns.Searches);
        Add("options", dns.Options);
        return json;

        void Add(string key, IReadOnlyList<string>? values)
        {
            if (values is { Count: > 0 })
            {
                json[key] = new JsonArray([.. values.Select(v => (JsonNode)JsonValue.Create(v))]);
            }
        }
    }

    private static long? Quantity(PodSandbox pod, string annotation)
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
