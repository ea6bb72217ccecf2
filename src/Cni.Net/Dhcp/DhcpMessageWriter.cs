using System.Buffers.Binary;
using System.Net;

namespace Cni.Net.Dhcp;

/// <summary>
/// Writes one client DHCP message (a BOOTREQUEST) into a caller-owned buffer: <see cref="WriteHeader"/> first, then
/// options, then <see cref="Complete"/>. Allocates nothing.
/// </summary>
public ref struct DhcpMessageWriter
{
    private readonly Span<byte> _buffer;
    private int _position;
    private bool _headerWritten;

    /// <summary>Starts a writer over <paramref name="destination"/>, which must hold at least 300 bytes.</summary>
    /// <exception cref="ArgumentException">The buffer is shorter than a minimal DHCP message.</exception>
    public DhcpMessageWriter(Span<byte> destination)
    {
        if (destination.Length < DhcpMessage.MinimumLength)
        {
            throw new ArgumentException($"a DHCP message needs at least {DhcpMessage.MinimumLength} bytes", nameof(destination));
        }
        _buffer = destination;
    }

    /// <summary>The bytes written so far.</summary>
    public readonly int BytesWritten => _position;

    /// <summary>
    /// Writes the fixed header and the magic cookie of a BOOTREQUEST on Ethernet, then the message type option.
    /// </summary>
    /// <param name="type">The DHCP message type (option 53).</param>
    /// <param name="transactionId">xid, chosen by the client and echoed by the server.</param>
    /// <param name="seconds">Seconds since the client began the exchange.</param>
    /// <param name="broadcast">Sets the broadcast flag: the server answers to the broadcast address.</param>
    /// <param name="clientAddress">ciaddr: the client's bound address when renewing or releasing, else null.</param>
    /// <param name="hardwareAddress">chaddr: the client's MAC (at most 16 bytes).</param>
    /// <exception cref="ArgumentException">An argument does not fit the header.</exception>
    /// <exception cref="InvalidOperationException">The header was written already.</exception>
    public void WriteHeader(DhcpMessageType type, uint transactionId, ushort seconds, bool broadcast, IPAddress? clientAddress,
        ReadOnlySpan<byte> hardwareAddress)
    {
        if (_headerWritten)
        {
            throw new InvalidOperationException("the DHCP header was written already");
        }
        if (hardwareAddress.Length > 16)
        {
            throw new ArgumentException("a hardware address has at most 16 bytes", nameof(hardwareAddress));
        }
        Span<byte> header = _buffer[..DhcpMessage.OptionsOffset];
        header.Clear();
        header[DhcpMessage.OpOffset] = DhcpMessage.BootRequest;
        header[DhcpMessage.HardwareTypeOffset] = DhcpMessage.EthernetType;
        header[DhcpMessage.HardwareLengthOffset] = (byte)hardwareAddress.Length;
        BinaryPrimitives.WriteUInt32BigEndian(header[DhcpMessage.TransactionIdOffset..], transactionId);
        BinaryPrimitives.WriteUInt16BigEndian(header[DhcpMessage.SecondsOffset..], seconds);
        BinaryPrimitives.WriteUInt16BigEndian(header[DhcpMessage.FlagsOffset..], broadcast ? DhcpMessage.BroadcastFlag : (ushort)0);
        DhcpMessage.WriteAddress(header[DhcpMessage.ClientAddressOffset..], clientAddress);
        hardwareAddress.CopyTo(header[DhcpMessage.ClientHardwareOffset..]);
        BinaryPrimitives.WriteUInt32BigEndian(header[DhcpMessage.CookieOffset..], DhcpMessage.MagicCookie);
        _position = DhcpMessage.OptionsOffset;
        _headerWritten = true;
        WriteOption(DhcpOptionCode.MessageType, (byte)type);
    }

    /// <summary>Writes option <paramref name="code"/> with <paramref name="value"/> (at most 255 bytes).</summary>
    /// <exception cref="ArgumentException">The value is longer than 255 bytes, or the code is Pad or End.</exception>
    /// <exception cref="InvalidOperationException">No header yet, or the buffer is full.</exception>
    public void WriteOption(byte code, scoped ReadOnlySpan<byte> value)
    {
        if (code is DhcpOptionCode.Pad or DhcpOptionCode.End)
        {
            throw new ArgumentException("Pad and End carry no value", nameof(code));
        }
        if (value.Length > byte.MaxValue)
        {
            throw new ArgumentException($"option {code}: {value.Length} bytes, at most 255 fit", nameof(value));
        }
        Span<byte> target = Reserve(2 + value.Length);
        target[0] = code;
        target[1] = (byte)value.Length;
        value.CopyTo(target[2..]);
    }

    /// <summary>Writes a one-byte option.</summary>
    /// <exception cref="InvalidOperationException">No header yet, or the buffer is full.</exception>
    public void WriteOption(byte code, byte value) => WriteOption(code, [value]);

    /// <summary>Writes an option holding one IPv4 address (requested address, server identifier).</summary>
    /// <exception cref="ArgumentException"><paramref name="address"/> is not IPv4.</exception>
    /// <exception cref="InvalidOperationException">No header yet, or the buffer is full.</exception>
    public void WriteOption(byte code, IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        Span<byte> bytes = stackalloc byte[4];
        DhcpMessage.WriteAddress(bytes, address);
        WriteOption(code, bytes);
    }

    /// <summary>Writes the End option and pads the message to 300 bytes.</summary>
    /// <returns>The message length.</returns>
    /// <exception cref="InvalidOperationException">No header yet, or the buffer is full.</exception>
    public int Complete()
    {
        Reserve(1)[0] = DhcpOptionCode.End;
        if (_position < DhcpMessage.MinimumLength)
        {
            _buffer[_position..DhcpMessage.MinimumLength].Clear();
            _position = DhcpMessage.MinimumLength;
        }
        return _position;
    }

    private Span<byte> Reserve(int length)
    {
        if (!_headerWritten)
        {
            throw new InvalidOperationException("write the DHCP header first");
        }
        if (_buffer.Length - _position < length)
        {
            throw new InvalidOperationException($"the {_buffer.Length}-byte buffer is full");
        }
        Span<byte> span = _buffer.Slice(_position, length);
        _position += length;
        return span;
    }
}
