namespace Cni.Net.Netlink;

/// <summary>
/// Bytes received from the kernel (or handed to <see cref="NetlinkReader"/>) do not form valid netlink: a length
/// that points outside the buffer, a truncated datagram, an attribute of the wrong size.
/// </summary>
public sealed class NetlinkProtocolException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public NetlinkProtocolException()
        : base("malformed netlink data")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public NetlinkProtocolException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and an inner exception.</summary>
    public NetlinkProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
