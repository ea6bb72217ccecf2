using Microsoft.Extensions.Logging;

namespace Cni.Net.Execution;

/// <summary>Settings of a <see cref="CniChainExecutor"/>.</summary>
public sealed class CniExecutorOptions
{
    /// <summary>
    /// Directories searched for plugin binaries, in order; the first hit wins (CNI_PATH, kubelet's cni-bin-dir).
    /// Default: <c>/opt/cni/bin</c>.
    /// </summary>
    public IList<string> PluginDirectories { get; } = ["/opt/cni/bin"];

    /// <summary>
    /// libcni's cache directory; result files live in its <c>results</c> subdirectory. Default <c>/var/lib/cni</c>, the
    /// directory Go runtimes use, so the two can read each other's entries.
    /// </summary>
    public string CacheDirectory { get; set; } = "/var/lib/cni";

    /// <summary>
    /// How long one plugin call may take before its whole process group is killed (in-process plugins see a cancelled
    /// token). Default 60 s; <see cref="Timeout.InfiniteTimeSpan"/> disables it.
    /// </summary>
    public TimeSpan PluginTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The most a plugin may print on stdout before it is killed. Default 16 MiB.</summary>
    public int MaxPluginOutputBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>
    /// The environment plugins start with, before the CNI_* variables are set; <see langword="null"/> (the default)
    /// means this process's environment, read when the executor is created.
    /// </summary>
    public IDictionary<string, string>? Environment { get; set; }

    /// <summary>Where the executor logs; <see langword="null"/> means no logging.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }
}
