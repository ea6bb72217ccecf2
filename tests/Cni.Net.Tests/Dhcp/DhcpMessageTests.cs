using System.Buffers.Binary;
using System.Net;
using Cni.Net.Dhcp;

namespace Cni.Net.Tests.Dhcp;

public class DhcpMessageTests
{
    private static readonly byte[] s_mac = [0x02, 0x42, 0xac, 0x11, 0x00, 0x02];

    private static byte[] Discover(bool broadcast = false)
    {
        byte[] buffer = new byte[600];
        var writer = new DhcpMessageWriter(buffer);
        writer.WriteHeader(DhcpMessageType.Discover, 0x01020304, 3, broadcast, null, s_mac);
        writer.WriteOption(DhcpOptionCode.ClientIdentifier, "\0c1/net/eth0"u8);
        writer.WriteOption(DhcpOptionCode.ParameterRequestList, [3, 1]);
        return buffer[..writer.Complete()];
    }

    [Fact]
    public void Writer_Discover_HasTheRfc2131Layout()
    {
        byte[] m = Discover(broadcast: true);
        Assert.Equal(300, m.Length); // padded to the BOOTP minimum
        Assert.Equal([1, 1, 6, 0], m[..4]);
        Assert.Equal(0x01020304u, BinaryPrimitives.ReadUInt32BigEndian(m.AsSpan(4)));
        Assert.Equal(3, BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(8)));
        Assert.Equal(0x8000, BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(10)));
        Assert.All(m[12..28], b => Assert.Equal(0, b)); // ciaddr yiaddr siaddr giaddr
        Assert.Equal(s_mac, m[28..34]);
        Assert.Equal([99, 130, 83, 99], m[236..240]);
        // 53=1, then 61, then 55, then End.
        Assert.Equal([53, 1, 1, 61, 12, 0, (byte)'c', (byte)'1'], m[240..248]);
        int pr = 240 + 3 + 14;
        Assert.Equal([55, 2, 3, 1, 255], m[pr..(pr + 5)]);
        Assert.All(m[(pr + 5)..], b => Assert.Equal(0, b));
    }

    [Fact]
    public void Writer_OptionTooLongOrTooSmallBuffer_Throws()
    {
        Assert.Throws<ArgumentException>(() => new DhcpMessageWriter(new byte[299]));
        Assert.Throws<ArgumentException>(() =>
        {
            var w = new DhcpMessageWriter(new byte[600]);
            w.WriteHeader(DhcpMessageType.Discover, 1, 0, false, null, s_mac);
            w.WriteOption(12, new byte[256]);
        });
        Assert.Throws<InvalidOperationException>(() =>
        {
            var w = new DhcpMessageWriter(new byte[300]);
            w.WriteOption(12, 1);
        });
        Assert.Throws<InvalidOperationException>(() =>
        {
            var w = new DhcpMessageWriter(new byte[300]);
            w.WriteHeader(DhcpMessageType.Discover, 1, 0, false, null, s_mac);
            w.WriteOption(12, new byte[100]);
        });
    }

    [Fact]
    public void Reader_ReadsWhatTheWriterWrote()
    {
        byte[] m = Discover();
        Assert.True(DhcpMessageReader.TryRead(m, out DhcpMessageReader r));
        Assert.Equal(1, r.Operation);
        Assert.Equal(0x01020304u, r.TransactionId);
        Assert.False(r.Broadcast);
        Assert.Equal(s_mac, r.HardwareAddress.ToArray());
        Assert.Equal(DhcpMessageType.Discover, r.MessageType);
        Assert.True(r.TryGetOption(DhcpOptionCode.ClientIdentifier, out ReadOnlySpan<byte> id));
        Assert.Equal("\0c1/net/eth0"u8.ToArray(), id.ToArray());
        Assert.False(r.TryGetOption(DhcpOptionCode.Router, out _));
        Assert.Equal(IPAddress.Any, r.YourAddress);
    }

    [Fact]
    public void Reader_MalformedInput_IsRefusedNotOverread()
    {
        byte[] m = Discover();
        Assert.False(DhcpMessageReader.TryRead(m.AsSpan(0, 239), out _));          // no room for the cookie
        byte[] cookie = (byte[])m.Clone();
        cookie[239] = 0;
        Assert.False(DhcpMessageReader.TryRead(cookie, out _));
        byte[] truncated = m.AsSpan(0, 246).ToArray();                                       // option 61 claims 12 bytes, 3 remain
        Assert.False(DhcpMessageReader.TryRead(truncated, out _));
        byte[] lengthOnly = m.AsSpan(0, 244).ToArray();                                      // code 61 without its length byte
        Assert.False(DhcpMessageReader.TryRead(lengthOnly, out _));
        byte[] hlen = (byte[])m.Clone();
        hlen[2] = 17;
        Assert.False(DhcpMessageReader.TryRead(hlen, out _));
        // Every prefix is either refused or read without throwing.
        for (int i = 0; i <= m.Length; i++)
        {
            if (DhcpMessageReader.TryRead(m.AsSpan(0, i), out DhcpMessageReader r))
            {
                _ = r.MessageType;
                _ = r.GetOptionLength(DhcpOptionCode.ParameterRequestList);
            }
        }
    }

    [Fact]
    public void Reader_SplitOption_IsConcatenated()
    {
        byte[] buffer = new byte[600];
        var w = new DhcpMessageWriter(buffer);
        w.WriteHeader(DhcpMessageType.Discover, 1, 0, false, null, s_mac);
        w.WriteOption(DhcpOptionCode.ClasslessStaticRoute, [8, 10]);
        w.WriteOption(DhcpOptionCode.Router, IPAddress.Parse("10.0.0.1"));
        w.WriteOption(DhcpOptionCode.ClasslessStaticRoute, [10, 0, 0, 1]);
        Assert.True(DhcpMessageReader.TryRead(buffer.AsSpan(0, w.Complete()), out DhcpMessageReader r));
        Assert.Equal(6, r.GetOptionLength(DhcpOptionCode.ClasslessStaticRoute));
        byte[] all = new byte[6];
        Assert.Equal(6, r.CopyOption(DhcpOptionCode.ClasslessStaticRoute, all));
        Assert.Equal([8, 10, 10, 0, 0, 1], all);
        Assert.True(r.TryGetOption(DhcpOptionCode.ClasslessStaticRoute, out ReadOnlySpan<byte> first));
        Assert.Equal(2, first.Length);
    }
}
