using Microsoft.Extensions.Logging;

namespace Cni.Net.Execution;

/// <summary>Every log message of the runtime side; event ids 3000–3099.</summary>
internal static partial class ExecutionLog
{
    [LoggerMessage(EventId = 3000, Level = LogLevel.Debug, Message = "Starting plugin {PluginType} ({PluginPath}) as pid {Pid}")]
    public static partial void PluginStarted(ILogger logger, string pluginType, string pluginPath, int pid);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Debug, Message = "Plugin {PluginType} (pid {Pid}) ended with {Exit} after {Elapsed}")]
    public static partial void PluginFinished(ILogger logger, string pluginType, int pid, PluginExit exit, TimeSpan elapsed);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Plugin {PluginType} wrote to stderr: {Stderr}")]
    public static partial void PluginStderr(ILogger logger, string pluginType, string stderr);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Plugin {PluginType} (pid {Pid}) did not finish within {TimeoutSeconds} s; killed its process group")]
    public static partial void PluginTimedOut(ILogger logger, string pluginType, double timeoutSeconds, int pid);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Plugin {PluginType} wrote more than {Limit} bytes to stdout; killed its process group")]
    public static partial void PluginOutputTooLarge(ILogger logger, string pluginType, int limit);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Debug, Message = "Plugin binary {PluginPath} is busy (ETXTBSY), attempt {Attempt}; retrying")]
    public static partial void PluginBusy(ILogger logger, string pluginPath, int attempt);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Information, Message = "{Command} network {Network} for container {ContainerId} ifname {IfName}")]
    public static partial void ChainStarted(ILogger logger, string command, string network, string? containerId, string? ifName);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Warning, Message = "{Command} network {Network}: plugin {PluginType} failed with code {Code}: {Message}")]
    public static partial void ChainPluginFailed(ILogger logger, string command, string network, string pluginType, uint code, string message);

    [LoggerMessage(EventId = 3012, Level = LogLevel.Debug, Message = "{Command}: calling in-process plugin {PluginType}")]
    public static partial void InProcessPlugin(ILogger logger, string command, string pluginType);

    [LoggerMessage(EventId = 3020, Level = LogLevel.Warning, Message = "Ignoring unreadable result cache file {Path}: {Reason}")]
    public static partial void CacheUnreadable(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 3021, Level = LogLevel.Information, Message = "GC network {Network}: deleting stale attachment {ContainerId}/{IfName}")]
    public static partial void GCStaleAttachment(ILogger logger, string network, string containerId, string ifName);
}
