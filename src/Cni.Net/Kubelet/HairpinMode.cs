namespace Cni.Net.Kubelet;

/// <summary>How a pod reaches itself through a service address (the kubelet's <c>--hairpin-mode</c>).</summary>
public enum HairpinMode
{
    /// <summary><c>promiscuous-bridge</c> (the kubelet's default): the pod bridge is put in promiscuous mode.</summary>
    PromiscuousBridge,

    /// <summary><c>hairpin-veth</c>: hairpin mode on every pod's bridge port.</summary>
    HairpinVeth,

    /// <summary><c>none</c>.</summary>
    None,
}
