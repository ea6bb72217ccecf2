using System.Buffers.Binary;
using System.Net;
using Cni.Net.Netlink;
using Cni.Net.Netlink.Route;

namespace Cni.Net.Tests.Netlink;

/// <summary>
/// Random and mutated replies must never read out of bounds nor throw anything but NetlinkProtocolException
/// (or NetlinkException when the bytes happen to form a well-formed kernel error).
/// </summary>
public class NetlinkFuzzTests
{
    [Fact]
    public void RandomBytes_OnlyProtocolExceptions()
    {
        var random = new Random(42);
        var buffer = new byte[512];
        for (int i = 0; i < 20000; i++)
        {
            int length = random.Next(0, buffer.Length);
            random.NextBytes(buffer.AsSpan(0, length));
            if (length >= 16 && random.Next(2) == 0)
            {
                // Plausible header so that the decoders get exercised, not only the framing.
                BinaryPrimitives.WriteUInt32LittleEndian(buffer, (uint)random.Next(16, length + 1));
                BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(4), (ushort)random.Next(1, 31));
                BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(8), 1);
                BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(12), 1);
            }
            Feed(buffer.AsSpan(0, length));
        }
    }

    [Fact]
    public void MutatedValidReplies_OnlyProtocolExceptions()
    {
        var random = new Random(7);
        byte[][] seeds = [LinkReply(), AddressReply(), RouteReply(), NeighborReply(), ErrorReply()];
        var work = new byte[1024];
        for (int i = 0; i < 20000; i++)
        {
            byte[] seed = seeds[i % seeds.Length];
            seed.CopyTo(work, 0);
            int length = seed.Length;
            int mutations = random.Next(1, 6);
            for (int k = 0; k < mutations; k++)
            {
                switch (random.Next(4))
                {
                    case 0:
                        work[random.Next(length)] = (byte)random.Next(256);
                        break;
                    case 1:
                        length = random.Next(0, length + 1); // truncate
                        break;
                    case 2:
                        int at = random.Next(Math.Max(1, length - 1));
                        BinaryPrimitives.WriteUInt16LittleEndian(work.AsSpan(at), (ushort)random.Next(65536));
                        break;
                    default:
                        work[random.Next(length)] ^= (byte)(1 << random.Next(8));
                        break;
                }
                if (length == 0)
                {
                    break;
                }
            }
            Feed(work.AsSpan(0, length));
        }
    }

    internal static void Feed(ReadOnlySpan<byte> datagram)
    {
        try
        {
            var state = new NetlinkSocket.ReplyState(1, 1);
            var handler = new DecodingHandler();
            NetlinkSocket.ProcessDatagram(datagram, ref state, ref handler, "fuzz", default);
        }
        catch (NetlinkProtocolException)
        {
        }
        catch (NetlinkException e) when (e.GetType() == typeof(NetlinkException) && e.Errno > 0)
        {
            // The mutation produced a well-formed NLMSG_ERROR / NLMSG_DONE with an error.
        }
        // Anything else (IndexOutOfRange, ArgumentOutOfRange, Overflow …) fails the test.
    }

    private struct DecodingHandler : INetlinkReplyHandler
    {
        public readonly void OnMessage(NetlinkMessage message)
        {
            // Decode every message with every decoder: each must reject foreign or broken bytes cleanly.
            if (message.Payload.Length >= 16)
            {
                LinkInfo.Decode(message);
                foreach (NetlinkAttr a in message.GetAttributes<InterfaceInfoMessage>())
                {
                    if (a.IsNested)
                    {
                        foreach (NetlinkAttr inner in a.GetNested())
                        {
                            _ = inner.Value.Length;
                        }
                    }
                }
            }
            if (message.Payload.Length >= 12)
            {
                IPRoute.Decode(message);
                Neighbor.TryDecode(message, out _);
            }
            InterfaceAddress.TryDecode(message, out _);
        }

        public readonly void OnRestart()
        {
        }
    }

    private static byte[] Build(ushort type, Action<NetlinkWriterBox> body)
    {
        var buffer = new byte[1024];
        var box = new NetlinkWriterBox(buffer);
        box.Begin(type);
        body(box);
        return box.End();
    }

    internal static byte[] LinkReply() => Build(16, b => b.Link());

    internal static byte[] AddressReply() => Build(20, b => b.Address());

    internal static byte[] RouteReply() => Build(24, b => b.Route());

    internal static byte[] NeighborReply() => Build(28, b => b.Neighbor());

    internal static byte[] ErrorReply() => Build(2, b => b.Error());

    /// <summary>Holds the writer state between lambda calls (a ref struct cannot be captured).</summary>
    private sealed class NetlinkWriterBox
    {
        private readonly byte[] _buffer;
        private int _position;

        public NetlinkWriterBox(byte[] buffer) => _buffer = buffer;

        public void Begin(ushort type)
        {
            var w = new NetlinkWriter(_buffer);
            w.BeginMessage(type, NetlinkMessageFlags.Multi, 1, 1);
            _position = w.BytesWritten;
        }

        private NetlinkWriter Resume()
        {
            var w = new NetlinkWriter(_buffer.AsSpan(_position));
            return w;
        }

        private void Commit(ref NetlinkWriter w) => _position += w.BytesWritten;

        public void Link()
        {
            NetlinkWriter w = Resume();
            w.WriteFamilyHeader(new InterfaceInfoMessage { Index = 2, Flags = 0x1003 });
            w.WriteString(3, "veth0");
            w.WriteUInt32(4, 1500);
            w.WriteBytes(1, [2, 0, 0, 0, 0, 1]);
            w.WriteUInt8(16, 6);
            w.WriteUInt32(10, 3);
            w.WriteBytes(23, new byte[80]);
            NestedScope info = w.BeginNested(18);
            w.WriteString(1, "veth");
            w.WriteString(4, "bridge");
            w.EndNested(info);
            Commit(ref w);
        }

        public void Address()
        {
            NetlinkWriter w = Resume();
            w.WriteFamilyHeader(new InterfaceAddressMessage { Family = 2, PrefixLength = 24, Index = 2 });
            w.WriteIPAddress(2, IPAddress.Parse("10.0.0.1"));
            w.WriteIPAddress(1, IPAddress.Parse("10.0.0.1"));
            w.WriteString(3, "eth0");
            w.WriteBytes(6, new byte[16]);
            w.WriteUInt32(8, 0x80);
            Commit(ref w);
        }

        public void Route()
        {
            NetlinkWriter w = Resume();
            w.WriteFamilyHeader(new RouteMessage { Family = 2, DestinationLength = 16, Table = 254, Type = 1 });
            w.WriteIPAddress(1, IPAddress.Parse("10.128.0.0"));
            w.WriteUInt32(15, 254);
            NestedScope metrics = w.BeginNested(8);
            w.WriteUInt32(2, 1400);
            w.EndNested(metrics);
            NestedScope mp = w.BeginNested(9, false);
            w.WriteRaw([16, 0, 0, 0, 2, 0, 0, 0]);
            w.WriteIPAddress(5, IPAddress.Parse("10.0.0.2"));
            w.EndNested(mp);
            Commit(ref w);
        }

        public void Neighbor()
        {
            NetlinkWriter w = Resume();
            w.WriteFamilyHeader(new NeighborMessage { Family = 2, Index = 2, State = 0x80 });
            w.WriteIPAddress(1, IPAddress.Parse("10.0.0.9"));
            w.WriteBytes(2, [2, 0, 0, 0, 0, 9]);
            Commit(ref w);
        }

        public void Error()
        {
            NetlinkWriter w = Resume();
            w.WriteFamilyHeader(-22);
            w.WriteRaw([20, 0, 0, 0, 16, 0, 5, 0, 1, 0, 0, 0, 1, 0, 0, 0, 8, 0, 4, 0]);
            w.WriteString(1, "some text");
            w.WriteUInt32(2, 16);
            Commit(ref w);
        }

        public byte[] End()
        {
            BinaryPrimitives.WriteUInt32LittleEndian(_buffer, (uint)_position);
            // ACK_TLVS so that the error seed exercises the extended-ack parser.
            BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(6), 0x202);
            return _buffer.AsSpan(0, _position).ToArray();
        }
    }
}
