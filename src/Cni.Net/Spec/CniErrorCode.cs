namespace Cni.Net.Spec;

/// <summary>
/// The well-known CNI error codes. Codes 100 and above are plugin-specific and are carried as their raw value
/// (<c>(CniErrorCode)100</c>); the Go plugins report anything unclassified as 999.
/// </summary>
#pragma warning disable CA1028 // The wire type of "code" is an unsigned integer.
public enum CniErrorCode : uint
#pragma warning restore CA1028
{
    /// <summary>Incompatible CNI version.</summary>
    IncompatibleVersion = 1,

    /// <summary>Unsupported field in the network configuration; the message names the key and value.</summary>
    UnsupportedField = 2,

    /// <summary>Container unknown or does not exist.</summary>
    UnknownContainer = 3,

    /// <summary>Invalid necessary environment variables (CNI_COMMAND, CNI_CONTAINERID, …); the message names it.</summary>
    InvalidEnvironmentVariables = 4,

    /// <summary>I/O failure, for example reading the configuration from stdin.</summary>
    IOFailure = 5,

    /// <summary>Failed to decode content (JSON).</summary>
    DecodingFailure = 6,

    /// <summary>Invalid network configuration.</summary>
    InvalidNetworkConfig = 7,

    /// <summary>
    /// Invalid network namespace: libcni/skel's code when <c>CNI_NETNS</c> is the plugin's own namespace (not in the
    /// spec's table, but what the reference plugins report).
    /// </summary>
    InvalidNetNs = 8,

    /// <summary>Try again later: a transient condition such as a held lock.</summary>
    TryAgainLater = 11,

    /// <summary>STATUS: the plugin is not available, no new ADD should be attempted.</summary>
    PluginNotAvailable = 50,

    /// <summary>STATUS: the plugin is not available and existing containers may have limited connectivity.</summary>
    PluginNotAvailableLimitedConnectivity = 51,
}
