namespace Cni.Net.Kubelet;

/// <summary>
/// The kubelet's network-plugin contract: how a node agent gives pods their network. Implementations are the
/// kubelet's three — <c>noop</c>, <c>cni</c> and <c>kubenet</c> — created by <see cref="NetworkPlugins.Create"/>.
/// Call <see cref="InitAsync"/> once, then any other member from any thread.
/// </summary>
public interface INetworkPlugin
{
    /// <summary>The plugin's name, as <c>--network-plugin</c> spells it (<c>kubenet</c>, <c>cni</c>), or an empty string for noop.</summary>
    string Name { get; }

    /// <summary>Prepares the node (the network namespace this process runs in) with the node's settings.</summary>
    /// <param name="options">The kubelet's network flags.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <exception cref="Spec.CniException">A plugin the implementation needs is missing (code 50, naming every one).</exception>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    ValueTask InitAsync(NetworkPluginOptions options, CancellationToken cancellationToken = default);

    /// <summary>Gives a pod sandbox its network (CNI ADD).</summary>
    /// <param name="pod">The pod sandbox; <see cref="PodSandbox.NetNsPath"/> is required.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <exception cref="Spec.CniException">A plugin failed, or the plugin is not ready.</exception>
    /// <exception cref="ArgumentException">A bandwidth annotation is not a valid quantity.</exception>
    ValueTask SetUpPodAsync(PodSandbox pod, CancellationToken cancellationToken = default);

    /// <summary>Removes a pod sandbox's network (CNI DEL); succeeds when it is already gone.</summary>
    /// <param name="pod">The pod sandbox; its netns may already be gone.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <exception cref="Spec.CniException">A plugin failed.</exception>
    ValueTask TearDownPodAsync(PodSandbox pod, CancellationToken cancellationToken = default);

    /// <summary>
    /// The pod's addresses: from the cached CNI result of its setup, else read from its network namespace;
    /// <see langword="null"/> when the plugin does not manage pod addresses (noop) or nothing is known.
    /// </summary>
    /// <param name="pod">The pod sandbox.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    ValueTask<PodNetworkStatus?> GetPodNetworkStatusAsync(PodSandbox pod, CancellationToken cancellationToken = default);

    /// <summary>Whether the plugin can set up pods now, and if not, why (cni re-reads its conf dir for it).</summary>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>The status.</returns>
    ValueTask<NetworkPluginStatus> GetStatusAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The pod-CIDR change event (the kubelet's <c>NET_PLUGIN_EVENT_POD_CIDR_CHANGE</c>): the node's pod CIDR, as the
    /// controller manager's <c>--allocate-node-cidrs</c> hands it over; several comma-separated for dual stack.
    /// Plugins that do not use it ignore it.
    /// </summary>
    /// <param name="podCidr">The CIDR(s), such as <c>10.244.1.0/24</c>.</param>
    /// <exception cref="ArgumentException">The text is not a list of CIDRs.</exception>
    void OnPodCidrChanged(string podCidr);
}
