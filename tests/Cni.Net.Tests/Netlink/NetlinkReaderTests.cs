using System.Buffers.Binary;
using System.Net;
using Cni.Net.Netlink;
using Cni.Net.Netlink.Route;

namespace Cni.Net.Tests.Netlink;

public class NetlinkReaderTests
{
    [Fact]
    public void RoundTrip_RandomAttributes_ReadBackEqual()
    {
        var random = new Random(1234);
        var buffer = new byte[8192];
        for (int iteration = 0; iteration < 500; iteration++)
        {
            int count = random.Next(0, 20);
            var expected = new List<(ushort Type, byte[] Value, bool Nested)>();
            var w = new NetlinkWriter(buffer);
            MessageScope m = w.BeginMessage((ushort)random.Next(16, 100), NetlinkMessageFlags.Ack, (uint)random.Next(1, int.MaxValue), 42);
            w.WriteFamilyHeader(new RouteMessage { Family = 2, Table = 254 });
            for (int i = 0; i < count; i++)
            {
                ushort type = (ushort)random.Next(1, 0x3fff);
                switch (random.Next(6))
                {
                    case 0:
                        byte b = (byte)random.Next(256);
                        w.WriteUInt8(type, b);
                        expected.Add((type, [b], false));
                        break;
                    case 1:
                        uint u = (uint)random.NextInt64(uint.MaxValue);
                        w.WriteUInt32(type, u);
                        expected.Add((type, BitConverterLE(u), false));
                        break;
                    case 2:
                        var bytes = new byte[random.Next(0, 40)];
                        random.NextBytes(bytes);
                        w.WriteBytes(type, bytes);
                        expected.Add((type, bytes, false));
                        break;
                    case 3:
                        string s = new string('a', random.Next(0, 20));
                        w.WriteString(type, s);
                        expected.Add((type, [.. System.Text.Encoding.UTF8.GetBytes(s), 0], false));
                        break;
                    case 4:
                        ushort be = (ushort)random.Next(65536);
                        w.WriteUInt16BigEndian(type, be);
                        expected.Add((type, [(byte)(be >> 8), (byte)be], false));
                        break;
                    default:
                        NestedScope n = w.BeginNested(type);
                        uint inner = (uint)random.Next();
                        w.WriteUInt32(1, inner);
                        w.EndNested(n);
                        expected.Add((type, [8, 0, 1, 0, .. BitConverterLE(inner)], true));
                        break;
                }
            }
            w.EndMessage(m);

            var reader = new NetlinkReader(w.WrittenSpan);
            Assert.True(reader.TryRead(out NetlinkMessage message));
            Assert.Equal(42u, message.PortId);
            Assert.Equal(254, message.ReadFamilyHeader<RouteMessage>().Table);
            int k = 0;
            foreach (NetlinkAttr a in message.GetAttributes<RouteMessage>())
            {
                Assert.Equal(expected[k].Type, a.Type);
                Assert.Equal(expected[k].Nested, a.IsNested);
                Assert.Equal(expected[k].Value, a.Value.ToArray());
                k++;
            }
            Assert.Equal(expected.Count, k);
            Assert.False(reader.TryRead(out _));
            Assert.Equal(w.BytesWritten, reader.BytesConsumed);
        }
    }

    private static byte[] BitConverterLE(uint value)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        return b;
    }

    [Fact]
    public void TryRead_Incomplete_ReturnsFalse_TooShortLength_Throws()
    {
        var bytes = new byte[20];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, 40);
        var reader = new NetlinkReader(bytes);
        Assert.False(reader.TryRead(out _));
        Assert.False(new NetlinkReader(bytes.AsSpan(0, 10)).TryRead(out _));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, 8);
        Assert.Throws<NetlinkProtocolException>(() => new NetlinkReader(bytes).TryRead(out _));
    }

    [Fact]
    public void Attribute_BadLength_ThrowsProtocolException()
    {
        byte[] tooLong = [0x10, 0x00, 0x01, 0x00, 1, 2, 3, 4];
        Assert.Throws<NetlinkProtocolException>(() => new NetlinkAttributeEnumerator(tooLong).MoveNext());
        byte[] tooShort = [0x02, 0x00, 0x01, 0x00];
        Assert.Throws<NetlinkProtocolException>(() => new NetlinkAttributeEnumerator(tooShort).MoveNext());
        byte[] u8 = [0x05, 0x00, 0x01, 0x00, 9, 0, 0, 0];
        var e = new NetlinkAttributeEnumerator(u8);
        Assert.True(e.MoveNext());
        Assert.Equal(9, e.Current.GetUInt8());
        Assert.Throws<NetlinkProtocolException>(() =>
        {
            var en = new NetlinkAttributeEnumerator(u8);
            en.MoveNext();
            return en.Current.GetUInt32();
        });
        Assert.Throws<NetlinkProtocolException>(() =>
        {
            var en = new NetlinkAttributeEnumerator(u8);
            en.MoveNext();
            return en.Current.GetIPAddress();
        });
    }

    [Fact]
    public void Error_WithExtendedAckUncapped_ParsesTextOffsetAndMissingType()
    {
        var buffer = new byte[256];
        var w = new NetlinkWriter(buffer);
        MessageScope m = w.BeginMessage(2, (NetlinkMessageFlags)0x200 /* ACK_TLVS */, 7, 99);
        w.WriteFamilyHeader(-22);
        // The echoed request: a 24-byte RTM_NEWLINK.
        MessageScope echoed = default;
        Span<byte> request = stackalloc byte[24];
        var rw = new NetlinkWriter(request);
        echoed = rw.BeginMessage(16, NetlinkMessageFlags.Ack, 7, 99);
        rw.WriteUInt32(4, 50);
        rw.EndMessage(echoed);
        w.WriteRaw(request);
        w.WriteString(1, "mtu less than device minimum");
        w.WriteUInt32(2, 20);
        w.WriteUInt32(5, 3);
        w.EndMessage(m);

        var reader = new NetlinkReader(w.WrittenSpan);
        Assert.True(reader.TryRead(out NetlinkMessage message));
        NetlinkError error = message.ReadError();
        Assert.Equal(22, error.Errno);
        Assert.Equal("mtu less than device minimum", error.Message);
        Assert.Equal(20, error.BadAttributeOffset);
        Assert.Equal(3, error.MissingAttributeType);
        NetlinkException ex = error.ToException("set link mtu");
        Assert.Equal("EINVAL", ex.ErrnoName);
        Assert.Equal("set link mtu: Invalid argument (EINVAL): mtu less than device minimum", ex.Message);
    }

    [Fact]
    public void ProcessDatagram_SkipsForeignSequence_HandsDataAndStopsAtDone()
    {
        var buffer = new byte[512];
        var w = new NetlinkWriter(buffer);
        // A stale ack for sequence 5, then a data message and DONE for sequence 6.
        MessageScope m = w.BeginMessage(2, NetlinkMessageFlags.None, 5, 77);
        w.WriteFamilyHeader(-17);
        w.WriteRaw(new byte[16]);
        w.EndMessage(m);
        m = w.BeginMessage(16, NetlinkMessageFlags.Multi | NetlinkMessageFlags.DumpInterrupted, 6, 77);
        w.WriteFamilyHeader(new InterfaceInfoMessage { Index = 3 });
        w.WriteString(3, "eth0");
        w.EndMessage(m);
        m = w.BeginMessage(3, NetlinkMessageFlags.Multi, 6, 77);
        w.WriteFamilyHeader(0);
        w.EndMessage(m);

        var state = new NetlinkSocket.ReplyState(6, 77);
        var handler = new CollectingHandler();
        NetlinkSocket.ProcessDatagram(w.WrittenSpan, ref state, ref handler, "list links", default);
        Assert.True(state.Done);
        Assert.True(state.Interrupted);
        Assert.Equal(["eth0"], handler.Names);
    }

    [Fact]
    public void ProcessDatagram_DoneWithError_ThrowsWithExtendedAck()
    {
        var buffer = new byte[512];
        var w = new NetlinkWriter(buffer);
        MessageScope m = w.BeginMessage(3, NetlinkMessageFlags.Multi | (NetlinkMessageFlags)0x200, 9, 1);
        w.WriteFamilyHeader(-22);
        w.WriteString(1, "Invalid values in header for neighbor dump request");
        w.EndMessage(m);
        var state = new NetlinkSocket.ReplyState(9, 1);
        var handler = new CollectingHandler();
        NetlinkException e;
        try
        {
            NetlinkSocket.ProcessDatagram(w.WrittenSpan, ref state, ref handler, "list neighbours", default);
            throw new Xunit.Sdk.XunitException("no exception");
        }
        catch (NetlinkException caught)
        {
            e = caught;
        }
        Assert.Equal(22, e.Errno);
        Assert.Equal("Invalid values in header for neighbor dump request", e.ExtendedAckMessage);
    }

    [Fact]
    public void ProcessDatagram_ToleratedError_ReturnedNotThrown()
    {
        var buffer = new byte[128];
        var w = new NetlinkWriter(buffer);
        MessageScope m = w.BeginMessage(2, NetlinkMessageFlags.Capped, 4, 1);
        w.WriteFamilyHeader(-17);
        w.WriteRaw(new byte[16]);
        w.EndMessage(m);
        var state = new NetlinkSocket.ReplyState(4, 1);
        var handler = new CollectingHandler();
        NetlinkSocket.ProcessDatagram(w.WrittenSpan, ref state, ref handler, "add link", [17]);
        Assert.True(state.Done);
        Assert.Equal(17, state.Errno);
    }

    internal sealed class CollectingHandler : INetlinkReplyHandler
    {
        public List<string> Names { get; } = [];

        public void OnMessage(NetlinkMessage message)
        {
            LinkInfo link = LinkInfo.Decode(message);
            Names.Add(link.Name);
        }

        public void OnRestart() => Names.Clear();
    }
}
