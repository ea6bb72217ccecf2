using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Cni.Net.TrafficControl;

/// <summary>
/// Writes one rtnetlink traffic-control request (nlmsghdr, tcmsg, attributes) into a caller-owned span. A small,
/// tc-only writer kept in this namespace until it can sit on Cni.Net.Netlink's <c>NetlinkWriter</c>, whose method
/// names it follows.
/// </summary>
internal ref struct TcMessageWriter
{
    private readonly Span<byte> _buffer;
    private int _position;

    public TcMessageWriter(Span<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
    }

    public readonly int BytesWritten => _position;

    public readonly ReadOnlySpan<byte> WrittenSpan => _buffer[.._position];

    /// <summary>nlmsghdr + tcmsg; <see cref="EndMessage"/> patches nlmsg_len.</summary>
    public void BeginMessage(ushort type, ushort flags, uint sequence, int ifindex, uint handle, uint parent, uint info)
    {
        Span<byte> h = Reserve(TcConstants.NlmsghdrSize + TcConstants.TcmsgSize);
        h.Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(h[4..], type);
        BinaryPrimitives.WriteUInt16LittleEndian(h[6..], flags);
        BinaryPrimitives.WriteUInt32LittleEndian(h[8..], sequence);
        // tcmsg: family (u8), 3 pad bytes, ifindex, handle, parent, info — host order.
        BinaryPrimitives.WriteInt32LittleEndian(h[20..], ifindex);
        BinaryPrimitives.WriteUInt32LittleEndian(h[24..], handle);
        BinaryPrimitives.WriteUInt32LittleEndian(h[28..], parent);
        BinaryPrimitives.WriteUInt32LittleEndian(h[32..], info);
    }

    public readonly void EndMessage() => BinaryPrimitives.WriteUInt32LittleEndian(_buffer, (uint)_position);

    public Span<byte> ReserveAttribute(ushort type, int length)
    {
        int total = Align(4 + length);
        Span<byte> a = Reserve(total);
        BinaryPrimitives.WriteUInt16LittleEndian(a, (ushort)(4 + length));
        BinaryPrimitives.WriteUInt16LittleEndian(a[2..], type);
        a[(4 + length)..].Clear();
        return a.Slice(4, length);
    }

    public void WriteUInt32(ushort type, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(ReserveAttribute(type, 4), value);

    public void WriteUInt64(ushort type, ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(ReserveAttribute(type, 8), value);

    public void WriteFlag(ushort type) => ReserveAttribute(type, 0);

    /// <summary>A NUL-terminated ASCII string (kinds are ASCII).</summary>
    public void WriteString(ushort type, ReadOnlySpan<char> value)
    {
        Span<byte> s = ReserveAttribute(type, value.Length + 1);
        for (int i = 0; i < value.Length; i++)
        {
            s[i] = (byte)value[i];
        }
        s[value.Length] = 0;
    }

    /// <summary>Opens a nested attribute; the token is its offset. tc does not set NLA_F_NESTED on TCA_OPTIONS.</summary>
    public int BeginNested(ushort type)
    {
        int start = _position;
        Span<byte> h = Reserve(4);
        BinaryPrimitives.WriteUInt16LittleEndian(h[2..], type);
        return start;
    }

    public readonly void EndNested(int token) =>
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer[token..], (ushort)(_position - token));

    /// <summary>Raw bytes without an attribute header (the "compat" struct at the head of some options).</summary>
    public Span<byte> ReserveRaw(int length)
    {
        Span<byte> s = Reserve(Align(length));
        s.Clear();
        return s[..length];
    }

    private Span<byte> Reserve(int length)
    {
        if (length > _buffer.Length - _position)
        {
            ThrowTooSmall(length);
        }
        Span<byte> s = _buffer.Slice(_position, length);
        _position += length;
        return s;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private readonly void ThrowTooSmall(int length) =>
        throw new InvalidOperationException($"the message buffer is too small: {length} more bytes needed, {_buffer.Length - _position} left");

    private static int Align(int length) => (length + 3) & ~3;
}
