using Microsoft.Extensions.Logging;

namespace Cni.Net.Samples.Dhcp;

/// <summary>The daemon's log messages (to stderr).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "{ClientId}: acquiring lease")]
    public static partial void Acquiring(ILogger logger, string clientId);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "{ClientId}: lease acquired, {Address}, expiration is {Expires}")]
    public static partial void Acquired(ILogger logger, string clientId, System.Net.IPAddress address, DateTimeOffset expires);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "{ClientId}: lease renewed, {Address}, expiration is {Expires}")]
    public static partial void Renewed(ILogger logger, string clientId, System.Net.IPAddress address, DateTimeOffset expires);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "{ClientId}: releasing lease")]
    public static partial void Releasing(ILogger logger, string clientId);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "{ClientId}: failed to release DHCP lease: {Reason}")]
    public static partial void ReleaseFailed(ILogger logger, string clientId, string reason);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "{ClientId}: lease maintenance ended: {Reason}")]
    public static partial void Ended(ILogger logger, string clientId, Cni.Net.Dhcp.DhcpMaintenanceEnd reason);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "listening on {SocketPath}")]
    public static partial void Listening(ILogger logger, string socketPath);
}
