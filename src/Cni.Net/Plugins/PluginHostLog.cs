using Cni.Net.Spec;
using Microsoft.Extensions.Logging;

namespace Cni.Net.Plugins;

/// <summary>Log messages of the plugin side; event ids 3100–3199.</summary>
internal static partial class PluginHostLog
{
    [LoggerMessage(EventId = 3100, Level = LogLevel.Debug, Message = "{Command} container {ContainerId} ifname {IfName} (config version {Version})")]
    public static partial void Invoked(ILogger logger, CniCommand command, string containerId, string ifName, CniVersion version);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "{Command} failed with code {Code}: {Message}")]
    public static partial void Failed(ILogger logger, string command, CniErrorCode code, string message);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Error, Message = "{Command} failed with an unexpected exception")]
    public static partial void Unexpected(ILogger logger, string command, Exception exception);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Information, Message = "ADD failed after IPAM {IpamType} allocated; releasing the allocation")]
    public static partial void ReleasingIpam(ILogger logger, string ipamType);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Warning, Message = "Releasing the IPAM allocation of {IpamType} failed: {Message}")]
    public static partial void ReleaseFailed(ILogger logger, string ipamType, string message);

    [LoggerMessage(EventId = 3110, Level = LogLevel.Warning, Message = "Plugin server: dropped a connection: {Message}")]
    public static partial void ServerDroppedConnection(ILogger logger, string message);
}
