namespace Cni.Net.Kubelet;

/// <summary>Creates the network plugin <c>--network-plugin</c> names.</summary>
public static class NetworkPlugins
{
    /// <summary>
    /// The plugin named <paramref name="name"/>: <c>cni</c>, <c>kubenet</c>, or noop for an empty name or <c>none</c>.
    /// It still needs <see cref="INetworkPlugin.InitAsync"/>.
    /// </summary>
    /// <param name="name">The <c>--network-plugin</c> value.</param>
    /// <returns>The plugin.</returns>
    /// <exception cref="ArgumentException">An unknown plugin name.</exception>
    public static INetworkPlugin Create(string? name) => name switch
    {
        null or "" or "none" or "noop" => new NoopNetworkPlugin(),
        CniNetworkPlugin.PluginName => new CniNetworkPlugin(),
        KubenetNetworkPlugin.PluginName => new KubenetNetworkPlugin(),
        _ => throw new ArgumentException($"network plugin \"{name}\" not found (known: cni, kubenet, none)", nameof(name)),
    };

    /// <summary>Creates the plugin <see cref="NetworkPluginOptions.NetworkPlugin"/> names and initializes it.</summary>
    /// <param name="options">The node settings.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>The initialized plugin.</returns>
    /// <exception cref="ArgumentException">An unknown plugin name or an invalid option.</exception>
    /// <exception cref="Spec.CniException">A plugin it needs is missing.</exception>
    public static async ValueTask<INetworkPlugin> InitAsync(NetworkPluginOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        INetworkPlugin plugin = Create(options.NetworkPlugin);
        await plugin.InitAsync(options, cancellationToken).ConfigureAwait(false);
        return plugin;
    }
}
