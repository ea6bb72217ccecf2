namespace Cni.Net.Netlink;

/// <summary>
/// The kernel refused a netlink request (an <c>NLMSG_ERROR</c> with a non-zero error), or a netlink socket call failed.
/// Carries the errno, its C name, the kernel's extended acknowledgement (text, offending-attribute offset, missing
/// attribute) and the operation that was attempted.
/// </summary>
public class NetlinkException : Exception
{
    /// <summary>Creates an exception for <paramref name="errno"/> raised by <paramref name="operation"/>.</summary>
    /// <param name="operation">What was attempted, for example <c>add link</c>.</param>
    /// <param name="errno">The positive errno value (EEXIST = 17).</param>
    /// <param name="extendedAckMessage">The kernel's NLMSGERR_ATTR_MSG text, when it sent one.</param>
    /// <param name="badAttributeOffset">NLMSGERR_ATTR_OFFS: byte offset of the offending attribute in the request.</param>
    /// <param name="missingAttributeType">NLMSGERR_ATTR_MISS_TYPE: the attribute the kernel needed but did not get.</param>
    public NetlinkException(string operation, int errno, string? extendedAckMessage = null,
        int? badAttributeOffset = null, int? missingAttributeType = null)
        : base(Format(operation, errno, extendedAckMessage))
    {
        Operation = operation;
        Errno = errno;
        ExtendedAckMessage = extendedAckMessage;
        BadAttributeOffset = badAttributeOffset;
        MissingAttributeType = missingAttributeType;
        HResult = errno;
    }

    /// <summary>Creates an exception with a message only (errno 0); prefer the errno constructor.</summary>
    public NetlinkException()
        : this("netlink", 0)
    {
    }

    /// <summary>Creates an exception with a custom message and no errno.</summary>
    public NetlinkException(string message)
        : base(message)
    {
        Operation = "netlink";
    }

    /// <summary>Creates an exception with a custom message, no errno and an inner exception.</summary>
    public NetlinkException(string message, Exception innerException)
        : base(message, innerException)
    {
        Operation = "netlink";
    }

    /// <summary>The positive errno value (EEXIST = 17); 0 when none applies.</summary>
    public int Errno { get; }

    /// <summary>The errno's C name, such as <c>EEXIST</c>.</summary>
    public string ErrnoName => Netlink.Errno.Name(Errno);

    /// <summary>What was attempted, for example <c>add link</c>.</summary>
    public string Operation { get; }

    /// <summary>The kernel's extended-ack message (NLMSGERR_ATTR_MSG), or <see langword="null"/>.</summary>
    public string? ExtendedAckMessage { get; }

    /// <summary>Byte offset in the request of the attribute the kernel rejected (NLMSGERR_ATTR_OFFS).</summary>
    public int? BadAttributeOffset { get; }

    /// <summary>Type of an attribute the kernel required but did not find (NLMSGERR_ATTR_MISS_TYPE).</summary>
    public int? MissingAttributeType { get; }

    /// <summary>The same refusal naming the object it was about (<c>get link "nope0": No such device (ENODEV)</c>).</summary>
    internal NetlinkException About(string subject) =>
        new(Operation, subject, Errno, ExtendedAckMessage, BadAttributeOffset, MissingAttributeType);

    private NetlinkException(string operation, string subject, int errno, string? extendedAckMessage,
        int? badAttributeOffset, int? missingAttributeType)
        : base(Format($"{operation} {subject}", errno, extendedAckMessage))
    {
        Operation = operation;
        Subject = subject;
        Errno = errno;
        ExtendedAckMessage = extendedAckMessage;
        BadAttributeOffset = badAttributeOffset;
        MissingAttributeType = missingAttributeType;
        HResult = errno;
    }

    /// <summary>
    /// What the request was about, as the message names it: a link (<c>"eth0"</c> or <c>index 7</c>), an address
    /// (<c>10.1.0.2/24 dev 7</c>), a route; <see langword="null"/> when the request had no single object (a dump).
    /// </summary>
    public string? Subject { get; }

    private static string Format(string operation, int errno, string? extAck)
    {
        string text = $"{operation}: {Netlink.Errno.Describe(errno)} ({Netlink.Errno.Name(errno)})";
        return string.IsNullOrEmpty(extAck) ? text : text + ": " + extAck;
    }
}
