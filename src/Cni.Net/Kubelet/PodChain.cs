using Cni.Net.Execution;
using Cni.Net.Namespaces;
using Cni.Net.Netlink;
using Cni.Net.Netlink.Route;
using Cni.Net.Spec;
using Microsoft.Extensions.Logging;

namespace Cni.Net.Kubelet;

/// <summary>What cni and kubenet share: the loopback attachment, ADD with DEL on failure, and DEL of a cached network.</summary>
internal static class PodChain
{
    public static NetworkConfigList LoopbackNetwork(string name) => NetworkConfigList.Parse(System.Text.Encoding.UTF8.GetBytes(
        $$"""{"cniVersion":"0.3.1","name":"{{name}}","plugins":[{"type":"loopback"}]}"""));

    public static CniChainExecutor CreateExecutor(NetworkPluginOptions options, IEnumerable<string> pluginDirectories)
    {
        var executorOptions = new CniExecutorOptions
        {
            CacheDirectory = options.CniCacheDirectory,
            PluginTimeout = options.PluginTimeout,
            LoggerFactory = options.LoggerFactory,
        };
        executorOptions.PluginDirectories.Clear();
        foreach (string dir in pluginDirectories)
        {
            if (!executorOptions.PluginDirectories.Contains(dir))
            {
                executorOptions.PluginDirectories.Add(dir);
            }
        }
        return new CniChainExecutor(executorOptions);
    }

    public static string? TryFindPlugin(string type, IReadOnlyList<string> directories)
    {
        try
        {
            return CniPluginLocator.Find(type, directories);
        }
        catch (CniException)
        {
            return null;
        }
    }

    /// <summary>
    /// Brings <c>lo</c> up (through the loopback plugin when there is one, as the kubelet does), then ADDs the pod to
    /// <paramref name="network"/>; a failed ADD is followed by DEL (as the spec asks of runtimes) before it is rethrown.
    /// </summary>
    public static async ValueTask SetUpAsync(CniChainExecutor executor, NetworkConfigList network, NetworkConfigList? loopback,
        PodSandbox pod, ILogger logger, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(pod.NetNsPath))
        {
            throw new CniException(CniErrorCode.InvalidEnvironmentVariables, $"pod {pod.Namespace}/{pod.Name} has no network namespace path");
        }
        KubeletLog.PodOperation(logger, "ADD", pod.Namespace, pod.Name, pod.SandboxId, network.Name);
        CniRuntimeRequest request = PodRuntimeRequest.Create(pod, PodRuntimeRequest.PodInterface, withCapabilities: true);
        try
        {
            if (loopback is not null)
            {
                await executor.AddAsync(loopback, PodRuntimeRequest.Create(pod, PodRuntimeRequest.LoopbackInterface, false), cancellationToken)
                    .ConfigureAwait(false);
            }
            else
            {
                LoopbackUp(pod.NetNsPath);
            }
            await executor.AddAsync(network, request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is CniException or IOException or NetlinkException)
        {
            try
            {
                await TearDownAsync(executor, network, network.Name, loopback, pod, logger, CancellationToken.None).ConfigureAwait(false);
            }
            catch (CniException)
            {
                // The ADD error is the one to report; the runtime retries the teardown.
            }
            throw;
        }
    }

    /// <summary>
    /// DEL of the pod's attachment — with the network its ADD cached when there is one (of any name when
    /// <paramref name="onlyNetworkName"/> is null), else with <paramref name="network"/> — then of its loopback.
    /// </summary>
    public static async ValueTask TearDownAsync(CniChainExecutor executor, NetworkConfigList? network, string? onlyNetworkName,
        NetworkConfigList? loopback, PodSandbox pod, ILogger logger, CancellationToken cancellationToken)
    {
        NetworkConfigList? cached = CachedNetwork(executor, pod, onlyNetworkName);
        network = cached ?? network;
        if (network is not null)
        {
            KubeletLog.PodOperation(logger, "DEL", pod.Namespace, pod.Name, pod.SandboxId, network.Name);
            await executor.DelAsync(network, PodRuntimeRequest.Create(pod, PodRuntimeRequest.PodInterface, withCapabilities: false), cancellationToken)
                .ConfigureAwait(false);
        }
        if (loopback is not null)
        {
            try
            {
                await executor.DelAsync(loopback, PodRuntimeRequest.Create(pod, PodRuntimeRequest.LoopbackInterface, false), cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (CniException e)
            {
                KubeletLog.LoopbackTeardownFailed(logger, pod.SandboxId, e.Message);
            }
        }
    }

    /// <summary>The network list the pod's ADD was run with, from the result cache (libcni caches the list's bytes).</summary>
    private static NetworkConfigList? CachedNetwork(CniChainExecutor executor, PodSandbox pod, string? networkName)
    {
        foreach (CniCachedAttachment entry in executor.GetCachedAttachments(pod.SandboxId))
        {
            if (entry.IfName != PodRuntimeRequest.PodInterface || entry.Config.IsEmpty
                || (networkName is not null && entry.NetworkName != networkName))
            {
                continue;
            }
            try
            {
                return NetworkConfigList.Parse(entry.Config.Span);
            }
            catch (CniException)
            {
                try
                {
                    return NetworkConfigList.FromPluginConfig(PluginConfig.Parse(entry.Config.Span));
                }
                catch (CniException)
                {
                    // Not a config we can run: fall back to the current one.
                }
            }
        }
        return null;
    }

    private static void LoopbackUp(string netNsPath)
    {
        using NetworkNamespace ns = NetworkNamespace.Open(netNsPath);
        using RouteNetlink rtnl = RouteNetlink.Open(ns);
        rtnl.SetLinkUp(rtnl.GetLinkIndex("lo"));
    }
}
