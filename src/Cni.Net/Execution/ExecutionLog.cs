using Microsoft.Extensions.Logging;

namespace Cni.Net.Execution;

/// <summary>Every log message of the runtime side; event ids 3000–3099.</summary>
internal static partial class ExecutionLog
{
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

    [LoggerMessage(EventId = 3022, Level = LogLevel.Warning, Message = "DEL succeeded but its cached result {Path} could not be removed: {Reason}")]
    public static partial void CacheNotRemoved(ILogger logger, string path, string reason);
}
