using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Cni.Net.Netlink;

/// <summary>
/// Writes netlink messages into a caller-owned buffer: message headers, family headers (ifinfomsg, rtmsg, tcmsg …),
/// typed attributes and nested attributes. Every padding byte is written as zero. Running out of space throws
/// <see cref="InvalidOperationException"/> from the <c>Write…</c> forms and returns <see langword="false"/> from the
/// <c>TryWrite…</c> forms, leaving the writer unchanged — never a silently truncated message.
/// </summary>
/// <remarks>
/// A <see cref="NetlinkSocket"/> hands out writers over its own send buffer (<see cref="NetlinkSocket.BeginRequest"/>);
/// a writer over any <see cref="Span{T}"/> is useful for tests and for building messages ahead of time.
/// Several messages may be written one after another (a batch). Nested attributes must be ended innermost first:
/// the writer keeps the innermost open one (its token carries the one around it), so an out-of-order
/// <see cref="EndNested(NestedScope)"/> is refused instead of writing a wrong length.
/// </remarks>
public ref struct NetlinkWriter
{
    private readonly Span<byte> _buffer;
    private int _position;
    private int _openMessage; // offset + 1 of the message not yet ended; 0 when none
    private int _depth;     // nested attributes begun and not yet ended
    private int _innermost; // offset + 1 of the innermost open nested attribute; 0 when none

    /// <summary>Creates a writer that fills <paramref name="buffer"/> from its start.</summary>
    public NetlinkWriter(Span<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
        _openMessage = 0;
        _depth = 0;
        _innermost = 0;
    }

    /// <summary>Bytes written so far.</summary>
    public readonly int BytesWritten => _position;

    /// <summary>Bytes still free in the buffer.</summary>
    public readonly int BytesRemaining => _buffer.Length - _position;

    /// <summary>The bytes written so far.</summary>
    public readonly ReadOnlySpan<byte> WrittenSpan => _buffer[.._position];

    /// <summary>Whether a message was begun and not yet ended.</summary>
    public readonly bool HasOpenMessage => _openMessage != 0;

    internal readonly int OpenMessageOffset => _openMessage - 1;

    internal readonly Span<byte> Buffer => _buffer;

    /// <summary>
    /// Starts a message: writes an <c>nlmsghdr</c> whose length <see cref="EndMessage(MessageScope)"/> fills in.
    /// </summary>
    /// <param name="type">nlmsg_type, for example RTM_NEWLINK (16).</param>
    /// <param name="flags">nlmsg_flags; <see cref="NetlinkMessageFlags.Request"/> is added.</param>
    /// <param name="sequence">nlmsg_seq.</param>
    /// <param name="portId">nlmsg_pid (0 addresses the kernel).</param>
    /// <exception cref="InvalidOperationException">A message or a nested attribute is still open, or the buffer is full.</exception>
    public MessageScope BeginMessage(ushort type, NetlinkMessageFlags flags, uint sequence, uint portId = 0)
    {
        if (!TryBeginMessage(type, flags, sequence, portId, out MessageScope scope))
        {
            ThrowTooSmall(NetlinkLayout.MessageHeaderSize);
        }
        return scope;
    }

    /// <summary>
    /// Try-form of <see cref="BeginMessage"/> for a message to the kernel (port id 0): returns
    /// <see langword="false"/>, writing nothing, when the header does not fit.
    /// </summary>
    /// <param name="type">nlmsg_type, for example RTM_NEWLINK (16).</param>
    /// <param name="flags">nlmsg_flags; <see cref="NetlinkMessageFlags.Request"/> is added.</param>
    /// <param name="sequence">nlmsg_seq.</param>
    /// <param name="scope">The token for <see cref="EndMessage(MessageScope)"/>; default when nothing was written.</param>
    /// <exception cref="InvalidOperationException">A message or a nested attribute is still open.</exception>
    public bool TryBeginMessage(ushort type, NetlinkMessageFlags flags, uint sequence, out MessageScope scope) =>
        TryBeginMessage(type, flags, sequence, 0, out scope);

    /// <summary>
    /// Try-form of <see cref="BeginMessage"/>: returns <see langword="false"/>, writing nothing, when the header does
    /// not fit.
    /// </summary>
    /// <param name="type">nlmsg_type, for example RTM_NEWLINK (16).</param>
    /// <param name="flags">nlmsg_flags; <see cref="NetlinkMessageFlags.Request"/> is added.</param>
    /// <param name="sequence">nlmsg_seq.</param>
    /// <param name="portId">nlmsg_pid (0 addresses the kernel).</param>
    /// <param name="scope">The token for <see cref="EndMessage(MessageScope)"/>; default when nothing was written.</param>
    /// <exception cref="InvalidOperationException">A message or a nested attribute is still open.</exception>
    public bool TryBeginMessage(ushort type, NetlinkMessageFlags flags, uint sequence, uint portId, out MessageScope scope)
    {
        if (_openMessage != 0)
        {
            ThrowHelper.ThrowInvalidOperation("the previous message was not ended");
        }
        if (_depth != 0)
        {
            ThrowNestedStillOpen("a message can begin");
        }
        int start = _position;
        if (!TryReserve(NetlinkLayout.MessageHeaderSize, out Span<byte> header))
        {
            scope = default;
            return false;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0);
        MemoryMarshal.Write(header[4..], in type);
        ushort f = (ushort)(flags | NetlinkMessageFlags.Request);
        MemoryMarshal.Write(header[6..], in f);
        MemoryMarshal.Write(header[8..], in sequence);
        MemoryMarshal.Write(header[12..], in portId);
        _openMessage = start + 1;
        scope = new MessageScope(start);
        return true;
    }

    /// <summary>Ends the message begun by <see cref="BeginMessage"/> and writes its length; returns that length.</summary>
    /// <exception cref="InvalidOperationException">
    /// The token does not belong to the open message, or a nested attribute inside it is still open (scopes end
    /// innermost first).
    /// </exception>
    public int EndMessage(MessageScope scope)
    {
        if (scope.Offset == 0 || scope.Offset != _openMessage)
        {
            ThrowHelper.ThrowInvalidOperation(_openMessage == 0
                ? "EndMessage was given a token, but no message is open"
                : "EndMessage was given a token that is not the open message's");
        }
        if (_depth != 0)
        {
            ThrowNestedStillOpen("the message can end");
        }
        int start = scope.Offset - 1;
        int length = _position - start;
        MemoryMarshal.Write(_buffer[start..], in length);
        _openMessage = 0;
        return length;
    }

    /// <summary>Writes a fixed family header such as <c>ifinfomsg</c>, padded with zeros to 4 bytes.</summary>
    /// <exception cref="InvalidOperationException">The buffer is full.</exception>
    public void WriteFamilyHeader<T>(in T header)
        where T : unmanaged
    {
        if (!TryWriteFamilyHeader(in header))
        {
            ThrowTooSmall(Unsafe.SizeOf<T>());
        }
    }

    /// <summary>Try-form of <see cref="WriteFamilyHeader{T}(in T)"/>.</summary>
    public bool TryWriteFamilyHeader<T>(in T header)
        where T : unmanaged
    {
        int size = Unsafe.SizeOf<T>();
        if (!TryReserve(size, out Span<byte> dest))
        {
            return false;
        }
        MemoryMarshal.Write(dest, in header);
        return true;
    }

    /// <summary>
    /// Writes an attribute header for a value of <paramref name="length"/> bytes, zeroes the padding and returns the
    /// value's bytes for the caller to fill (they are zeroed too).
    /// </summary>
    /// <exception cref="InvalidOperationException">The buffer is full.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The length does not fit an attribute.</exception>
    public Span<byte> ReserveAttribute(ushort type, int length)
    {
        if (!TryReserveAttribute(type, length, out Span<byte> value))
        {
            ThrowTooSmall(NetlinkLayout.AttributeHeaderSize + length);
        }
        return value;
    }

    /// <summary>Try-form of <see cref="ReserveAttribute(ushort, int)"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The length does not fit an attribute.</exception>
    public bool TryReserveAttribute(ushort type, int length, out Span<byte> value)
    {
        if ((uint)length > ushort.MaxValue - NetlinkLayout.AttributeHeaderSize)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(length), "an attribute value holds at most 65531 bytes");
        }
        int total = NetlinkLayout.AttributeHeaderSize + length;
        if (!TryReserve(total, out Span<byte> dest))
        {
            value = default;
            return false;
        }
        ushort len = (ushort)total;
        MemoryMarshal.Write(dest, in len);
        MemoryMarshal.Write(dest[2..], in type);
        value = dest.Slice(NetlinkLayout.AttributeHeaderSize, length);
        return true;
    }

    /// <summary>Writes an attribute with the raw <paramref name="value"/> bytes.</summary>
    /// <exception cref="InvalidOperationException">The buffer is full.</exception>
    public void WriteBytes(ushort type, scoped ReadOnlySpan<byte> value) => value.CopyTo(Value(type, value.Length));

    /// <summary>Try-form of <see cref="WriteBytes(ushort, ReadOnlySpan{byte})"/>.</summary>
    public bool TryWriteBytes(ushort type, scoped ReadOnlySpan<byte> value)
    {
        if (!TryValue(type, value.Length, out Span<byte> dest))
        {
            return false;
        }
        value.CopyTo(dest);
        return true;
    }

    /// <summary>Writes an attribute with no value (a flag attribute).</summary>
    /// <exception cref="InvalidOperationException">The buffer is full.</exception>
    public void WriteFlag(ushort type) => Value(type, 0);

    /// <summary>Try-form of <see cref="WriteFlag(ushort)"/>.</summary>
    public bool TryWriteFlag(ushort type) => TryValue(type, 0, out _);

    /// <summary>Writes a u8 attribute.</summary>
    /// <exception cref="InvalidOperationException">The buffer is full.</exception>
    public void WriteUInt8(ushort type, byte value) => Value(type, 1)[0] = value;

    /// <summary>Try-form of <see cref="WriteUInt8(ushort, byte)"/>.</summary>
    public bool TryWriteUInt8(ushort type, byte value)
    {
        if (!TryValue(type, 1, out Span<byte> dest))
        {
            return false;
        }
        dest[0] = value;
        return true;
    }

    /// <summary>Writes a u16 attribute in host byte order.</summary>
    /// <exception cref="InvalidOperationException">The buffer is full.</exception>
    public void WriteUInt16(ushort type, ushort value) => MemoryMarshal.Write(Value(type, 2), in value);

    /// <summary>Try-form of <see cref="WriteUInt16(ushort, ushort)"/>.</summary>
    public bool TryWriteUInt16(ushort type, ushort value)
    {
        if (!TryValue(type, 2, out Span<byte> dest))
        {
            return false;
        }
        MemoryMarshal.Write(dest, in value);
        return true;
    }

    /// <summary>Writes a u16 attribute in network (big-endian) byte order, such as IFLA_VXLAN_PORT.</summary>
    /// <exception cref="InvalidOperationException">The buffer is full.</exception>
    public void WriteUInt16BigEndian(ushort type, ushort value) =>
        BinaryPrimitives.WriteUInt16BigEndian(Value(type, 2), value);

    /// <summary>Try-form of <see cref="WriteUInt16BigEndian(ushort, ushort)"/>.</summary>
    public bool TryWriteUInt16BigEndian(ushort type, ushort value)
    {
        if (!TryValue(type, 2, out Span<byte> dest))
        {
            return false;
        }
        BinaryPrimitives.WriteUInt16BigEndian(dest, value);
        return true;
    }

    /// <summary>Writes a u32 attribute in host byte order.</summary>
    /// <exception cref="InvalidOperationException">The buffer is full.</exception>
    public void WriteUInt32(ushort type, uint value) => MemoryMarshal.Write(Value(type, 4), in value);

    /// <summary>Try-form of <see cref="WriteUInt32(ushort, uint)"/>.</summary>
    public bool TryWriteUInt32(ushort type, uint value)
    {
        if (!TryValue(type, 4, out Span<byte> dest))
        {
            return false;
        }
        MemoryMarshal.Write(dest, in value);
        return true;
    }

    /// <summary>Writes an s32 attribute in host byte order.</summary>
    /// <exception cref="InvalidOperationException">The buffer is full.</exception>
    public void WriteInt32(ushort type, int value) => MemoryMarshal.Write(Value(type, 4), in value);

    /// <summary>Try-form of <see cref="WriteInt32(ushort, int)"/>.</summary>
    public bool TryWriteInt32(ushort type, int value)
    {
        if (!TryValue(type, 4, out Span<byte> dest))
        {
            return false;
        }
        MemoryMarshal.Write(dest, in value);
        return true;
    }

    /// <summary>Writes a u32 attribute in network (big-endian) byte order.</summary>
    /// <exception cref="InvalidOperationException">The buffer is full.</exception>
    public void WriteUInt32BigEndian(ushort type, uint value) =>
        BinaryPrimitives.WriteUInt32BigEndian(Value(type, 4), value);

    /// <summary>Try-form of <see cref="WriteUInt32BigEndian(ushort, uint)"/>.</summary>
    public bool TryWriteUInt32BigEndian(ushort type, uint value)
    {
        if (!TryValue(type, 4, out Span<byte> dest))
        {
            return false;
        }
        BinaryPrimitives.WriteUInt32BigEndian(dest, value);
        return true;
    }

    /// <summary>Writes a u64 attribute in host byte order.</summary>
    /// <exception cref="InvalidOperationException">The buffer is full.</exception>
    public void WriteUInt64(ushort type, ulong value) => MemoryMarshal.Write(Value(type, 8), in value);

    /// <summary>Try-form of <see cref="WriteUInt64(ushort, ulong)"/>.</summary>
    public bool TryWriteUInt64(ushort type, ulong value)
    {
        if (!TryValue(type, 8, out Span<byte> dest))
        {
            return false;
        }
        MemoryMarshal.Write(dest, in value);
        return true;
    }

    /// <summary>Writes a fixed-layout struct (for example <c>tc_ratespec</c>) as an attribute value.</summary>
    /// <exception cref="InvalidOperationException">The buffer is full.</exception>
    public void WriteStruct<T>(ushort type, in T value)
        where T : unmanaged => MemoryMarshal.Write(Value(type, Unsafe.SizeOf<T>()), in value);

    /// <summary>Try-form of <see cref="WriteStruct{T}(ushort, in T)"/>.</summary>
    public bool TryWriteStruct<T>(ushort type, in T value)
        where T : unmanaged
    {
        if (!TryValue(type, Unsafe.SizeOf<T>(), out Span<byte> dest))
        {
            return false;
        }
        MemoryMarshal.Write(dest, in value);
        return true;
    }

    /// <summary>Writes <paramref name="value"/> as a NUL-terminated UTF-8 string attribute.</summary>
    /// <exception cref="InvalidOperationException">The buffer is full.</exception>
    public void WriteString(ushort type, scoped ReadOnlySpan<char> value)
    {
        if (!TryWriteString(type, value))
        {
            ThrowTooSmall(NetlinkLayout.AttributeHeaderSize + Encoding.UTF8.GetByteCount(value) + 1);
        }
    }

    /// <summary>Try-form of <see cref="WriteString(ushort, ReadOnlySpan{char})"/>.</summary>
    public bool TryWriteString(ushort type, scoped ReadOnlySpan<char> value)
    {
        // Interface names and kinds are ASCII: one byte per char, no counting pass.
        if (System.Text.Ascii.IsValid(value))
        {
            if (!TryValue(type, value.Length + 1, out Span<byte> ascii))
            {
                return false;
            }
            System.Text.Ascii.FromUtf16(value, ascii, out _);
            ascii[value.Length] = 0;
            return true;
        }
        int byteCount = Encoding.UTF8.GetByteCount(value);
        if (!TryValue(type, byteCount + 1, out Span<byte> dest))
        {
            return false;
        }
        Encoding.UTF8.GetBytes(value, dest);
        dest[byteCount] = 0;
        return true;
    }

    /// <summary>Writes UTF-8 bytes (without a terminator) as a NUL-terminated string attribute.</summary>
    /// <exception cref="InvalidOperationException">The buffer is full.</exception>
    public void WriteString(ushort type, scoped ReadOnlySpan<byte> utf8)
    {
        Span<byte> dest = Value(type, utf8.Length + 1);
        utf8.CopyTo(dest);
        dest[utf8.Length] = 0;
    }

    /// <summary>Try-form of <see cref="WriteString(ushort, ReadOnlySpan{byte})"/>.</summary>
    public bool TryWriteString(ushort type, scoped ReadOnlySpan<byte> utf8)
    {
        if (!TryValue(type, utf8.Length + 1, out Span<byte> dest))
        {
            return false;
        }
        utf8.CopyTo(dest);
        dest[utf8.Length] = 0;
        return true;
    }

    /// <summary>Writes an IPv4 (4 bytes) or IPv6 (16 bytes) address attribute in network byte order.</summary>
    /// <exception cref="InvalidOperationException">The buffer is full.</exception>
    public void WriteIPAddress(ushort type, IPAddress address)
    {
        if (!TryWriteIPAddress(type, address))
        {
            ThrowTooSmall(NetlinkLayout.AttributeHeaderSize + 16);
        }
    }

    /// <summary>Try-form of <see cref="WriteIPAddress(ushort, IPAddress)"/>.</summary>
    public bool TryWriteIPAddress(ushort type, IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        int length = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? 16 : 4;
        if (!TryValue(type, length, out Span<byte> dest))
        {
            return false;
        }
        address.TryWriteBytes(dest, out _);
        return true;
    }

    /// <summary>Writes a link-layer (MAC) address attribute.</summary>
    /// <exception cref="InvalidOperationException">The buffer is full.</exception>
    public void WriteMacAddress(ushort type, scoped ReadOnlySpan<byte> address) => WriteBytes(type, address);

    /// <summary>Try-form of <see cref="WriteMacAddress(ushort, ReadOnlySpan{byte})"/>.</summary>
    public bool TryWriteMacAddress(ushort type, scoped ReadOnlySpan<byte> address) => TryWriteBytes(type, address);

    /// <summary>
    /// Starts a nested attribute with NLA_F_NESTED set; attributes written until
    /// <see cref="EndNested(NestedScope)"/> become its value.
    /// </summary>
    /// <exception cref="InvalidOperationException">The buffer is full.</exception>
    public NestedScope BeginNested(ushort type) => BeginNested(type, setNestedFlag: true);

    /// <summary>
    /// Starts a nested attribute; <paramref name="setNestedFlag"/> = <see langword="false"/> leaves NLA_F_NESTED clear
    /// for the few old attributes that some kernels compare without masking (IFLA_VF_*, some tc options).
    /// </summary>
    /// <exception cref="InvalidOperationException">The buffer is full.</exception>
    public NestedScope BeginNested(ushort type, bool setNestedFlag)
    {
        if (!TryBeginNested(type, setNestedFlag, out NestedScope scope))
        {
            ThrowTooSmall(NetlinkLayout.AttributeHeaderSize);
        }
        return scope;
    }

    /// <summary>Try-form of <see cref="BeginNested(ushort)"/>.</summary>
    /// <param name="type">The attribute type (NLA_F_NESTED is added).</param>
    /// <param name="scope">The token for <see cref="EndNested(NestedScope)"/>; default when nothing was written.</param>
    public bool TryBeginNested(ushort type, out NestedScope scope) => TryBeginNested(type, setNestedFlag: true, out scope);

    /// <summary>Try-form of <see cref="BeginNested(ushort, bool)"/>.</summary>
    /// <param name="type">The attribute type.</param>
    /// <param name="setNestedFlag">Whether NLA_F_NESTED is set in the type.</param>
    /// <param name="scope">The token for <see cref="EndNested(NestedScope)"/>; default when nothing was written.</param>
    public bool TryBeginNested(ushort type, bool setNestedFlag, out NestedScope scope)
    {
        int start = _position;
        if (!TryValue(setNestedFlag ? (ushort)(type | NetlinkLayout.NestedFlag) : type, 0, out _))
        {
            scope = default;
            return false;
        }
        // The token remembers the enclosing scope, so the writer needs no stack to know the next innermost one.
        scope = new NestedScope(start, _innermost);
        _innermost = start + 1;
        _depth++;
        return true;
    }

    /// <summary>Ends the innermost open nested attribute and writes its length.</summary>
    /// <exception cref="InvalidOperationException">
    /// The token is not the innermost open nested attribute's (an outer one, one already ended, or not from this
    /// writer), or the nested value exceeds 65535 bytes.
    /// </exception>
    public void EndNested(NestedScope scope)
    {
        if (scope.Offset == 0 || scope.Offset != _innermost)
        {
            ThrowNotInnermost(scope);
        }
        int start = scope.Offset - 1;
        int length = _position - start;
        if (length > ushort.MaxValue)
        {
            ThrowHelper.ThrowInvalidOperation("nested attribute exceeds 65535 bytes");
        }
        ushort len = (ushort)length;
        MemoryMarshal.Write(_buffer[start..], in len);
        _innermost = scope.Parent;
        _depth--;
    }

    /// <summary>
    /// Writes raw bytes (padded with zeros to 4 bytes) where a structure rather than an attribute belongs, such as
    /// the <c>rtnexthop</c> headers inside RTA_MULTIPATH.
    /// </summary>
    /// <exception cref="InvalidOperationException">The buffer is full.</exception>
    public void WriteRaw(scoped ReadOnlySpan<byte> bytes) => bytes.CopyTo(Reserve(bytes.Length));

    /// <summary>Try-form of <see cref="WriteRaw(ReadOnlySpan{byte})"/>.</summary>
    public bool TryWriteRaw(scoped ReadOnlySpan<byte> bytes)
    {
        if (!TryReserve(bytes.Length, out Span<byte> dest))
        {
            return false;
        }
        bytes.CopyTo(dest);
        return true;
    }

    /// <summary>Overwrites a u16 already written at <paramref name="offset"/> (a length known only afterwards).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The offset is not inside the bytes written.</exception>
    public readonly void PatchUInt16(int offset, ushort value)
    {
        if ((uint)offset > (uint)(_position - 2))
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(offset), "the offset is not inside the bytes written");
        }
        MemoryMarshal.Write(_buffer[offset..], in value);
    }

    /// <summary>Forgets everything written (the buffer is reused from its start).</summary>
    public void Reset()
    {
        _position = 0;
        _openMessage = 0;
        _depth = 0;
        _innermost = 0;
    }

    // An attribute whose value the caller overwrites completely: only the padding is zeroed.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Span<byte> Value(ushort type, int length)
    {
        if (!TryValue(type, length, out Span<byte> value))
        {
            ThrowTooSmall(NetlinkLayout.AttributeHeaderSize + length);
        }
        return value;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryValue(ushort type, int length, out Span<byte> value)
    {
        int total = NetlinkLayout.AttributeHeaderSize + length;
        int aligned = NetlinkLayout.Align(total);
        if ((uint)aligned > (uint)(_buffer.Length - _position) || (uint)total > ushort.MaxValue)
        {
            if ((uint)total > ushort.MaxValue)
            {
                ThrowHelper.ThrowArgumentOutOfRange(nameof(length), "an attribute value holds at most 65531 bytes");
            }
            value = default;
            return false;
        }
        ref byte start = ref Unsafe.Add(ref MemoryMarshal.GetReference(_buffer), _position);
        // nla_len and nla_type in one host-order store; then zero the (at most 3) padding bytes by one store into
        // the last aligned word before the value is written over its first bytes.
        Unsafe.WriteUnaligned(ref start, (uint)total | ((uint)type << 16));
        if (aligned != total)
        {
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref start, aligned - 4), 0u);
        }
        value = MemoryMarshal.CreateSpan(ref Unsafe.Add(ref start, NetlinkLayout.AttributeHeaderSize), length);
        _position += aligned;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Span<byte> Reserve(int length)
    {
        if (!TryReserve(length, out Span<byte> dest))
        {
            ThrowTooSmall(length);
        }
        return dest;
    }

    // Reserves length bytes plus zeroed padding to the 4-byte boundary; all returned bytes are zeroed.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryReserve(int length, out Span<byte> dest)
    {
        int aligned = NetlinkLayout.Align(length);
        if ((uint)aligned > (uint)(_buffer.Length - _position))
        {
            dest = default;
            return false;
        }
        Span<byte> all = _buffer.Slice(_position, aligned);
        all.Clear();
        _position += aligned;
        dest = all[..length];
        return true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private readonly void ThrowTooSmall(int needed) => ThrowHelper.ThrowBufferTooSmall(needed, _buffer.Length - _position);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private readonly void ThrowNestedStillOpen(string what) =>
        throw new InvalidOperationException(
            $"{_depth} nested attribute(s) still open, the innermost begun at offset {_innermost - 1}; end them (innermost first) before {what}");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private readonly void ThrowNotInnermost(NestedScope scope)
    {
        if (scope.Offset == 0 || _depth == 0)
        {
            throw new InvalidOperationException(
                "EndNested was given a token, but no nested attribute is open (a default token, or one already ended)");
        }
        throw new InvalidOperationException(
            $"EndNested was given the nested attribute begun at offset {scope.Offset - 1}, which is not the innermost open one (begun at offset {_innermost - 1}); end nested attributes innermost first");
    }
}
