using System.Runtime.InteropServices;

namespace Cni.Net.Netlink;

/// <summary>
/// Enumerates netlink attributes (<c>struct nlattr</c> TLVs). An <c>nla_len</c> below 4 or beyond the remaining
/// bytes throws <see cref="NetlinkProtocolException"/>; trailing bytes too short for a header end the sequence.
/// Usable with <c>foreach</c>.
/// </summary>
public ref struct NetlinkAttributeEnumerator
{
    private readonly ReadOnlySpan<byte> _data;
    private int _next;
    private NetlinkAttr _current;

    /// <summary>Enumerates the attributes in <paramref name="data"/>.</summary>
    public NetlinkAttributeEnumerator(ReadOnlySpan<byte> data)
    {
        _data = data;
        _next = 0;
        _current = default;
    }

    /// <summary>The attribute at the current position.</summary>
    public readonly NetlinkAttr Current => _current;

    /// <summary>Returns this enumerator (for <c>foreach</c>).</summary>
    public readonly NetlinkAttributeEnumerator GetEnumerator() => this;

    /// <summary>Advances to the next attribute.</summary>
    /// <exception cref="NetlinkProtocolException">An attribute length is invalid.</exception>
    public bool MoveNext()
    {
        int remaining = _data.Length - _next;
        if (remaining < NetlinkLayout.AttributeHeaderSize)
        {
            _next = _data.Length;
            return false;
        }
        ReadOnlySpan<byte> rest = _data[_next..];
        ushort length = MemoryMarshal.Read<ushort>(rest);
        ushort type = MemoryMarshal.Read<ushort>(rest[2..]);
        if (length < NetlinkLayout.AttributeHeaderSize || length > remaining)
        {
            ThrowHelper.ThrowProtocol($"attribute length {length} is outside 4..{remaining}");
        }
        _current = new NetlinkAttr(type, rest[NetlinkLayout.AttributeHeaderSize..length]);
        _next += Math.Min(NetlinkLayout.Align(length), remaining);
        return true;
    }
}
