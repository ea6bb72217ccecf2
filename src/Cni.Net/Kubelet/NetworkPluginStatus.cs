namespace Cni.Net.Kubelet;

/// <summary>Whether a network plugin is ready to set up pods (the node's NetworkReady condition).</summary>
public sealed class NetworkPluginStatus
{
    private NetworkPluginStatus(bool isReady, string? reason)
    {
        IsReady = isReady;
        Reason = reason;
    }

    /// <summary>The ready status.</summary>
    public static NetworkPluginStatus Ready { get; } = new(true, null);

    /// <summary>Whether pods can be set up.</summary>
    public bool IsReady { get; }

    /// <summary>Why not, when not ready.</summary>
    public string? Reason { get; }

    /// <summary>A not-ready status.</summary>
    /// <param name="reason">Why.</param>
    /// <returns>The status.</returns>
    public static NetworkPluginStatus NotReady(string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        return new NetworkPluginStatus(false, reason);
    }

    /// <inheritdoc/>
    public override string ToString() => IsReady ? "ready" : "not ready: " + Reason;
}
