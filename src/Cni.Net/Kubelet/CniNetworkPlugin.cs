using System.Collections.Concurrent;
using Cni.Net.Configuration;
using Cni.Net.Execution;
using Cni.Net.Spec;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cni.Net.Kubelet;

/// <summary>
/// The kubelet's <c>cni</c> plugin: pods join the first valid network of <c>--cni-conf-dir</c> (re-read on every call,
/// so a config dropped in later is picked up), with <c>lo</c> brought up through the loopback plugin, and the
/// <c>portMappings</c> and <c>bandwidth</c> capability arguments built from the pod.
/// </summary>
internal sealed class CniNetworkPlugin : INetworkPlugin
{
    internal const string PluginName = "cni";
    internal const string LoopbackNetworkName = "cni-loopback";

    private readonly ConcurrentDictionary<string, (DateTime Stamp, long Length)> _valid = new(StringComparer.Ordinal);
    private NetworkPluginOptions? _options;
    private CniChainExecutor? _executor;
    private ILogger _logger = NullLogger.Instance;

    public string Name => PluginName;

    public async ValueTask InitAsync(NetworkPluginOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        _logger = options.LoggerFactory?.CreateLogger("Cni.Net.Kubelet.Cni") ?? NullLogger.Instance;
        _executor = PodChain.CreateExecutor(options, options.CniBinDirectories);
        _options = options;
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
        await PodChain.SetUpAsync(executor, network.Config, LoopbackNetwork(), pod, _logger, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask TearDownPodAsync(PodSandbox pod, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pod);
        CniChainExecutor executor = Executor;
        (NetworkConfigFile? network, _) = await FindDefaultNetworkAsync(cancellationToken).ConfigureAwait(false);
        await PodChain.TearDownAsync(executor, network?.Config, null, LoopbackNetwork(), pod, _logger, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<PodNetworkStatus?> GetPodNetworkStatusAsync(PodSandbox pod, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pod);
        return ValueTask.FromResult(PodAddresses.FromCache(Executor, null, pod) ?? PodAddresses.FromNetNs(pod));
    }

    public async ValueTask<NetworkPluginStatus> GetStatusAsync(CancellationToken cancellationToken = default)
    {
        _ = Executor;
        (NetworkConfigFile? network, string? reason) = await FindDefaultNetworkAsync(cancellationToken).ConfigureAwait(false);
        return network is null ? NetworkPluginStatus.NotReady("cni config uninitialized: " + reason) : NetworkPluginStatus.Ready;
    }

    public void OnPodCidrChanged(string podCidr) => ArgumentNullException.ThrowIfNull(podCidr);

    private CniChainExecutor Executor => _executor ?? throw new InvalidOperationException("the cni network plugin is not initialized (call InitAsync)");

    /// <summary>The loopback network when a loopback plugin is installed; else lo is brought up directly.</summary>
    private NetworkConfigList? LoopbackNetwork() =>
        PodChain.TryFindPlugin("loopback", Executor.PluginDirectories) is null ? null : PodChain.LoopbackNetwork(LoopbackNetworkName);

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
