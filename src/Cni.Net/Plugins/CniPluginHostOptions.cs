using Microsoft.Extensions.Logging;

namespace Cni.Net.Plugins;

/// <summary>Settings of <see cref="CniPluginHost"/>.</summary>
public sealed class CniPluginHostOptions
{
    /// <summary>Printed to stderr when the binary is run without CNI_COMMAND (e.g. by a human); exit code 0.</summary>
    public string? About { get; set; }

    /// <summary>Where the host and the plugin log (stderr or a file; never stdout). Default: no logging.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>How long a delegated plugin (IPAM) may run before its process group is killed. Default 60 s.</summary>
    public TimeSpan DelegationTimeout { get; set; } = TimeSpan.FromSeconds(60);
}
