using Cni.Net.Spec;

namespace Cni.Net.Execution;

/// <summary>The outcome of STATUS on a network list.</summary>
public sealed class CniNetworkStatus
{
    internal CniNetworkStatus(CniReadiness readiness, string? pluginType, CniException? error)
    {
        Readiness = readiness;
        PluginType = pluginType;
        Error = error;
    }

    /// <summary>Whether the network can take containers.</summary>
    public CniReadiness Readiness { get; }

    /// <summary>The plugin that was not ready, if any.</summary>
    public string? PluginType { get; }

    /// <summary>The plugin's error, if any.</summary>
    public CniException? Error { get; }

    internal static CniNetworkStatus Ready { get; } = new(CniReadiness.Ready, null, null);

    internal static CniNetworkStatus FromError(string pluginType, CniException error) => new(error.Code switch
    {
        CniErrorCode.PluginNotAvailable => CniReadiness.NotAvailable,
        CniErrorCode.PluginNotAvailableLimitedConnectivity => CniReadiness.LimitedConnectivity,
        _ => CniReadiness.Failed,
    }, pluginType, error);
}
