using Microsoft.Extensions.Logging;

namespace Cni.Net.Plugins;

/// <summary>Settings of <see cref="CniPluginHost"/>.</summary>
public sealed class CniPluginHostOptions
{
    /// <summary>Printed to stderr when the binary is run without CNI_COMMAND (e.g. by a human); exit code 0.</summary>
    public string? About { get; set; }

    /// <summary>
    /// Where the host and the plugin log (stderr or a file; never stdout). Default: null, and then a plugin process
    /// logs where the node operator says — <c>CNI_LOG_FILE</c>/<c>CNI_LOG_LEVEL</c> in its environment, or the
    /// <c>logFile</c>/<c>logLevel</c> keys of its network config, through a <see cref="CniLogProvider"/> — and
    /// nowhere (at no cost) when neither is set.
    /// </summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>
    /// The category of the host's and the plugin's log lines. Default: the executable's file name (for example
    /// <c>bridge</c>) when the operator's setting is used, else <c>Cni.Net.Plugins.CniPluginHost</c>.
    /// </summary>
    public string? LogCategory { get; set; }

    /// <summary>How long a delegated plugin (IPAM) may run before its process group is killed. Default 60 s.</summary>
    public TimeSpan DelegationTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Delegate plugins (IPAM) whose handlers are compiled into this program, by type. A delegation to one of these
    /// types still finds its binary on CNI_PATH, first directory first, and exec's it — unless that binary carries this
    /// program's own build stamp (both published together, see docs/writing-a-plugin.md), in which case the handler
    /// here runs in-process with the same environment and stdin and its result or error is read the same way: the
    /// answer is the one the binary would give, without a process start. A binary of another build, the reference
    /// plugin, or a wrapper script in its place is exec'd. Default: null, every delegate is exec'd.
    /// </summary>
    /// <example><c>SameBuildDelegates = new Dictionary&lt;string, ICniPlugin&gt; { ["host-local"] = new HostLocalPlugin() }</c></example>
    public IReadOnlyDictionary<string, ICniPlugin>? SameBuildDelegates { get; set; }

    /// <summary>The image whose build stamp <see cref="SameBuildDelegates"/> compares with: this process's, or a test's.</summary>
    internal string BuildImage { get; set; } = Processes.PluginBuildStamp.OwnImage;

    /// <summary>
    /// Plugins a delegation (IPAM) may call in-process instead of exec'ing them from CNI_PATH, by type: set by hosts
    /// that already run the delegating plugin in-process (the chain executor, the plugin server), so a chain's
    /// host-local does not cost a process. Null: every delegate is exec'd.
    /// </summary>
    internal IReadOnlyDictionary<string, ICniPlugin>? DelegatePlugins { get; set; }
}
