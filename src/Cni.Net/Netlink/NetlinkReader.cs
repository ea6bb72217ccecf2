using System.Runtime.InteropServices;

namespace Cni.Net.Netlink;

/// <summary>
/// Reads the netlink messages of one datagram (or any byte span). Every <c>nlmsg_len</c> is checked against what
/// remains: a header that claims fewer than 16 bytes throws <see cref="NetlinkProtocolException"/>; a message longer
/// than the rest of the buffer is "incomplete" and <see cref="TryRead"/> returns <see langword="false"/>.
/// </summary>
public ref struct NetlinkReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    /// <summary>Creates a reader over <paramref name="data"/>.</summary>
    public NetlinkReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    /// <summary>Bytes consumed by the messages read so far (including their alignment padding).</summary>
    public readonly int BytesConsumed => _position;

    /// <summary>Bytes not yet consumed.</summary>
    public readonly int BytesRemaining => _data.Length - _position;

    /// <summary>Reads the next message; <see langword="false"/> when no complete message remains.</summary>
    /// <exception cref="NetlinkProtocolException">The next header's length is smaller than a header.</exception>
    public bool TryRead(out NetlinkMessage message)
    {
        ReadOnlySpan<byte> rest = _data[_position..];
        if (rest.Length < NetlinkLayout.MessageHeaderSize)
        {
            message = default;
            return false;
        }
        uint length = MemoryMarshal.Read<uint>(rest);
        if (length < NetlinkLayout.MessageHeaderSize)
        {
            ThrowHelper.ThrowProtocol($"netlink message length {length} is smaller than its header");
        }
        if (length > (uint)rest.Length)
        {
            message = default;
            return false;
        }
        message = new NetlinkMessage(rest[..(int)length]);
        int advance = NetlinkLayout.Align((int)length);
        _position += Math.Min(advance, rest.Length);
        return true;
    }
}
