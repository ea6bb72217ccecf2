using Microsoft.Extensions.Logging;

namespace Cni.Net.Conventions;

/// <summary>Log messages of the CNI conventions layer; event ids 7000–7009 (kept from when the kubelet layer logged them).</summary>
internal static partial class ConventionsLog
{
    [LoggerMessage(EventId = 7000, Level = LogLevel.Information, Message = "Bridge netfilter is not present ({Key} missing); not setting it")]
    public static partial void NoBridgeNetfilter(ILogger logger, string key);

    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "Could not set {Key}=1: {Reason}")]
    public static partial void SysctlFailed(ILogger logger, string key, string reason);
}
