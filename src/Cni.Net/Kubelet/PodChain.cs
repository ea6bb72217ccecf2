using System.Net;
using System.Text.Json.Nodes;
using Cni.Net.Execution;
using Cni.Net.Namespaces;
using Cni.Net.Netlink;
using Cni.Net.Netlink.Route;
using Cni.Net.Spec;
using Microsoft.Extensions.Logging;
using Cni.Net.Processes;

namespace Cni.Net.Kubelet;

/// <summary>What cni and kubenet share: the loopback attachment, ADD with DEL on failure, and DEL of a cached network.</summary>
internal static class PodChain
{
    /// <summary>A loopback network and the CNI_IFNAME it is run with.</summary>
    public sealed record Loopback(NetworkConfigList Network, string IfName);

    /// <summary>A network list of the loopback plugin alone.</summary>
    public static NetworkConfigList LoopbackNetwork(string name, string cniVersion) => NetworkConfigList.Parse(System.Text.Encoding.UTF8.GetBytes(
        $$"""{"cniVersion":"{{cniVersion}}","name":"{{name}}","plugins":[{"type":"loopback"}]}"""));

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
    /// Both ADDs get the same CNI_ARGS and capability arguments, as the kubelet builds one runtime config for both.
    /// </summary>
    public static async ValueTask SetUpAsync(CniChainExecutor executor, NetworkConfigList network, Loopback? loopback,
        PodSandbox pod, IReadOnlyList<IPNetwork>? podCidrs, ILogger logger, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(pod.NetNsPath))
        {
            throw new CniException(CniErrorCode.InvalidEnvironmentVariables, $"pod {pod.Namespace}/{pod.Name} has no network namespace path");
        }
        JsonObject capabilityArgs = PodRuntimeRequest.AddCapabilityArgs(pod, podCidrs);
        KubeletLog.PodOperation(logger, "ADD", pod.Namespace, pod.Name, pod.SandboxId, network.Name);
        try
        {
            if (loopback is not null)
            {
                await executor.AddAsync(loopback.Network, PodRuntimeRequest.Create(pod, loopback.IfName, capabilityArgs), cancellationToken)
                    .ConfigureAwait(false);
            }
            else
            {
                LoopbackUp(pod.NetNsPath);
            }
            await executor.AddAsync(network, PodRuntimeRequest.Create(pod, PodRuntimeRequest.PodInterface, capabilityArgs), cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Exception e) when (e is CniException or IOException or NetlinkException)
        {
            try
            {
                await TearDownAsync(executor, network, network.Name, loopback, pod, podCidrs, logger, CancellationToken.None).ConfigureAwait(false);
            }
            catch (CniException)
            {
                // The ADD error is the one to report; the runtime retries the teardown.
            }
            throw;
        }
    }

    /// <summary>
    /// DEL of the pod's loopback (a failure is only logged, as the kubelet does), then of its attachment — with the
    /// network its ADD cached when there is one (of any name when <paramref name="onlyNetworkName"/> is null), else with
    /// <paramref name="network"/>.
    /// </summary>
    public static async ValueTask TearDownAsync(CniChainExecutor executor, NetworkConfigList? network, string? onlyNetworkName,
        Loopback? loopback, PodSandbox pod, IReadOnlyList<IPNetwork>? podCidrs, ILogger logger, CancellationToken cancellationToken)
    {
        CniCachedAttachment? entry = CachedAttachment(executor, pod, onlyNetworkName, loopback?.Network.Name);
        JsonObject capabilityArgs = PodRuntimeRequest.DelCapabilityArgs(pod, podCidrs, entry?.CapabilityArgs);
        if (loopback is not null)
        {
            try
            {
                await executor.DelAsync(loopback.Network, PodRuntimeRequest.Create(pod, loopback.IfName, capabilityArgs), cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (CniException e)
            {
                KubeletLog.LoopbackTeardownFailed(logger, pod.SandboxId, e.Message);
            }
        }
        network = (entry is null ? null : CachedNetwork(entry)) ?? network;
        if (network is not null)
        {
            KubeletLog.PodOperation(logger, "DEL", pod.Namespace, pod.Name, pod.SandboxId, network.Name);
            await executor.DelAsync(network, PodRuntimeRequest.Create(pod, PodRuntimeRequest.PodInterface, capabilityArgs), cancellationToken)
                .ConfigureAwait(false);
        }
    }

    /// <summary>The cache entry of the pod's attachment (<c>eth0</c>), skipping the loopback network's.</summary>
    private static CniCachedAttachment? CachedAttachment(CniChainExecutor executor, PodSandbox pod, string? networkName, string? loopbackName)
    {
        foreach (CniCachedAttachment entry in executor.GetCachedAttachments(pod.SandboxId))
        {
            if (entry.IfName == PodRuntimeRequest.PodInterface && entry.NetworkName != loopbackName
                && (networkName is null || entry.NetworkName == networkName))
            {
                return entry;
            }
        }
        return null;
    }

    /// <summary>The network list the pod's ADD was run with, from its cache entry (libcni caches the list's bytes).</summary>
    private static NetworkConfigList? CachedNetwork(CniCachedAttachment entry)
    {
        if (entry.Config.IsEmpty)
        {
            return null;
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
                return null;
            }
        }
    }

    private static void LoopbackUp(string netNsPath)
    {
        using NetworkNamespace ns = NetworkNamespace.Open(netNsPath);
        using RouteNetlink rtnl = RouteNetlink.Open(ns);
        rtnl.SetLinkUp(rtnl.GetLinkIndex("lo"));
    }
}
