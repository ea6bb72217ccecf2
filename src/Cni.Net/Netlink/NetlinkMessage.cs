using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Cni.Net.Netlink;

/// <summary>One netlink message as read by <see cref="NetlinkReader"/>: the header fields and the payload.</summary>
public readonly ref struct NetlinkMessage
{
    private readonly ReadOnlySpan<byte> _message;

    internal NetlinkMessage(ReadOnlySpan<byte> message) => _message = message;

    /// <summary>nlmsg_len: the message length including the 16-byte header.</summary>
    public int Length => _message.Length;

    /// <summary>nlmsg_type (RTM_NEWLINK, NLMSG_ERROR, …).</summary>
    public ushort Type => MemoryMarshal.Read<ushort>(_message[4..]);

    /// <summary>nlmsg_flags.</summary>
    public NetlinkMessageFlags Flags => (NetlinkMessageFlags)MemoryMarshal.Read<ushort>(_message[6..]);

    /// <summary>nlmsg_seq.</summary>
    public uint Sequence => MemoryMarshal.Read<uint>(_message[8..]);

    /// <summary>nlmsg_pid: the sender's port id (0 for the kernel's own messages).</summary>
    public uint PortId => MemoryMarshal.Read<uint>(_message[12..]);

    /// <summary>The bytes after the header.</summary>
    public ReadOnlySpan<byte> Payload => _message[NetlinkLayout.MessageHeaderSize..];

    /// <summary>The whole message including its header.</summary>
    public ReadOnlySpan<byte> Span => _message;

    /// <summary>Whether this is NLMSG_ERROR (an error or an acknowledgement).</summary>
    public bool IsError => Type == NetlinkLayout.NLMSG_ERROR;

    /// <summary>Whether this is NLMSG_DONE, the end of a multipart reply.</summary>
    public bool IsDone => Type == NetlinkLayout.NLMSG_DONE;

    /// <summary>
    /// Reads the family header (ifinfomsg, rtmsg, tcmsg …) at the start of the payload. A payload shorter than
    /// <typeparamref name="T"/> throws; that is never a valid reply.
    /// </summary>
    /// <exception cref="NetlinkProtocolException">The payload is shorter than the header.</exception>
    public T ReadFamilyHeader<T>()
        where T : unmanaged
    {
        ReadOnlySpan<byte> payload = Payload;
        if (payload.Length < Unsafe.SizeOf<T>())
        {
            ThrowHelper.ThrowProtocol($"message type {Type} has {payload.Length} payload bytes, its header needs {Unsafe.SizeOf<T>()}");
        }
        return MemoryMarshal.Read<T>(payload);
    }

    /// <summary>Enumerates the attributes that follow a family header of <paramref name="familyHeaderSize"/> bytes.</summary>
    /// <exception cref="NetlinkProtocolException">The payload is shorter than the family header.</exception>
    public NetlinkAttributeEnumerator GetAttributes(int familyHeaderSize)
    {
        ReadOnlySpan<byte> payload = Payload;
        int start = NetlinkLayout.Align(familyHeaderSize);
        if ((uint)familyHeaderSize > (uint)payload.Length)
        {
            ThrowHelper.ThrowProtocol($"message type {Type} has {payload.Length} payload bytes, its header needs {familyHeaderSize}");
        }
        return new NetlinkAttributeEnumerator(start >= payload.Length ? default : payload[start..]);
    }

    /// <summary>Enumerates the attributes that follow the family header <typeparamref name="T"/>.</summary>
    /// <exception cref="NetlinkProtocolException">The payload is shorter than the family header.</exception>
    public NetlinkAttributeEnumerator GetAttributes<T>()
        where T : unmanaged => GetAttributes(Unsafe.SizeOf<T>());

    /// <summary>Decodes an NLMSG_ERROR message: errno and extended acknowledgement.</summary>
    /// <exception cref="InvalidOperationException">This is not an NLMSG_ERROR message.</exception>
    /// <exception cref="NetlinkProtocolException">The error message is malformed.</exception>
    public NetlinkError ReadError()
    {
        if (!IsError)
        {
            ThrowHelper.ThrowInvalidOperation("not an NLMSG_ERROR message");
        }
        return NetlinkError.Parse(this);
    }
}
