using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Cni.Net.Conventions;

namespace Cni.Net.Kubelet;

/// <summary>
/// The kubelet's default plugin: pods keep whatever network the runtime gave them. Init only turns on
/// <c>bridge-nf-call-iptables</c> (and the ip6 twin) where bridge netfilter exists.
/// </summary>
internal sealed class NoopNetworkPlugin : INetworkPlugin
{
    public string Name => "";

    public ValueTask InitAsync(NetworkPluginOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        BridgeNetfilter.Enable(options.LoggerFactory?.CreateLogger("Cni.Net.Kubelet.Noop") ?? NullLogger.Instance);
        return ValueTask.CompletedTask;
    }

    public ValueTask SetUpPodAsync(PodSandbox pod, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pod);
        return ValueTask.CompletedTask;
    }

    public ValueTask TearDownPodAsync(PodSandbox pod, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pod);
        return ValueTask.CompletedTask;
    }

    public ValueTask<PodNetworkStatus?> GetPodNetworkStatusAsync(PodSandbox pod, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pod);
        return ValueTask.FromResult<PodNetworkStatus?>(null);
    }

    public ValueTask<NetworkPluginStatus> GetStatusAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(NetworkPluginStatus.Ready);

    public void OnPodCidrChanged(string podCidr) => ArgumentNullException.ThrowIfNull(podCidr);
}
