using Microsoft.Extensions.Logging;

namespace Cni.Net.Configuration;

/// <summary>Log messages of the conf-dir loader (event ids 2000–2099).</summary>
internal static partial class ConfigurationLog
{
    public const int LoadedNetworkId = 2000;
    public const int SkippedFileId = 2001;
    public const int DefaultNetworkId = 2002;
    public const int NoNetworkId = 2003;
    public const int MissingDirectoryId = 2004;

    [LoggerMessage(EventId = LoadedNetworkId, Level = LogLevel.Debug,
        Message = "Loaded network {Network} (version {Version}, {PluginCount} plugins) from {Path}")]
    public static partial void LoadedNetwork(ILogger logger, string network, Cni.Net.Spec.CniVersion version, int pluginCount, string path);

    [LoggerMessage(EventId = SkippedFileId, Level = LogLevel.Warning, Message = "Skipping CNI config {Path}: {Reason}")]
    public static partial void SkippedFile(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = DefaultNetworkId, Level = LogLevel.Information,
        Message = "Default network is {Network} from {Path}")]
    public static partial void DefaultNetwork(ILogger logger, string network, string path);

    [LoggerMessage(EventId = NoNetworkId, Level = LogLevel.Information, Message = "No valid CNI network config in {Directory}")]
    public static partial void NoNetwork(ILogger logger, string directory);

    [LoggerMessage(EventId = MissingDirectoryId, Level = LogLevel.Warning, Message = "CNI conf dir {Directory} does not exist")]
    public static partial void MissingDirectory(ILogger logger, string directory);
}
