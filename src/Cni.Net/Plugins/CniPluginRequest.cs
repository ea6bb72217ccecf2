using Cni.Net.Spec;
using Microsoft.Extensions.Logging;

namespace Cni.Net.Plugins;

/// <summary>One validated plugin invocation: the CNI_* environment, the config from stdin and its version.</summary>
public class CniPluginRequest
{
    private readonly DelegationState _delegation;
    private CniResult? _prevResult;
    private bool _prevResultRead;
    private CniRuntimeConfig? _runtimeConfig;
    private bool _runtimeConfigRead;

    internal CniPluginRequest(CniEnvironment environment, IReadOnlyDictionary<string, string> rawEnvironment,
        PluginConfig config, CniVersion version, ReadOnlyMemory<byte> stdinData, IReadOnlyList<CniAttachmentId> validAttachments,
        TimeSpan delegationTimeout, ILogger logger)
    {
        Environment = environment;
        RawEnvironment = rawEnvironment;
        Config = config;
        CniVersion = version;
        StdinData = stdinData;
        ValidAttachments = validAttachments;
        DelegationTimeout = delegationTimeout;
        Logger = logger;
        _delegation = new DelegationState();
    }

    /// <summary>The same invocation seen through a typed view (<see cref="CniPluginRequest{TConfig}"/>): shares its state.</summary>
    private protected CniPluginRequest(CniPluginRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        Environment = request.Environment;
        RawEnvironment = request.RawEnvironment;
        Config = request.Config;
        CniVersion = request.CniVersion;
        StdinData = request.StdinData;
        ValidAttachments = request.ValidAttachments;
        DelegationTimeout = request.DelegationTimeout;
        Logger = request.Logger;
        BlockingDelegation = request.BlockingDelegation;
        HostOptions = request.HostOptions;
        ProcessLog = request.ProcessLog;
        ProcessDeadlines = request.ProcessDeadlines;
        _delegation = request._delegation;
    }

    /// <summary>The command being run.</summary>
    public CniCommand Command => Environment.Command;

    /// <summary>CNI_CONTAINERID (empty for GC and STATUS).</summary>
    public string ContainerId => Environment.ContainerId ?? string.Empty;

    /// <summary>CNI_NETNS (may be null or empty on DEL).</summary>
    public string? NetNs => Environment.NetNs;

    /// <summary>CNI_IFNAME (empty for GC and STATUS).</summary>
    public string IfName => Environment.IfName ?? string.Empty;

    /// <summary>CNI_ARGS, parsed.</summary>
    public CniArgs Args => Environment.ParsedArgs;

    /// <summary>CNI_PATH, the directories to find delegated plugins (IPAM) in.</summary>
    public IReadOnlyList<string> Path => Environment.Path;

    /// <summary>All CNI_* variables.</summary>
    public CniEnvironment Environment { get; }

    /// <summary>The configuration from stdin, with <c>name</c>, <c>cniVersion</c>, <c>runtimeConfig</c> and <c>prevResult</c> as the runtime injected them.</summary>
    public PluginConfig Config { get; }

    /// <summary>The config's version (0.1.0 when it has none); results are converted to it.</summary>
    public CniVersion CniVersion { get; }

    /// <summary>The exact bytes read from stdin (IPAM delegation passes them on unchanged).</summary>
    public ReadOnlyMemory<byte> StdinData { get; }

    /// <summary>The previous plugin's result (ADD in a chain, CHECK, DEL), or <see langword="null"/>.</summary>
    public CniResult? PrevResult
    {
        get
        {
            if (!_prevResultRead)
            {
                _prevResult = Config.PrevResult;
                _prevResultRead = true;
            }
            return _prevResult;
        }
    }

    /// <summary>
    /// <c>runtimeConfig</c>: the capability arguments the runtime passed (port mappings, bandwidth, MAC, IPs…), typed,
    /// or <see langword="null"/> when there are none.
    /// </summary>
    /// <exception cref="CniException">Code 7 when a capability does not have its conventional shape.</exception>
    public CniRuntimeConfig? RuntimeConfig
    {
        get
        {
            if (!_runtimeConfigRead)
            {
                _runtimeConfig = Config.RuntimeConfig;
                _runtimeConfigRead = true;
            }
            return _runtimeConfig;
        }
    }

    /// <summary>GC only: the attachments the runtime still uses (<c>cni.dev/valid-attachments</c>).</summary>
    public IReadOnlyList<CniAttachmentId> ValidAttachments { get; }

    /// <summary>A logger that never writes to stdout (the host's).</summary>
    public ILogger Logger { get; }

    /// <summary>
    /// Whether the process goes on after this request: true in a long-lived host (the chain executor running the
    /// plugin in-process, the plugin server), false in a plugin process of its own, which exits once it has answered.
    /// Work worth handing to another thread in the first is not in the second, whose thread pool has not started. (A
    /// deleted link's teardown is left to a thread in the first and to a detached process in the second, see
    /// <see cref="Netlink.Route.RouteNetlink.DefersTeardown"/>.)
    /// </summary>
    public bool ProcessOutlivesRequest => !BlockingDelegation;

    internal IReadOnlyDictionary<string, string> RawEnvironment { get; }

    internal TimeSpan DelegationTimeout { get; }

    /// <summary>Whether delegated plugins run on the calling thread (<see cref="Processes.BlockingPluginRunner"/>).</summary>
    internal bool BlockingDelegation { get; init; }

    /// <summary>The options of the host running this request: delegates registered there run in-process.</summary>
    internal CniPluginHostOptions? HostOptions { get; init; }

    /// <summary>A plugin process's own log (the operator's <c>CNI_LOG_FILE</c>), or null: in-process delegates log there.</summary>
    internal CniLogProvider? ProcessLog { get; init; }

    /// <summary>A plugin process's deadlines (<see cref="Plugins.ProcessDeadlines"/>), or null: in-process delegates' timeouts are kept there.</summary>
    internal ProcessDeadlines? ProcessDeadlines { get; init; }

    /// <summary>Where a delegation to a type goes, decided once per request (see <see cref="CniIpam"/>).</summary>
    internal (string Type, string? Path, ICniPlugin? InProcess)? Delegate
    {
        get => _delegation.Delegate;
        set => _delegation.Delegate = value;
    }

    /// <summary>Set once an IPAM ADD succeeded, so the host can release the allocation when ADD fails later.</summary>
    internal string? AllocatedIpamType
    {
        get => _delegation.AllocatedIpamType;
        set => _delegation.AllocatedIpamType = value;
    }

    /// <summary>An IPAM ADD started before the configuration was read (<see cref="CniIpam.TryStartEarly"/>), not yet claimed.</summary>
    internal ValueTask<CniResult>? EarlyIpamAdd
    {
        get => _delegation.EarlyIpamAdd;
        set => _delegation.EarlyIpamAdd = value;
    }

    /// <summary>What a typed view and the request it was made from must agree on.</summary>
    private sealed class DelegationState
    {
        public string? AllocatedIpamType;
        public ValueTask<CniResult>? EarlyIpamAdd;
        public (string Type, string? Path, ICniPlugin? InProcess)? Delegate;
    }
}
