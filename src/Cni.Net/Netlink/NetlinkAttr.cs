using System.Buffers.Binary;
using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Cni.Net.Netlink;

/// <summary>
/// One attribute: its type (flags masked off), flags and value. The typed getters check the value's length and throw
/// <see cref="NetlinkProtocolException"/> when it is too short; longer values (a kernel that grew a struct) are read
/// from their start.
/// </summary>
public readonly ref struct NetlinkAttr
{
    private readonly ushort _rawType;

    internal NetlinkAttr(ushort rawType, ReadOnlySpan<byte> value)
    {
        _rawType = rawType;
        Value = value;
    }

    /// <summary>The attribute type with NLA_F_NESTED and NLA_F_NET_BYTEORDER masked off.</summary>
    public ushort Type => (ushort)(_rawType & NetlinkLayout.AttributeTypeMask);

    /// <summary>Whether NLA_F_NESTED is set.</summary>
    public bool IsNested => (_rawType & NetlinkLayout.NestedFlag) != 0;

    /// <summary>Whether NLA_F_NET_BYTEORDER is set.</summary>
    public bool IsNetworkByteOrder => (_rawType & NetlinkLayout.NetByteOrderFlag) != 0;

    /// <summary>The value bytes (without header and padding).</summary>
    public ReadOnlySpan<byte> Value { get; }

    /// <summary>Reads a u8.</summary>
    /// <exception cref="NetlinkProtocolException">The value is shorter than 1 byte.</exception>
    public byte GetUInt8()
    {
        Require(1);
        return Value[0];
    }

    /// <summary>Reads a u16 in host order.</summary>
    /// <exception cref="NetlinkProtocolException">The value is shorter than 2 bytes.</exception>
    public ushort GetUInt16()
    {
        Require(2);
        return MemoryMarshal.Read<ushort>(Value);
    }

    /// <summary>Reads a big-endian u16 (such as IFLA_VXLAN_PORT).</summary>
    /// <exception cref="NetlinkProtocolException">The value is shorter than 2 bytes.</exception>
    public ushort GetUInt16BigEndian()
    {
        Require(2);
        return BinaryPrimitives.ReadUInt16BigEndian(Value);
    }

    /// <summary>Reads a u32 in host order.</summary>
    /// <exception cref="NetlinkProtocolException">The value is shorter than 4 bytes.</exception>
    public uint GetUInt32()
    {
        Require(4);
        return MemoryMarshal.Read<uint>(Value);
    }

    /// <summary>Reads an s32 in host order.</summary>
    /// <exception cref="NetlinkProtocolException">The value is shorter than 4 bytes.</exception>
    public int GetInt32()
    {
        Require(4);
        return MemoryMarshal.Read<int>(Value);
    }

    /// <summary>Reads a big-endian u32.</summary>
    /// <exception cref="NetlinkProtocolException">The value is shorter than 4 bytes.</exception>
    public uint GetUInt32BigEndian()
    {
        Require(4);
        return BinaryPrimitives.ReadUInt32BigEndian(Value);
    }

    /// <summary>Reads a u64 in host order.</summary>
    /// <exception cref="NetlinkProtocolException">The value is shorter than 8 bytes.</exception>
    public ulong GetUInt64()
    {
        Require(8);
        return MemoryMarshal.Read<ulong>(Value);
    }

    /// <summary>
    /// Reads a fixed-layout struct; a shorter value (an older kernel's smaller struct) is zero-extended.
    /// </summary>
    public T GetStruct<T>()
        where T : unmanaged
    {
        int size = Unsafe.SizeOf<T>();
        if (Value.Length >= size)
        {
            return MemoryMarshal.Read<T>(Value);
        }
        T result = default;
        Value.CopyTo(MemoryMarshal.AsBytes(new Span<T>(ref result)));
        return result;
    }

    /// <summary>The string's UTF-8 bytes up to (not including) the first NUL.</summary>
    public ReadOnlySpan<byte> GetStringBytes()
    {
        int nul = Value.IndexOf((byte)0);
        return nul >= 0 ? Value[..nul] : Value;
    }

    /// <summary>Reads a NUL-terminated string (allocates the string).</summary>
    public string GetString() => Encoding.UTF8.GetString(GetStringBytes());

    /// <summary>Whether the string value equals <paramref name="utf8"/> (no allocation).</summary>
    public bool StringEquals(ReadOnlySpan<byte> utf8) => GetStringBytes().SequenceEqual(utf8);

    /// <summary>Reads a 4- or 16-byte IP address.</summary>
    /// <exception cref="NetlinkProtocolException">The value is neither 4 nor 16 bytes.</exception>
    public IPAddress GetIPAddress()
    {
        if (Value.Length != 4 && Value.Length != 16)
        {
            ThrowHelper.ThrowProtocol($"attribute {Type} has {Value.Length} bytes, an IP address has 4 or 16");
        }
        return new IPAddress(Value);
    }

    /// <summary>Enumerates the attributes nested in this one.</summary>
    public NetlinkAttributeEnumerator GetNested() => new(Value);

    private void Require(int length)
    {
        if (Value.Length < length)
        {
            ThrowHelper.ThrowAttributeLength(Type, Value.Length, length);
        }
    }
}
