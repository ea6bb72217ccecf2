using System.Buffers.Binary;
using System.Net;
using Cni.Net.Dhcp;

namespace Cni.Net.Tests.Dhcp;

public class DhcpPacketFramingTests
{
    private static ushort Fold(uint sum)
    {
        while (sum >> 16 != 0)
        {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (ushort)sum;
    }

    private static uint Sum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (int i = 0; i < data.Length; i += 2)
        {
            sum += i + 1 < data.Length ? BinaryPrimitives.ReadUInt16BigEndian(data[i..]) : (uint)data[i] << 8;
        }
        return sum;
    }

    [Fact]
    public void Frame_WritesIpv4AndUdpHeadersWithValidChecksums()
    {
        byte[] payload = [.. Enumerable.Range(0, 301).Select(i => (byte)i)]; // odd length: the checksum pads
        byte[] packet = new byte[400];
        int length = DhcpPacketSocket.Frame(payload, IPAddress.Parse("10.1.2.3"), IPAddress.Broadcast, packet);
        Assert.Equal(20 + 8 + 301, length);
        Assert.Equal(0x45, packet[0]);
        Assert.Equal(length, BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(2)));
        Assert.Equal(17, packet[9]);
        Assert.Equal([10, 1, 2, 3, 255, 255, 255, 255], packet[12..20]);
        Assert.Equal(0xffff, Fold(Sum(packet.AsSpan(0, 20))));                    // IP header sums to all ones
        Assert.Equal(68, BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(20)));
        Assert.Equal(67, BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(22)));
        uint pseudo = Sum(packet.AsSpan(12, 8)) + 17 + (uint)(8 + payload.Length);
        Assert.Equal(0xffff, Fold(pseudo + Sum(packet.AsSpan(20, 8 + payload.Length))));
        Assert.Equal(payload, packet[28..length]);
    }

    [Fact]
    public void TryUnframe_FindsTheClientPortPayload_RefusesTheRest()
    {
        byte[] packet = new byte[400];
        int length = DhcpPacketSocket.Frame([1, 2, 3], IPAddress.Any, IPAddress.Broadcast, packet);
        // Turn it into a server → client datagram (67 → 68).
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(20), 67);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(22), 68);
        Assert.True(DhcpPacketSocket.TryUnframe(packet.AsSpan(0, length), out int offset, out int payload));
        Assert.Equal((28, 3), (offset, payload));
        Assert.False(DhcpPacketSocket.TryUnframe(packet.AsSpan(0, length - 1), out _, out _));      // total length beyond
        byte[] fragment = (byte[])packet.Clone();
        fragment[6] = 0x20;                                                                         // more fragments
        Assert.False(DhcpPacketSocket.TryUnframe(fragment.AsSpan(0, length), out _, out _));
        byte[] otherPort = (byte[])packet.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(otherPort.AsSpan(22), 67);
        Assert.False(DhcpPacketSocket.TryUnframe(otherPort.AsSpan(0, length), out _, out _));
        byte[] tcp = (byte[])packet.Clone();
        tcp[9] = 6;
        Assert.False(DhcpPacketSocket.TryUnframe(tcp.AsSpan(0, length), out _, out _));
        for (int i = 0; i < length; i++)
        {
            _ = DhcpPacketSocket.TryUnframe(packet.AsSpan(0, i), out _, out _);
        }
    }
}
