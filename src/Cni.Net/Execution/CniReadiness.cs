namespace Cni.Net.Execution;

/// <summary>What STATUS says about a network.</summary>
public enum CniReadiness
{
    /// <summary>Every plugin is ready (or the network's version predates STATUS).</summary>
    Ready,

    /// <summary>A plugin answered code 50: it cannot set up containers now.</summary>
    NotAvailable,

    /// <summary>A plugin answered code 51: containers can be added but will have limited connectivity.</summary>
    LimitedConnectivity,

    /// <summary>A plugin failed with another error.</summary>
    Failed,
}
