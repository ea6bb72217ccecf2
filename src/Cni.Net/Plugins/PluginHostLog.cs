using Cni.Net.Spec;
using Microsoft.Extensions.Logging;

namespace Cni.Net.Plugins;

/// <summary>Log messages of the plugin side; event ids 3100–3199.</summary>
internal static partial class PluginHostLog
{
    [LoggerMessage(EventId = 3100, Level = LogLevel.Debug, Message = "{Command} container {ContainerId} ifname {IfName} (config version {Version})")]
    public static partial void Invoked(ILogger logger, CniCommand command, string containerId, string ifName, CniVersion version);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning,
        Message = "{Command} container={ContainerId} ifname={IfName} network={Network} failed code={Code} ({CodeName}): {Message} in {Milliseconds} ms")]
    public static partial void Failed(ILogger logger, string command, string containerId, string ifName, string network, int code,
        CniErrorCode codeName, string message, string milliseconds);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Error,
        Message = "{Command} container={ContainerId} ifname={IfName} network={Network} failed code={Code} with an unexpected exception in {Milliseconds} ms")]
    public static partial void Unexpected(ILogger logger, string command, string containerId, string ifName, string network, int code,
        string milliseconds, Exception exception);

    /// <summary>The line an operator reads per call: ADD with the addresses it handed out.</summary>
    [LoggerMessage(EventId = 3105, Level = LogLevel.Information,
        Message = "{Command} container={ContainerId} ifname={IfName} network={Network} ok ips={Ips} in {Milliseconds} ms")]
    public static partial void Added(ILogger logger, string command, string containerId, string ifName, string network, string ips,
        string milliseconds);

    /// <summary>The line per DEL, CHECK, STATUS, GC (and VERSION, at debug level).</summary>
    [LoggerMessage(EventId = 3106, Message = "{Command} container={ContainerId} ifname={IfName} network={Network} ok in {Milliseconds} ms")]
    public static partial void Succeeded(ILogger logger, LogLevel level, string command, string containerId, string ifName, string network,
        string milliseconds);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Information, Message = "ADD failed after IPAM {IpamType} allocated; releasing the allocation")]
    public static partial void ReleasingIpam(ILogger logger, string ipamType);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Warning, Message = "Releasing the IPAM allocation of {IpamType} failed: {Message}")]
    public static partial void ReleaseFailed(ILogger logger, string ipamType, string message);

    [LoggerMessage(EventId = 3110, Level = LogLevel.Warning, Message = "Plugin server: dropped a connection: {Message}")]
    public static partial void ServerDroppedConnection(ILogger logger, string message);
}
