using Cni.Net.Execution;
using Cni.Net.Spec;
using Microsoft.Extensions.Logging;

namespace Cni.Net.Plugins;

/// <summary>One validated plugin invocation: the CNI_* environment, the config from stdin and its version.</summary>
public sealed class CniPluginRequest
{
    private CniResult? _prevResult;
    private bool _prevResultRead;

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

    /// <summary>GC only: the attachments the runtime still uses (<c>cni.dev/valid-attachments</c>).</summary>
    public IReadOnlyList<CniAttachmentId> ValidAttachments { get; }

    /// <summary>A logger that never writes to stdout (the host's).</summary>
    public ILogger Logger { get; }

    internal IReadOnlyDictionary<string, string> RawEnvironment { get; }

    internal TimeSpan DelegationTimeout { get; }

    /// <summary>Whether delegated plugins run on the calling thread (<see cref="BlockingPluginRunner"/>).</summary>
    internal bool BlockingDelegation { get; init; }

    /// <summary>The options of the host running this request: delegates registered there run in-process.</summary>
    internal CniPluginHostOptions? HostOptions { get; init; }

    /// <summary>Set once an IPAM ADD succeeded, so the host can release the allocation when ADD fails later.</summary>
    internal string? AllocatedIpamType { get; set; }
}
