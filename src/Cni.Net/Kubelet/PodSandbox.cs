using Cni.Net.Spec;

namespace Cni.Net.Kubelet;

/// <summary>A pod sandbox as the network plugin sees it.</summary>
public sealed class PodSandbox
{
    /// <summary>Describes a pod sandbox.</summary>
    /// <param name="podNamespace">The pod's Kubernetes namespace.</param>
    /// <param name="podName">The pod's name.</param>
    /// <param name="sandboxId">The sandbox (infra container) id; the CNI container id.</param>
    /// <param name="netNsPath">The sandbox's network namespace, such as <c>/run/netns/cni-…</c>.</param>
    /// <exception cref="ArgumentException">An id or name is empty.</exception>
    public PodSandbox(string podNamespace, string podName, string sandboxId, string? netNsPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(podNamespace);
        ArgumentException.ThrowIfNullOrEmpty(podName);
        ArgumentException.ThrowIfNullOrEmpty(sandboxId);
        Namespace = podNamespace;
        Name = podName;
        SandboxId = sandboxId;
        NetNsPath = netNsPath;
    }

    /// <summary>The pod's Kubernetes namespace.</summary>
    public string Namespace { get; }

    /// <summary>The pod's name.</summary>
    public string Name { get; }

    /// <summary>The sandbox id (CNI_CONTAINERID).</summary>
    public string SandboxId { get; }

    /// <summary>The sandbox's network namespace path (CNI_NETNS); may be null or gone on teardown.</summary>
    public string? NetNsPath { get; }

    /// <summary>
    /// The pod's annotations; <c>kubernetes.io/ingress-bandwidth</c> and <c>kubernetes.io/egress-bandwidth</c>
    /// (Kubernetes quantities, bits per second) become the <c>bandwidth</c> capability.
    /// </summary>
    public IDictionary<string, string> Annotations { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The containers' ports; those with a host port become the <c>portMappings</c> capability.</summary>
    public IList<PortMapping> PortMappings { get; } = [];

    /// <summary>
    /// The pod's DNS config (the CRI sandbox's <c>dns_config</c>: servers, searches, options) handed to plugins as the
    /// <c>dns</c> capability; <see langword="null"/> sends none.
    /// </summary>
    public DnsCapability? DnsConfig { get; set; }
}
