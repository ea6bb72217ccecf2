using System.Collections.Concurrent;
using System.Net;
using Cni.Net.Configuration;
using Cni.Net.Execution;
using Cni.Net.Spec;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cni.Net.Kubelet;

/// <summary>
/// The kubelet's <c>cni</c> plugin: pods join the first valid network of <c>--cni-conf-dir</c> (re-read on every call,
/// so a config dropped in later is picked up), with <c>lo</c> brought up through the loopback plugin, and the
/// <c>portMappings</c>, <c>bandwidth</c>, <c>ipRanges</c> (the node's pod CIDR) and <c>dns</c> capability arguments
/// built from the pod and the node as the kubelet builds them (<see cref="PodRuntimeRequest"/>).
/// </summary>
internal sealed class CniNetworkPlugin : INetworkPlugin
{
    internal const string PluginName = "cni";
    internal const string LoopbackNetworkName = "cni-loopback";

    /// <summary>The kubelet's loopback network is a 0.2.0 list, run with the pod's interface name (its one runtime config).</summary>
    internal const string LoopbackVersion = "0.2.0";

    internal const string NeedsPodCidr = "cni config needs ipRanges but no PodCIDR set";

    private readonly ConcurrentDictionary<string, (DateTime Stamp, long Length)> _valid = new(StringComparer.Ordinal);
    private NetworkPluginOptions? _options;
    private CniChainExecutor? _executor;
    private ILogger _logger = NullLogger.Instance;
    private IReadOnlyList<IPNetwork>? _podCidrs;

    public string Name => PluginName;

    public async ValueTask InitAsync(NetworkPluginOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        _logger = options.LoggerFactory?.CreateLogger("Cni.Net.Kubelet.Cni") ?? NullLogger.Instance;
        _executor = PodChain.CreateExecutor(options, options.CniBinDirectories);
        _options = options;
        if (!string.IsNullOrEmpty(options.PodCidr))
        {
            OnPodCidrChanged(options.PodCidr);
        }
        (NetworkConfigFile? network, _) = await FindDefaultNetworkAsync(cancellationToken).ConfigureAwait(false);
        if (network is not null)
        {
            KubeletLog.UsingNetwork(_logger, network.Config.Name, network.Path);
        }
    }

    public async ValueTask SetUpPodAsync(PodSandbox pod, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pod);
        CniChainExecutor executor = Executor;
        (NetworkConfigFile? network, string? reason) = await FindDefaultNetworkAsync(cancellationToken).ConfigureAwait(false);
        if (network is null)
        {
            throw new CniException(CniErrorCode.PluginNotAvailable, "cni config uninitialized: " + reason);
        }
        IReadOnlyList<IPNetwork>? podCidrs = _podCidrs;
        if (podCidrs is null && NeedsIpRanges(network.Config))
        {
            throw new CniException(CniErrorCode.PluginNotAvailable, NeedsPodCidr, network.Path);
        }
        await PodChain.SetUpAsync(executor, network.Config, Loopback(), pod, podCidrs, _logger, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask TearDownPodAsync(PodSandbox pod, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pod);
        CniChainExecutor executor = Executor;
        (NetworkConfigFile? network, _) = await FindDefaultNetworkAsync(cancellationToken).ConfigureAwait(false);
        await PodChain.TearDownAsync(executor, network?.Config, null, Loopback(), pod, _podCidrs, _logger, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<PodNetworkStatus?> GetPodNetworkStatusAsync(PodSandbox pod, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pod);
        return ValueTask.FromResult(PodAddresses.FromCache(Executor, null, pod, LoopbackNetworkName) ?? PodAddresses.FromNetNs(pod));
    }

    public async ValueTask<NetworkPluginStatus> GetStatusAsync(CancellationToken cancellationToken = default)
    {
        _ = Executor;
        (NetworkConfigFile? network, string? reason) = await FindDefaultNetworkAsync(cancellationToken).ConfigureAwait(false);
        if (network is null)
        {
            return NetworkPluginStatus.NotReady("cni config uninitialized: " + reason);
        }
        return _podCidrs is null && NeedsIpRanges(network.Config) ? NetworkPluginStatus.NotReady(NeedsPodCidr) : NetworkPluginStatus.Ready;
    }

    /// <summary>
    /// The pod-CIDR event: pods get it as the <c>ipRanges</c> capability. As the kubelet's cni plugin, the first CIDR
    /// sticks; a later different one is logged and ignored.
    /// </summary>
    public void OnPodCidrChanged(string podCidr)
    {
        ArgumentNullException.ThrowIfNull(podCidr);
        IReadOnlyList<IPNetwork> cidrs = NetworkPluginOptions.ParsePodCidrs(podCidr);
        if (Interlocked.CompareExchange(ref _podCidrs, cidrs, null) is { } current)
        {
            if (!current.SequenceEqual(cidrs))
            {
                KubeletLog.IgnoredPodCidr(_logger, podCidr, string.Join(',', current));
            }
            return;
        }
        KubeletLog.PodCidr(_logger, podCidr);
    }

    /// <summary>Whether a plugin of the network declares <c>ipRanges</c> (the kubelet's checkInitialized).</summary>
    private static bool NeedsIpRanges(NetworkConfigList network) =>
        network.Plugins.Any(p => p.Capabilities.TryGetValue("ipRanges", out bool enabled) && enabled);

    private CniChainExecutor Executor => _executor ?? throw new InvalidOperationException("the cni network plugin is not initialized (call InitAsync)");

    /// <summary>The loopback network when a loopback plugin is installed; else lo is brought up directly.</summary>
    private PodChain.Loopback? Loopback() =>
        PodChain.TryFindPlugin("loopback", Executor.PluginDirectories) is null
            ? null
            : new PodChain.Loopback(PodChain.LoopbackNetwork(LoopbackNetworkName, LoopbackVersion), PodRuntimeRequest.PodInterface);

    /// <summary>
    /// The kubelet's getDefaultCNINetwork: the conf dir's networks in order, the first whose plugins all exist and
    /// support its version. A valid file is remembered until it changes.
    /// </summary>
    internal async ValueTask<(NetworkConfigFile? Network, string? Reason)> FindDefaultNetworkAsync(CancellationToken cancellationToken)
    {
        NetworkPluginOptions options = _options ?? throw new InvalidOperationException("the cni network plugin is not initialized (call InitAsync)");
        CniConfigDirectory directory = CniConfigDirectory.Load(options.CniConfDirectory, _logger);
        var reasons = new List<string>();
        foreach (SkippedConfigFile skipped in directory.Skipped)
        {
            reasons.Add($"{skipped.Path}: {skipped.Reason}");
        }
        foreach (NetworkConfigFile network in directory.Networks)
        {
            string? error = await ValidateAsync(network, cancellationToken).ConfigureAwait(false);
            if (error is null)
            {
                return (network, null);
            }
            KubeletLog.SkippedNetwork(_logger, network.Path, error);
            reasons.Add($"{network.Path}: {error}");
        }
        string reason = $"no valid networks found in {options.CniConfDirectory}";
        return (null, reasons.Count == 0 ? reason : reason + " (" + string.Join("; ", reasons) + ")");
    }

    private async ValueTask<string?> ValidateAsync(NetworkConfigFile network, CancellationToken cancellationToken)
    {
        var info = new FileInfo(network.Path);
        (DateTime Stamp, long Length) key = (info.LastWriteTimeUtc, info.Length);
        // Only successes are remembered: a plugin installed later must turn a failing network valid.
        if (network.DropInFiles.Count == 0 && _valid.TryGetValue(network.Path, out var known) && known == key)
        {
            return null;
        }
        IReadOnlyList<CniException> errors = await Executor.ValidateAsync(network.Config, cancellationToken).ConfigureAwait(false);
        string? error = errors.Count == 0 ? null : string.Join("; ", errors.Select(e => e.Message));
        if (error is null)
        {
            _valid[network.Path] = key;
        }
        return error;
    }
}
