using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Cni.Net.Interop;
using Cni.Net.Namespaces;

namespace Cni.Net.Dhcp;

/// <summary>
/// The client's link to DHCP servers: an <c>AF_PACKET</c> datagram socket bound to one interface, that writes the IPv4
/// and UDP headers itself and sends to the Ethernet broadcast address, and reads every IPv4 datagram to UDP port 68.
/// A kernel UDP socket cannot do this before the interface has an address: a server that unicasts its OFFER to the
/// offered address (RFC 2131 section 4.1, broadcast flag clear) would be dropped by the IP layer.
/// </summary>
/// <remarks>The socket stays bound to the network namespace it was opened in.</remarks>
public sealed class DhcpPacketSocket : IDhcpTransport
{
    internal const ushort ClientPort = 68;
    internal const ushort ServerPort = 67;
    private const int IPv4HeaderLength = 20;
    private const int UdpHeaderLength = 8;
    private const int HeadersLength = IPv4HeaderLength + UdpHeaderLength;

    private readonly Socket _socket;
    private readonly byte[] _hardwareAddress;
    private readonly byte[] _send = new byte[1600];

    private DhcpPacketSocket(Socket socket, int interfaceIndex, byte[] hardwareAddress)
    {
        _socket = socket;
        InterfaceIndex = interfaceIndex;
        _hardwareAddress = hardwareAddress;
    }

    /// <summary>The interface index in the socket's namespace.</summary>
    public int InterfaceIndex { get; }

    /// <inheritdoc />
    public ReadOnlyMemory<byte> HardwareAddress => _hardwareAddress;

    /// <summary>
    /// Opens the socket on <paramref name="interfaceName"/> inside <paramref name="networkNamespace"/> (the calling
    /// thread's namespace when null), bringing the interface up first when it is down (as the reference client does).
    /// </summary>
    /// <exception cref="ArgumentException">The name is empty or longer than 15 bytes.</exception>
    /// <exception cref="IOException">The interface does not exist, or the socket cannot be opened (errno in the message).</exception>
    public static DhcpPacketSocket Open(string interfaceName, NetworkNamespace? networkNamespace = null, bool bringUp = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(interfaceName);
        if (Encoding.UTF8.GetByteCount(interfaceName) >= PacketSocketInterop.IFNAMSIZ)
        {
            throw new ArgumentException($"interface name \"{interfaceName}\" is longer than 15 bytes", nameof(interfaceName));
        }
        return networkNamespace is null ? OpenHere(interfaceName, bringUp) : networkNamespace.RunOnCallingThread(() => OpenHere(interfaceName, bringUp));
    }

    private static unsafe DhcpPacketSocket OpenHere(string interfaceName, bool bringUp)
    {
        int fd = Tmds.Linux.LibC.socket(Tmds.Linux.LibC.AF_PACKET, Tmds.Linux.LibC.SOCK_DGRAM | Tmds.Linux.LibC.SOCK_CLOEXEC, BinaryPrimitives.ReverseEndianness(PacketSocketInterop.ETH_P_IP));
        if (fd < 0)
        {
            throw Failure("socket(AF_PACKET)", interfaceName);
        }
        var socket = new Socket(new SafeSocketHandle(fd, ownsHandle: true));
        try
        {
            byte* request = stackalloc byte[PacketSocketInterop.IfreqSize];
            Ioctl(fd, PacketSocketInterop.SIOCGIFINDEX, request, interfaceName);
            int index = *(int*)(request + PacketSocketInterop.IFNAMSIZ);
            Ioctl(fd, PacketSocketInterop.SIOCGIFHWADDR, request, interfaceName);
            // struct sockaddr ifr_hwaddr: sa_family, then the address; Ethernet's is 6 bytes.
            byte[] mac = new ReadOnlySpan<byte>(request + PacketSocketInterop.IFNAMSIZ + 2, 6).ToArray();
            if (bringUp)
            {
                Ioctl(fd, PacketSocketInterop.SIOCGIFFLAGS, request, interfaceName);
                short* flags = (short*)(request + PacketSocketInterop.IFNAMSIZ);
                if ((*flags & PacketSocketInterop.IFF_UP) == 0)
                {
                    *flags |= PacketSocketInterop.IFF_UP;
                    Ioctl(fd, PacketSocketInterop.SIOCSIFFLAGS, request, interfaceName, fill: false);
                }
            }
            PacketSocketInterop.sockaddr_ll address = default;
            address.sll_family = (ushort)Tmds.Linux.LibC.AF_PACKET;
            address.sll_protocol = BinaryPrimitives.ReverseEndianness(PacketSocketInterop.ETH_P_IP);
            address.sll_ifindex = index;
            if (PacketSocketInterop.bind(fd, &address, (uint)sizeof(PacketSocketInterop.sockaddr_ll)) != 0)
            {
                throw Failure("bind(AF_PACKET)", interfaceName);
            }
            return new DhcpPacketSocket(socket, index, mac);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>One SIOC* call on <paramref name="ifreq"/>, filled with the name first unless it holds a previous answer to pass on.</summary>
    private static unsafe void Ioctl(int fd, uint request, byte* ifreq, string interfaceName, bool fill = true)
    {
        if (fill)
        {
            new Span<byte>(ifreq, PacketSocketInterop.IfreqSize).Clear();
            Encoding.UTF8.GetBytes(interfaceName, new Span<byte>(ifreq, PacketSocketInterop.IFNAMSIZ - 1));
        }
        if (PacketSocketInterop.ioctl(fd, request, ifreq) != 0)
        {
            throw Failure($"ioctl(0x{request:x})", interfaceName);
        }
    }

    private static IOException Failure(string call, string interfaceName)
    {
        int errno = Marshal.GetLastSystemError();
        string reason = errno == Errno.ENODEV ? "no such interface" : Marshal.GetPInvokeErrorMessage(errno);
        return new IOException($"{call} on {interfaceName}: {reason} (errno {errno})", errno);
    }

    /// <inheritdoc />
    public unsafe void Send(ReadOnlySpan<byte> message, IPAddress source, IPAddress destination)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        int length = Frame(message, source, destination, _send);
        PacketSocketInterop.sockaddr_ll address = default;
        address.sll_family = (ushort)Tmds.Linux.LibC.AF_PACKET;
        address.sll_protocol = BinaryPrimitives.ReverseEndianness(PacketSocketInterop.ETH_P_IP);
        address.sll_ifindex = InterfaceIndex;
        address.sll_halen = 6;
        for (int i = 0; i < 6; i++)
        {
            address.sll_addr[i] = 0xff;
        }
        bool added = false;
        SafeSocketHandle handle = _socket.SafeHandle;
        handle.DangerousAddRef(ref added);
        try
        {
            fixed (byte* p = _send)
            {
                nint sent;
                do
                {
                    sent = PacketSocketInterop.sendto((int)handle.DangerousGetHandle(), p, (nuint)length, 0, &address, (uint)sizeof(PacketSocketInterop.sockaddr_ll));
                }
                while (sent < 0 && Marshal.GetLastSystemError() == Errno.EINTR);
                if (sent < 0)
                {
                    int errno = Marshal.GetLastSystemError();
                    throw new IOException($"sendto(AF_PACKET, ifindex {InterfaceIndex}): {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);
                }
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            int received;
            try
            {
                received = await _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                throw new IOException($"recv(AF_PACKET, ifindex {InterfaceIndex}): {e.Message}", e);
            }
            if (TryUnframe(buffer.Span[..received], out int offset, out int length))
            {
                buffer.Span.Slice(offset, length).CopyTo(buffer.Span);
                return length;
            }
        }
    }

    /// <summary>Writes IPv4 and UDP headers (68 → 67, checksums computed) and <paramref name="payload"/> into <paramref name="destination"/>.</summary>
    internal static int Frame(ReadOnlySpan<byte> payload, IPAddress source, IPAddress destination, Span<byte> packet)
    {
        int total = HeadersLength + payload.Length;
        if (packet.Length < total)
        {
            throw new ArgumentException($"a {payload.Length}-byte DHCP message does not fit", nameof(packet));
        }
        Span<byte> ip = packet[..IPv4HeaderLength];
        ip.Clear();
        ip[0] = 0x45;                                  // version 4, 5 words
        ip[1] = 0x10;                                  // TOS low delay, as udhcpc and ISC dhclient send
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)total);
        ip[8] = 64;                                    // TTL
        ip[9] = (byte)ProtocolType.Udp;
        DhcpMessage.WriteAddress(ip[12..], source);
        DhcpMessage.WriteAddress(ip[16..], destination);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum(0, ip));

        Span<byte> udp = packet.Slice(IPv4HeaderLength, UdpHeaderLength);
        BinaryPrimitives.WriteUInt16BigEndian(udp, ClientPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], ServerPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)(UdpHeaderLength + payload.Length));
        udp[6] = udp[7] = 0;
        payload.CopyTo(packet[HeadersLength..]);
        // The pseudo header: source, destination, protocol, UDP length.
        uint sum = Sum(0, ip.Slice(12, 8)) + (uint)ProtocolType.Udp + (uint)(UdpHeaderLength + payload.Length);
        ushort checksum = Checksum(sum, packet.Slice(IPv4HeaderLength, UdpHeaderLength + payload.Length));
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], checksum == 0 ? (ushort)0xffff : checksum);
        return total;
    }

    /// <summary>Finds the UDP payload of an IPv4 datagram to port 68; false for anything else (fragments included).</summary>
    internal static bool TryUnframe(ReadOnlySpan<byte> packet, out int offset, out int length)
    {
        offset = length = 0;
        if (packet.Length < HeadersLength || packet[0] >> 4 != 4 || packet[9] != (byte)ProtocolType.Udp)
        {
            return false;
        }
        int headerLength = (packet[0] & 0x0f) * 4;
        int total = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        ushort fragment = BinaryPrimitives.ReadUInt16BigEndian(packet[6..]);
        if (headerLength < IPv4HeaderLength || total > packet.Length || total < headerLength + UdpHeaderLength || (fragment & 0x3fff) != 0)
        {
            return false;
        }
        ReadOnlySpan<byte> udp = packet[headerLength..total];
        int udpLength = BinaryPrimitives.ReadUInt16BigEndian(udp[4..]);
        if (BinaryPrimitives.ReadUInt16BigEndian(udp[2..]) != ClientPort || udpLength < UdpHeaderLength || udpLength > udp.Length)
        {
            return false;
        }
        offset = headerLength + UdpHeaderLength;
        length = udpLength - UdpHeaderLength;
        return true;
    }

    private static uint Sum(uint sum, ReadOnlySpan<byte> data)
    {
        int i = 0;
        for (; i + 1 < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }
        if (i < data.Length)
        {
            sum += (uint)data[i] << 8;
        }
        return sum;
    }

    private static ushort Checksum(uint sum, ReadOnlySpan<byte> data)
    {
        sum = Sum(sum, data);
        while (sum >> 16 != 0)
        {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (ushort)~sum;
    }

    /// <summary>Closes the socket.</summary>
    public void Dispose() => _socket.Dispose();
}
