namespace Cni.Net.Spec;

/// <summary>A CNI failure with its error code: what a plugin reports and what a runtime receives.</summary>
public class CniException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CniException(CniErrorCode code, string message, string? details = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
        Details = details;
    }

    /// <summary>Creates an exception with code <see cref="CniErrorCode.InvalidNetworkConfig"/>.</summary>
    public CniException()
        : this(CniErrorCode.InvalidNetworkConfig, "CNI failure")
    {
    }

    /// <summary>Creates an exception with code <see cref="CniErrorCode.InvalidNetworkConfig"/>.</summary>
    public CniException(string message)
        : this(CniErrorCode.InvalidNetworkConfig, message)
    {
    }

    /// <summary>Creates an exception with code <see cref="CniErrorCode.InvalidNetworkConfig"/>.</summary>
    public CniException(string message, Exception innerException)
        : this(CniErrorCode.InvalidNetworkConfig, message, null, innerException)
    {
    }

    /// <summary>The CNI error code (values of 100 and above are plugin-specific).</summary>
    public CniErrorCode Code { get; }

    /// <summary>Longer details for the error's <c>details</c> field.</summary>
    public string? Details { get; }

    /// <summary>The error object to print, stamped with <paramref name="version"/> when given.</summary>
    public CniError ToError(CniVersion? version) => new((uint)Code, Message, Details, version?.ToString());

    /// <summary>The exception a runtime raises for a plugin's error object.</summary>
    public static CniException FromError(CniError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return new CniException((CniErrorCode)error.Code, error.Msg, error.Details);
    }

    /// <summary>
    /// A configuration value that is present and well-typed but not acceptable: code
    /// <see cref="CniErrorCode.InvalidNetworkConfig"/> with the message <c>key: problem</c>.
    /// </summary>
    /// <param name="key">The key path, as the user wrote the config (<c>mtu</c>, <c>ipam.ranges[0][0].subnet</c>).</param>
    /// <param name="problem">What is wrong with it, in CNI words (<c>70000 is out of range (68–65535)</c>).</param>
    public static CniException InvalidConfig(string key, string problem)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentException.ThrowIfNullOrEmpty(problem);
        return new CniException(CniErrorCode.InvalidNetworkConfig, $"{key}: {problem}");
    }

    /// <summary>
    /// The message of <paramref name="e"/> as a runtime's user should read it: without the " (Parameter 'name')" that
    /// .NET appends, which names a C# parameter rather than a CNI key.
    /// </summary>
    internal static string MessageWithoutParameter(ArgumentException e)
    {
        string message = e.Message;
        if (e.ParamName is { } name)
        {
            int cut = message.LastIndexOf($" (Parameter '{name}')", StringComparison.Ordinal);
            if (cut >= 0)
            {
                message = message[..cut];
            }
        }
        return message;
    }
}
