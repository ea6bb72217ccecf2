using System.Net;
using System.Net.Sockets;
using Cni.Net.Execution;
using Cni.Net.Netfilter;
using Cni.Net.Spec;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Cni.Net.Conventions;
using Cni.Net.Netfilter.NfTables;

namespace Cni.Net.Kubelet;

/// <summary>
/// The kubelet's <c>kubenet</c>: a <c>cbr0</c> bridge, one veth per pod, host-local addresses from the node's pod
/// CIDR, masquerade to destinations outside <c>--non-masquerade-cidr</c>, and host ports and shaping through portmap
/// and bandwidth when they are installed. The config is generated (<see cref="KubenetConfig"/>) and run through
/// <see cref="CniChainExecutor"/> with the plugins found in <c>/opt/cni/bin</c> and then <c>--cni-bin-dir</c>.
/// </summary>
internal sealed class KubenetNetworkPlugin : INetworkPlugin
{
    internal const string PluginName = "kubenet";
    internal const string LoopbackNetworkName = "kubenet-loopback";
    internal const string MasqueradeComment = "kubenet: SNAT for outbound traffic from cluster";

    internal static readonly string[] s_requiredPlugins = ["bridge", "host-local", "loopback"];

    /// <summary>Spec versions kubenet's config may use, best first; every one carries prevResult through a chain.</summary>
    private static readonly CniVersion[] s_configVersions = [CniVersion.V1_0_0, CniVersion.V0_4_0, CniVersion.V0_3_1];

    private readonly Lock _gate = new();
    private NetworkPluginOptions? _options;
    private CniChainExecutor? _executor;
    private ILogger _logger = NullLogger.Instance;
    private INetfilterBackend _netfilter = new NftablesBackend();
    private CniVersion _version;
    private bool _withPortMap;
    private bool _withBandwidth;
    private IReadOnlyList<IPNetwork>? _podCidrs;
    private NetworkConfigList? _network;
    private PodChain.Loopback? _loopback;

    public string Name => PluginName;

    /// <summary>The pod bridge MTU chosen at Init.</summary>
    internal int Mtu { get; private set; }

    /// <summary>The generated network list, once the pod CIDR is known.</summary>
    internal NetworkConfigList? Network => _network;

    /// <summary>Where each plugin was found.</summary>
    internal Dictionary<string, string> PluginPaths { get; } = new(StringComparer.Ordinal);

    /// <summary>Replaces the iptables backend (tests).</summary>
    internal INetfilterBackend Netfilter
    {
        get => _netfilter;
        set => _netfilter = value;
    }

    public async ValueTask InitAsync(NetworkPluginOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        _logger = options.LoggerFactory?.CreateLogger("Cni.Net.Kubelet.Kubenet") ?? NullLogger.Instance;
        List<string> directories = [options.KubenetFirstBinDirectory, .. options.CniBinDirectories];
        var missing = new List<string>();
        foreach (string type in s_requiredPlugins)
        {
            if (PodChain.TryFindPlugin(type, directories) is string path)
            {
                PluginPaths[type] = path;
                KubeletLog.FoundPlugin(_logger, type, path);
            }
            else
            {
                missing.Add(type);
            }
        }
        if (missing.Count > 0)
        {
            throw new CniException(CniErrorCode.PluginNotAvailable,
                $"kubenet needs the CNI plugins [{string.Join(", ", missing)}], not found in [{string.Join(", ", directories.Distinct())}]");
        }
        foreach (string type in (ReadOnlySpan<string>)["portmap", "bandwidth"])
        {
            if (PodChain.TryFindPlugin(type, directories) is string path)
            {
                PluginPaths[type] = path;
                KubeletLog.FoundPlugin(_logger, type, path);
            }
        }
        _withPortMap = PluginPaths.ContainsKey("portmap");
        _withBandwidth = PluginPaths.ContainsKey("bandwidth");
        _executor = PodChain.CreateExecutor(options, directories);
        _version = await NegotiateVersionAsync(_executor, PluginPaths.Keys, cancellationToken).ConfigureAwait(false);
        _loopback = new PodChain.Loopback(PodChain.LoopbackNetwork(LoopbackNetworkName, "0.3.1"), PodRuntimeRequest.LoopbackInterface);

        BridgeNetfilter.Enable(_logger);
        if (options.NetworkPluginMtu > 0)
        {
            Mtu = options.NetworkPluginMtu;
            KubeletLog.BridgeMtu(_logger, KubenetConfig.BridgeName, Mtu, "--network-plugin-mtu");
        }
        else
        {
            (int mtu, string? from) = NodeMtu.DetectOnNode(KubenetConfig.BridgeName);
            Mtu = mtu;
            KubeletLog.BridgeMtu(_logger, KubenetConfig.BridgeName, Mtu, from is null ? "fallback, no active interface" : "smallest, of " + from);
        }
        _options = options;
        if (!string.IsNullOrEmpty(options.PodCidr))
        {
            OnPodCidrChanged(options.PodCidr);
        }
    }

    /// <summary>The pod-CIDR event. As the kubelet's kubenet, the first CIDR sticks: later changes are ignored.</summary>
    public void OnPodCidrChanged(string podCidr)
    {
        ArgumentNullException.ThrowIfNull(podCidr);
        NetworkPluginOptions options = _options ?? throw NotInitialized();
        IReadOnlyList<IPNetwork> cidrs = NetworkPluginOptions.ParsePodCidrs(podCidr);
        lock (_gate)
        {
            if (_podCidrs is not null)
            {
                return;
            }
            _network = KubenetConfig.Build(_version, cidrs, Mtu, options.HairpinMode, options.HostLocalDataDirectory, _withPortMap, _withBandwidth);
            _podCidrs = cidrs;
        }
        KubeletLog.PodCidr(_logger, podCidr);
    }

    public async ValueTask SetUpPodAsync(PodSandbox pod, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pod);
        CniChainExecutor executor = _executor ?? throw NotInitialized();
        NetworkConfigList network = _network ?? throw new CniException(CniErrorCode.PluginNotAvailable,
            "kubenet cannot SetUpPod: kubenet does not have netConfig. This is most likely due to lack of PodCIDR");
        await EnsureMasqueradeAsync(cancellationToken).ConfigureAwait(false);
        await PodChain.SetUpAsync(executor, network, _loopback, pod, null, _logger, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask TearDownPodAsync(PodSandbox pod, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pod);
        CniChainExecutor executor = _executor ?? throw NotInitialized();
        await PodChain.TearDownAsync(executor, _network, KubenetConfig.NetworkName, _loopback, pod, null, _logger, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<PodNetworkStatus?> GetPodNetworkStatusAsync(PodSandbox pod, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pod);
        CniChainExecutor executor = _executor ?? throw NotInitialized();
        return ValueTask.FromResult(PodAddresses.FromCache(executor, KubenetConfig.NetworkName, pod) ?? PodAddresses.FromNetNs(pod));
    }

    public ValueTask<NetworkPluginStatus> GetStatusAsync(CancellationToken cancellationToken = default)
    {
        CniChainExecutor executor = _executor ?? throw NotInitialized();
        if (_network is null)
        {
            return ValueTask.FromResult(NetworkPluginStatus.NotReady(
                "kubenet does not have netConfig. This is most likely due to lack of PodCIDR"));
        }
        var missing = s_requiredPlugins.Where(type => PodChain.TryFindPlugin(type, executor.PluginDirectories) is null).ToList();
        return ValueTask.FromResult(missing.Count == 0
            ? NetworkPluginStatus.Ready
            : NetworkPluginStatus.NotReady(
                $"could not locate kubenet required CNI plugins [{string.Join(", ", missing)}] at [{string.Join(", ", executor.PluginDirectories)}]"));
    }

    /// <summary>
    /// The kubelet's kubenet masquerade rule, appended to nat POSTROUTING once: everything leaving for a non-local
    /// destination outside the non-masquerade CIDR takes the node's address.
    /// </summary>
    internal ValueTask EnsureMasqueradeAsync(CancellationToken cancellationToken)
    {
        IPNetwork nonMasquerade = (_options ?? throw NotInitialized()).NonMasqueradeCidr;
        var transaction = new NetfilterTransaction(nonMasquerade.BaseAddress.AddressFamily)
            .AppendUnique(NetfilterTable.Nat, "POSTROUTING", MasqueradeRule(nonMasquerade));
        return _netfilter.ApplyAsync(transaction, cancellationToken);
    }

    internal static NetfilterRule MasqueradeRule(IPNetwork nonMasquerade) => new()
    {
        Matches =
        [
            NetfilterMatch.Comment(MasqueradeComment),
            NetfilterMatch.DestinationType(AddressType.Local, negated: true),
        ],
        Destination = nonMasquerade,
        DestinationNegated = true,
        Target = NetfilterTarget.Masquerade,
    };

    /// <summary>The best version of <see cref="s_configVersions"/> that every plugin kubenet runs supports.</summary>
    private static async ValueTask<CniVersion> NegotiateVersionAsync(CniChainExecutor executor, IEnumerable<string> types, CancellationToken cancellationToken)
    {
        var candidates = new List<CniVersion>(s_configVersions);
        foreach (string type in types.ToList())
        {
            CniPluginVersionInfo info = await executor.GetVersionInfoAsync(type, cancellationToken).ConfigureAwait(false);
            candidates.RemoveAll(v => !info.Supports(v));
        }
        return candidates.Count > 0 ? candidates[0] : throw new CniException(CniErrorCode.IncompatibleVersion,
            $"kubenet's plugins share none of the spec versions [{string.Join(", ", s_configVersions)}]");
    }

    private static InvalidOperationException NotInitialized() => new("the kubenet network plugin is not initialized (call InitAsync)");
}
