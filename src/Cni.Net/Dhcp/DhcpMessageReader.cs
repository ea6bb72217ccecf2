using System.Buffers.Binary;
using System.Net;

namespace Cni.Net.Dhcp;

/// <summary>
/// Reads a DHCP message from a caller-owned buffer without copying: the fixed header's fields and the options.
/// <see cref="TryRead"/> checks every length once, so the accessors never read out of bounds. Options in the
/// <c>sname</c>/<c>file</c> fields (option overload, 52) are not read.
/// </summary>
public readonly ref struct DhcpMessageReader
{
    private readonly ReadOnlySpan<byte> _message;
    private readonly ReadOnlySpan<byte> _options;

    private DhcpMessageReader(ReadOnlySpan<byte> message, ReadOnlySpan<byte> options)
    {
        _message = message;
        _options = options;
    }

    /// <summary>
    /// Accepts <paramref name="message"/> when it has the BOOTP header, the magic cookie and options whose lengths
    /// stay inside it (a missing End option is tolerated).
    /// </summary>
    /// <returns>False for anything else: truncated, not DHCP, malformed options.</returns>
    public static bool TryRead(ReadOnlySpan<byte> message, out DhcpMessageReader reader)
    {
        reader = default;
        if (message.Length < DhcpMessage.OptionsOffset
            || message[DhcpMessage.OpOffset] is not (DhcpMessage.BootRequest or DhcpMessage.BootReply)
            || message[DhcpMessage.HardwareLengthOffset] > 16
            || BinaryPrimitives.ReadUInt32BigEndian(message[DhcpMessage.CookieOffset..]) != DhcpMessage.MagicCookie)
        {
            return false;
        }
        ReadOnlySpan<byte> options = message[DhcpMessage.OptionsOffset..];
        int i = 0;
        while (i < options.Length)
        {
            byte code = options[i];
            if (code == DhcpOptionCode.End)
            {
                options = options[..i];
                break;
            }
            if (code == DhcpOptionCode.Pad)
            {
                i++;
                continue;
            }
            if ((uint)(i + 1) >= (uint)options.Length || i + 2 + options[i + 1] > options.Length)
            {
                return false;
            }
            i += 2 + options[i + 1];
        }
        reader = new DhcpMessageReader(message, options);
        return true;
    }

    /// <summary>op: 1 for a client's BOOTREQUEST, 2 for a server's BOOTREPLY.</summary>
    public byte Operation => _message[DhcpMessage.OpOffset];

    /// <summary>xid.</summary>
    public uint TransactionId => BinaryPrimitives.ReadUInt32BigEndian(_message[DhcpMessage.TransactionIdOffset..]);

    /// <summary>Whether the broadcast flag is set.</summary>
    public bool Broadcast => (BinaryPrimitives.ReadUInt16BigEndian(_message[DhcpMessage.FlagsOffset..]) & DhcpMessage.BroadcastFlag) != 0;

    /// <summary>ciaddr.</summary>
    public IPAddress ClientAddress => DhcpMessage.ReadAddress(_message[DhcpMessage.ClientAddressOffset..]);

    /// <summary>yiaddr: the address the server offers or grants.</summary>
    public IPAddress YourAddress => DhcpMessage.ReadAddress(_message[DhcpMessage.YourAddressOffset..]);

    /// <summary>siaddr.</summary>
    public IPAddress ServerAddress => DhcpMessage.ReadAddress(_message[DhcpMessage.ServerAddressOffset..]);

    /// <summary>chaddr, <c>hlen</c> bytes long.</summary>
    public ReadOnlySpan<byte> HardwareAddress => _message.Slice(DhcpMessage.ClientHardwareOffset, _message[DhcpMessage.HardwareLengthOffset]);

    /// <summary>Option 53, or <see cref="DhcpMessageType.None"/> when absent or malformed.</summary>
    public DhcpMessageType MessageType
        => TryGetOption(DhcpOptionCode.MessageType, out ReadOnlySpan<byte> value) && value.Length == 1 ? (DhcpMessageType)value[0] : DhcpMessageType.None;

    /// <summary>The value of the first instance of option <paramref name="code"/>.</summary>
    /// <returns>False when the message does not carry it.</returns>
    public bool TryGetOption(byte code, out ReadOnlySpan<byte> value)
    {
        var options = new OptionEnumerator(_options);
        while (options.MoveNext())
        {
            if (options.Code == code)
            {
                value = options.Value;
                return true;
            }
        }
        value = default;
        return false;
    }

    /// <summary>
    /// The total length of every instance of option <paramref name="code"/>: a long option is split into several
    /// that the reader concatenates (RFC 3396). 0 when absent.
    /// </summary>
    public int GetOptionLength(byte code)
    {
        int total = 0;
        var options = new OptionEnumerator(_options);
        while (options.MoveNext())
        {
            if (options.Code == code)
            {
                total += options.Value.Length;
            }
        }
        return total;
    }

    /// <summary>Copies every instance of option <paramref name="code"/>, concatenated, into <paramref name="destination"/>.</summary>
    /// <returns>The bytes copied.</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="GetOptionLength"/>.</exception>
    public int CopyOption(byte code, Span<byte> destination)
    {
        int written = 0;
        var options = new OptionEnumerator(_options);
        while (options.MoveNext())
        {
            if (options.Code == code)
            {
                if (!options.Value.TryCopyTo(destination[written..]))
                {
                    throw new ArgumentException($"option {code} does not fit {destination.Length} bytes", nameof(destination));
                }
                written += options.Value.Length;
            }
        }
        return written;
    }

    /// <summary>Walks options already validated by <see cref="TryRead"/>.</summary>
    private ref struct OptionEnumerator(ReadOnlySpan<byte> options)
    {
        private readonly ReadOnlySpan<byte> _options = options;
        private int _next;

        public byte Code { get; private set; }

        public ReadOnlySpan<byte> Value { get; private set; }

        public bool MoveNext()
        {
            while (_next < _options.Length && _options[_next] == DhcpOptionCode.Pad)
            {
                _next++;
            }
            if (_next >= _options.Length)
            {
                return false;
            }
            Code = _options[_next];
            int length = _options[_next + 1];
            Value = _options.Slice(_next + 2, length);
            _next += 2 + length;
            return true;
        }
    }
}
