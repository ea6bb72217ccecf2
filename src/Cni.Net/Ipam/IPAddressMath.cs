using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Cni.Net.Ipam;

/// <summary>
/// Address arithmetic on <see cref="UInt128"/> so that IPv4 and IPv6 share one code path without allocating:
/// an IPv4 address occupies the low 32 bits.
/// </summary>
internal static class IPAddressMath
{
    public static int BitLength(bool isIPv6) => isIPv6 ? 128 : 32;

    /// <summary>IPv4-mapped IPv6 addresses count as IPv4, as the reference plugins treat them.</summary>
    public static IPAddress Canonicalize(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0)
        {
            // A zone index has no meaning for an allocation and would leak into file names.
            Span<byte> bytes = stackalloc byte[16];
            address.TryWriteBytes(bytes, out _);
            return new IPAddress(bytes);
        }
        return address;
    }

    public static UInt128 ToValue(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out int written))
        {
            throw new UnreachableException();
        }
        return written == 4
            ? BinaryPrimitives.ReadUInt32BigEndian(bytes)
            : BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    public static IPAddress FromValue(UInt128 value, bool isIPv6)
    {
        if (!isIPv6)
        {
            Span<byte> v4 = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(v4, (uint)value);
            return new IPAddress(v4);
        }
        Span<byte> v6 = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(v6, value);
        return new IPAddress(v6);
    }

    /// <summary>The mask of the host part of a prefix: all ones in the low <c>bits - prefixLength</c> bits.</summary>
    public static UInt128 HostMask(int prefixLength, bool isIPv6)
    {
        int hostBits = BitLength(isIPv6) - prefixLength;
        return hostBits >= 128 ? UInt128.MaxValue : (UInt128.One << hostBits) - UInt128.One;
    }

    /// <summary>
    /// Formats an address exactly as Go's <c>net.IP.String()</c> does, because the reference plugin names its
    /// files that way: dotted IPv4; lower-case IPv6 with the longest run of two or more zero groups written
    /// <c>::</c> (the first such run on a tie) and never an embedded dotted quad.
    /// </summary>
    public static string Format(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return address.ToString();
        }
        Span<char> text = stackalloc char[40];
        return new string(text[..Format(ToValue(address), isIPv6: true, text)]);
    }

    /// <summary>The Go form of an address value.</summary>
    public static string Format(UInt128 value, bool isIPv6)
    {
        Span<char> text = stackalloc char[40];
        return new string(text[..Format(value, isIPv6, text)]);
    }

    /// <summary>Writes the Go form of an address into <paramref name="destination"/> (at least 40 chars).</summary>
    public static int Format(UInt128 value, bool isIPv6, Span<char> destination)
    {
        if (!isIPv6)
        {
            uint v = (uint)value;
            int n = 0;
            for (int i = 3; i >= 0; i--)
            {
                ((byte)(v >> (i * 8))).TryFormat(destination[n..], out int w, default, System.Globalization.CultureInfo.InvariantCulture);
                n += w;
                if (i != 0)
                {
                    destination[n++] = '.';
                }
            }
            return n;
        }

        Span<ushort> groups = stackalloc ushort[8];
        for (int i = 0; i < 8; i++)
        {
            groups[i] = (ushort)(value >> ((7 - i) * 16));
        }

        int bestStart = -1, bestLength = 0;
        for (int i = 0; i < 8;)
        {
            if (groups[i] != 0)
            {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && groups[j] == 0)
            {
                j++;
            }
            if (j - i >= 2 && j - i > bestLength)
            {
                bestStart = i;
                bestLength = j - i;
            }
            i = j;
        }

        int pos = 0;
        for (int i = 0; i < 8; i++)
        {
            if (i == bestStart)
            {
                destination[pos++] = ':';
                destination[pos++] = ':';
                i += bestLength - 1;
                continue;
            }
            if (i != 0 && pos > 0 && destination[pos - 1] != ':')
            {
                destination[pos++] = ':';
            }
            groups[i].TryFormat(destination[pos..], out int w, "x", System.Globalization.CultureInfo.InvariantCulture);
            pos += w;
        }
        return pos;
    }
}
