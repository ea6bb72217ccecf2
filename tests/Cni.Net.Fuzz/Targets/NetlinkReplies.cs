using System.Buffers.Binary;
using System.Net;
using Cni.Net.Netlink;
using Cni.Net.Netlink.Route;

namespace Cni.Net.Fuzz.Targets;

/// <summary>
/// Well-formed replies of each rtnetlink kind (link, address, route with metrics and multipath, neighbour, error with
/// extended ack), written with the library's own <see cref="NetlinkWriter"/>: seeds of the netlink fuzz target and of
/// the unit tests' mutation tests (tests/Cni.Net.Tests/Netlink/NetlinkFuzzTests.cs).
/// </summary>
internal static class NetlinkReplies
{
    private static byte[] Build(ushort type, Action<NetlinkWriterBox> body)
    {
        var buffer = new byte[1024];
        var box = new NetlinkWriterBox(buffer);
        box.Begin(type);
        body(box);
        return box.End();
    }

    public static byte[] Link() => Build(16, b => b.Link());

    public static byte[] Address() => Build(20, b => b.Address());

    public static byte[] Route() => Build(24, b => b.Route());

    public static byte[] Neighbor() => Build(28, b => b.Neighbor());

    public static byte[] Error() => Build(2, b => b.Error());

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
