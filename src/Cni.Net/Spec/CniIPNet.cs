using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Cni.Net.Spec;

/// <summary>
/// An IP address with a prefix length as CNI writes it (<c>"10.1.0.5/24"</c>). Unlike <see cref="IPNetwork"/>
/// the host bits survive: a result's address is the interface's own address, not its network.
/// </summary>
public readonly struct CniIPNet : IEquatable<CniIPNet>
{
    /// <summary>Creates the value.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The prefix length does not fit the address family.</exception>
    public CniIPNet(IPAddress address, int prefixLength)
    {
        ArgumentNullException.ThrowIfNull(address);
        int max = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        ArgumentOutOfRangeException.ThrowIfNegative(prefixLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefixLength, max);
        Address = address;
        PrefixLength = prefixLength;
    }

    /// <summary>The address (host bits kept).</summary>
    public IPAddress Address { get; }

    /// <summary>The prefix length.</summary>
    public int PrefixLength { get; }

    /// <summary>Whether the address is IPv4.</summary>
    public bool IsIPv4 => Address?.AddressFamily == AddressFamily.InterNetwork;

    /// <summary>The network the address belongs to (host bits cleared).</summary>
    public IPNetwork Network
    {
        get
        {
            Span<byte> bytes = stackalloc byte[16];
            Address.TryWriteBytes(bytes, out int length);
            bytes = bytes[..length];
            for (int bit = PrefixLength; bit < length * 8; bit++)
            {
                bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
            }
            return new IPNetwork(new IPAddress(bytes), PrefixLength);
        }
    }

    /// <summary>Parses <c>address/prefix</c>.</summary>
    /// <exception cref="FormatException">The text is not an address with a prefix length.</exception>
    public static CniIPNet Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return TryParse(value, out CniIPNet result)
            ? result
            : throw new FormatException($"'{CniJson.Truncate(value)}' is not an address with a prefix length (CIDR)");
    }

    /// <summary>Parses <c>address/prefix</c> strictly (dotted-quad IPv4 or IPv6 without zone).</summary>
    public static bool TryParse(ReadOnlySpan<char> value, out CniIPNet result)
    {
        result = default;
        int slash = value.IndexOf('/');
        if (slash < 0 || !TryParseAddress(value[..slash], out IPAddress? address))
        {
            return false;
        }
        ReadOnlySpan<char> prefix = value[(slash + 1)..];
        int max = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        if (prefix.IsEmpty || prefix.Length > 3 || prefix.ContainsAnyExceptInRange('0', '9') ||
            !int.TryParse(prefix, NumberStyles.None, CultureInfo.InvariantCulture, out int length) || length > max)
        {
            return false;
        }
        result = new CniIPNet(address, length);
        return true;
    }

    /// <summary>
    /// Parses an address the way Go's net.ParseIP does: IPv4 only as four decimal octets, IPv6 without a zone
    /// (IPAddress.TryParse alone would also accept "1" or "0x7f.1").
    /// </summary>
    internal static bool TryParseAddress(ReadOnlySpan<char> text, [NotNullWhen(true)] out IPAddress? address)
    {
        address = null;
        if (text.IsEmpty || text.Length > 45 || text.Contains('%'))
        {
            return false;
        }
        if (!text.Contains(':'))
        {
            int dots = 0;
            int digits = 0;
            bool leadingZero = false;
            foreach (char c in text)
            {
                if (c == '.')
                {
                    if (digits == 0)
                    {
                        return false;
                    }
                    dots++;
                    digits = 0;
                }
                else if (char.IsAsciiDigit(c) && !(digits == 1 && leadingZero) && ++digits <= 3)
                {
                    // A leading zero would be octal to IPAddress.TryParse; Go rejects it.
                    leadingZero = digits == 1 && c == '0';
                }
                else
                {
                    return false;
                }
            }
            if (dots != 3 || digits == 0)
            {
                return false;
            }
        }
        return IPAddress.TryParse(text, out address);
    }

    /// <summary><c>address/prefix</c>.</summary>
    public override string ToString() =>
        Address is null ? string.Empty : string.Create(CultureInfo.InvariantCulture, $"{Address}/{PrefixLength}");

    /// <inheritdoc/>
    public bool Equals(CniIPNet other) => PrefixLength == other.PrefixLength && Equals(Address, other.Address);

    /// <inheritdoc/>
    public override bool Equals([NotNullWhen(true)] object? obj) => obj is CniIPNet other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Address, PrefixLength);

    /// <summary>Equality.</summary>
    public static bool operator ==(CniIPNet left, CniIPNet right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(CniIPNet left, CniIPNet right) => !left.Equals(right);
}
