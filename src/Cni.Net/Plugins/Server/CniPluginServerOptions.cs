using Microsoft.Extensions.Logging;

namespace Cni.Net.Plugins.Server;

/// <summary>Settings of <see cref="CniPluginServer"/>.</summary>
public sealed class CniPluginServerOptions
{
    /// <summary>The unix socket the server listens on (created 0600, root only). Default <see cref="CniPluginClient.DefaultSocketPath"/>.</summary>
    public string SocketPath { get; set; } = CniPluginClient.DefaultSocketPath;

    /// <summary>Where the server and the plugins log (never stdout). Default: no logging.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>How long one request may run before its plugin is cancelled (code 11 then). Default 60 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long <see cref="CniPluginServer.RunAsync"/> lets requests in flight finish once stopped. Default 30 s.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
