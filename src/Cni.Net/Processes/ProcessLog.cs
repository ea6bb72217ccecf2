using Cni.Net.Interop;
using Microsoft.Extensions.Logging;

namespace Cni.Net.Processes;

/// <summary>Log messages of the process layer (spawn, output, timeouts); event ids 3000–3009.</summary>
internal static partial class ProcessLog
{
    [LoggerMessage(EventId = 3000, Level = LogLevel.Debug, Message = "Starting plugin {PluginType} ({PluginPath}) as pid {Pid}")]
    public static partial void PluginStarted(ILogger logger, string pluginType, string pluginPath, int pid);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Debug, Message = "Plugin {PluginType} (pid {Pid}) ended with {Exit} after {Elapsed}")]
    public static partial void PluginFinished(ILogger logger, string pluginType, int pid, ChildExit exit, TimeSpan elapsed);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Plugin {PluginType} wrote to stderr: {Stderr}")]
    public static partial void PluginStderr(ILogger logger, string pluginType, string stderr);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Plugin {PluginType} (pid {Pid}) did not finish within {TimeoutSeconds} s; killed its process group")]
    public static partial void PluginTimedOut(ILogger logger, string pluginType, double timeoutSeconds, int pid);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Plugin {PluginType} wrote more than {Limit} bytes to stdout; killed its process group")]
    public static partial void PluginOutputTooLarge(ILogger logger, string pluginType, int limit);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Debug, Message = "Plugin binary {PluginPath} is busy (ETXTBSY), attempt {Attempt}; retrying")]
    public static partial void PluginBusy(ILogger logger, string pluginPath, int attempt);
}
