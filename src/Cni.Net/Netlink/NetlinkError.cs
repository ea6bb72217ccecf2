using System.Runtime.InteropServices;
using System.Text;
using Cni.Net.Interop;

namespace Cni.Net.Netlink;

/// <summary>
/// A decoded NLMSG_ERROR: errno 0 is an acknowledgement; otherwise the error with the kernel's extended-ack fields.
/// The message text is kept as UTF-8 bytes into the receive buffer and only turned into a string on demand.
/// </summary>
public readonly ref struct NetlinkError
{
    private readonly ReadOnlySpan<byte> _message;

    private NetlinkError(int errno, ReadOnlySpan<byte> message, int badAttributeOffset, int missingAttributeType)
    {
        Errno = errno;
        _message = message;
        BadAttributeOffset = badAttributeOffset;
        MissingAttributeType = missingAttributeType;
    }

    /// <summary>The positive errno (0 for an acknowledgement).</summary>
    public int Errno { get; }

    /// <summary>NLMSGERR_ATTR_OFFS, or -1 when absent.</summary>
    public int BadAttributeOffset { get; }

    /// <summary>NLMSGERR_ATTR_MISS_TYPE, or -1 when absent.</summary>
    public int MissingAttributeType { get; }

    /// <summary>The UTF-8 bytes of NLMSGERR_ATTR_MSG (without NUL), empty when absent.</summary>
    public ReadOnlySpan<byte> MessageUtf8 => _message;

    /// <summary>NLMSGERR_ATTR_MSG as a string, or <see langword="null"/> when absent.</summary>
    public string? Message => _message.IsEmpty ? null : Encoding.UTF8.GetString(_message);

    /// <summary>Builds the <see cref="NetlinkException"/> for this error.</summary>
    public NetlinkException ToException(string operation) =>
        new(operation, Errno, Message, BadAttributeOffset >= 0 ? BadAttributeOffset : null,
            MissingAttributeType >= 0 ? MissingAttributeType : null);

    /// <summary>
    /// Decodes the error of an NLMSG_DONE that ends a failed dump: an int error followed directly by the
    /// extended-ack attributes.
    /// </summary>
    internal static NetlinkError ParseDone(NetlinkMessage message)
    {
        ReadOnlySpan<byte> payload = message.Payload;
        int error = payload.Length >= 4 ? MemoryMarshal.Read<int>(payload) : 0;
        if (error > 0 || error == int.MinValue)
        {
            ThrowHelper.ThrowProtocol($"NLMSG_DONE carries a positive error {error}");
        }
        ReadOnlySpan<byte> text = default;
        int offset = -1, missing = -1;
        if ((message.Flags & NetlinkMessageFlags.AckTlvs) != 0 && payload.Length > 4)
        {
            ReadTlvs(payload[4..], ref text, ref offset, ref missing);
        }
        return new NetlinkError(-error, text, offset, missing);
    }

    private static void ReadTlvs(ReadOnlySpan<byte> tlvs, ref ReadOnlySpan<byte> text, ref int offset, ref int missing)
    {
        var attributes = new NetlinkAttributeEnumerator(tlvs);
        while (attributes.MoveNext())
        {
            NetlinkAttr a = attributes.Current;
            switch (a.Type)
            {
                case NetlinkLayout.NLMSGERR_ATTR_MSG:
                    text = a.GetStringBytes();
                    break;
                case NetlinkLayout.NLMSGERR_ATTR_OFFS:
                    offset = (int)Math.Min(a.GetUInt32(), int.MaxValue);
                    break;
                case NetlinkLayout.NLMSGERR_ATTR_MISS_TYPE:
                    missing = (int)Math.Min(a.GetUInt32(), int.MaxValue);
                    break;
            }
        }
    }

    internal static NetlinkError Parse(NetlinkMessage message)
    {
        ReadOnlySpan<byte> payload = message.Payload;
        // struct nlmsgerr { int error; struct nlmsghdr msg; } followed by the request payload unless capped.
        const int NlmsgerrSize = 4 + NetlinkLayout.MessageHeaderSize;
        if (payload.Length < 4)
        {
            ThrowHelper.ThrowProtocol("NLMSG_ERROR shorter than its error code");
        }
        int error = MemoryMarshal.Read<int>(payload);
        if (error > 0 || error == int.MinValue)
        {
            ThrowHelper.ThrowProtocol($"NLMSG_ERROR carries a positive error {error}");
        }
        int errno = -error;
        ReadOnlySpan<byte> text = default;
        int offset = -1;
        int missing = -1;
        if ((message.Flags & NetlinkMessageFlags.AckTlvs) != 0 && payload.Length >= NlmsgerrSize)
        {
            int tlvStart = NlmsgerrSize;
            if ((message.Flags & NetlinkMessageFlags.Capped) == 0)
            {
                // The original request follows; its own nlmsg_len tells how long it is.
                uint requestLength = MemoryMarshal.Read<uint>(payload[4..]);
                if (requestLength < NetlinkLayout.MessageHeaderSize || requestLength > (uint)(payload.Length - 4))
                {
                    ThrowHelper.ThrowProtocol("NLMSG_ERROR echoes a request of impossible length");
                }
                tlvStart = 4 + NetlinkLayout.Align((int)requestLength);
            }
            if (tlvStart < payload.Length)
            {
                ReadTlvs(payload[tlvStart..], ref text, ref offset, ref missing);
            }
        }
        return new NetlinkError(errno, text, offset, missing);
    }
}
