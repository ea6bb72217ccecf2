using System.Net;
using System.Net.Sockets;

namespace Cni.Net.Dhcp;

/// <summary>Layout of a DHCP message (RFC 2131 section 2): the fixed BOOTP header, the magic cookie, the options.</summary>
internal static class DhcpMessage
{
    public const byte BootRequest = 1;
    public const byte BootReply = 2;
    public const byte EthernetType = 1;
    public const int OpOffset = 0;
    public const int HardwareTypeOffset = 1;
    public const int HardwareLengthOffset = 2;
    public const int TransactionIdOffset = 4;
    public const int SecondsOffset = 8;
    public const int FlagsOffset = 10;
    public const int ClientAddressOffset = 12;
    public const int YourAddressOffset = 16;
    public const int ServerAddressOffset = 20;
    public const int RelayAddressOffset = 24;
    public const int ClientHardwareOffset = 28;
    public const int CookieOffset = 236;
    public const int OptionsOffset = 240;
    public const ushort BroadcastFlag = 0x8000;

    /// <summary>BOOTP relays drop shorter messages, so a request is padded to this size (RFC 1542 section 2.1).</summary>
    public const int MinimumLength = 300;

    /// <summary>The magic cookie 99.130.83.99 that starts the options.</summary>
    public const uint MagicCookie = 0x63825363;

    public static IPAddress ReadAddress(ReadOnlySpan<byte> bytes) => new(bytes[..4]);

    public static void WriteAddress(Span<byte> destination, IPAddress? address)
    {
        if (address is null)
        {
            destination[..4].Clear();
            return;
        }
        if (address.AddressFamily != AddressFamily.InterNetwork || !address.TryWriteBytes(destination[..4], out _))
        {
            throw new ArgumentException($"{address} is not an IPv4 address", nameof(address));
        }
    }
}
