using System.Net;
using System.Net.Sockets;
using Cni.Net.Netfilter;
using Cni.Net.Netlink;
using Cni.Net.Netfilter.Conntrack;

namespace Cni.Net.Tests.Netfilter;

/// <summary>
/// ctnetlink encoding and decoding against the bytes of conntrack-tools 1.4.7 and the kernel, captured with
/// <c>strace -xx -e write=3,4 conntrack -D -f ipv4 -p udp --orig-port-dst 5000</c> and
/// <c>strace -xx -e read=3 conntrack -L -f ipv4</c> (same for ipv6) after a datagram 127.0.0.1:40000 → :5000
/// (and [::1]:40001 → :5000).
/// </summary>
public class ConntrackMessagesTests
{
    private const uint Sequence = 0x6b0a9b75;

    // conntrack -D's dump request: nlmsghdr (CT_GET, REQUEST|DUMP) + nfgenmsg.
    private const string ToolDumpV4 = "1400000001010103759b0a6b0000000002000000";
    private const string ToolDumpV6 = "1400000001010103759b0a6b000000000a000000";

    // conntrack -D's delete request: orig tuple (bytes 20..72), reply tuple, status, timeout, mark.
    private const string ToolDeleteV4 =
        "9400000002010500759b0a6b00000000020000003400018014000180080001007f000001080002007f0000011c0002800500010011000000" +
        "060002009c40000006000300138800003400028014000180080001007f000001080002007f0000011c000280050001001100000006000200" +
        "13880000060003009c4000000800030000000008080007000000001d0800080000000000";

    private const string ToolDeleteV6 =
        "c400000002010500759b0a6b000000000a0000004c0001802c00018014000300000000000000000000000000000000011400040000000000" +
        "0000000000000000000000011c0002800500010011000000060002009c41000006000300138800004c0002802c0001801400030000000000" +
        "00000000000000000000000114000400000000000000000000000000000000011c00028005000100110000000600020013880000060003009c" +
        "4100000800030000000008080007000000001d0800080000000000";

    // The kernel's dump entries (CT_NEW, MULTI|DUMP_FILTERED): orig, reply, status, mark, id, use, timeout.
    private const string KernelEntryV4 =
        "a400000000012200669c0a6bfe420000020000003400018014000180080001007f000001080002007f0000011c0002800500010011000000" +
        "060002009c40000006000300138800003400028014000180080001007f000001080002007f0000011c000280050001001100000006000200" +
        "13880000060003009c4000000800030000000008080008000000000008000c00a6b8e41908000b0000000001080007000000001d";

    private const string KernelEntryV6 =
        "d400000000012200669c0a6b014300000a0000004c0001802c00018014000300000000000000000000000000000000011400040000000000" +
        "0000000000000000000000011c0002800500010011000000060002009c41000006000300138800004c0002802c0001801400030000000000" +
        "00000000000000000000000114000400000000000000000000000000000000011c00028005000100110000000600020013880000060003009c" +
        "4100000800030000000008080008000000000008000c00f7c43b9a08000b0000000001080007000000001d";

    private const string KernelDone = "1400000003000200669c0a6bfe42000000000000";

    [Theory]
    [InlineData(2, ToolDumpV4)]
    [InlineData(10, ToolDumpV6)]
    public void WriteDumpBody_Unfiltered_IsTheConntrackToolsRequest(byte family, string expected)
    {
        byte[] bytes = Message(ConntrackLayout.GetMessageType, NetlinkMessageFlags.Dump, (ref NetlinkWriter w) =>
            ConntrackMessages.WriteDumpBody(ref w, family));

        Assert.Equal(expected, Convert.ToHexStringLower(bytes));
    }

    [Fact]
    public void WriteDumpBody_WithPort_AddsTheFilterTupleAndFlags()
    {
        byte[] bytes = Message(ConntrackLayout.GetMessageType, NetlinkMessageFlags.Dump, (ref NetlinkWriter w) =>
            ConntrackMessages.WriteDumpBody(ref w, 2, 17, 5001));

        string expected =
            "40000000" + "0101" + "0103" + "759b0a6b" + "00000000" + "02000000" +
            "18000180" + "14000280" + "0500010011000000" + "0600030013890000" + // CTA_TUPLE_ORIG { PROTO { num 17, dst port 5001 } }
            "14001980" + "0800010028000000" + "0800020000000000";                 // CTA_FILTER { orig: NUM|DST_PORT, reply: 0 }
        Assert.Equal(expected, Convert.ToHexStringLower(bytes));
    }

    [Theory]
    [InlineData(KernelEntryV4, "127.0.0.1", 40000, 0xa6b8e419u)]
    [InlineData(KernelEntryV6, "::1", 40001, 0xf7c43b9au)]
    public void TryDecode_KernelEntry_ReadsTheOriginalTupleAndId(string hex, string address, int sourcePort, uint id)
    {
        Assert.True(ConntrackMessages.TryDecode(Read(hex), out ConntrackEntry entry));

        Assert.Equal(new ConntrackFlow(ProtocolType.Udp, IPAddress.Parse(address), (ushort)sourcePort, IPAddress.Parse(address), 5000, 0),
            entry.ToFlow());
        Assert.True(entry.HasId);
        Assert.Equal(id, entry.Id);
        Assert.False(entry.HasZone);
        Assert.False(entry.HasTupleZone);
    }

    [Fact]
    public void TryDecode_NotAnEntry_ReturnsFalse()
    {
        Assert.False(ConntrackMessages.TryDecode(Read(KernelDone), out _));
    }

    [Theory]
    [InlineData(KernelEntryV4, ToolDeleteV4, 72, "a6b8e419")]
    [InlineData(KernelEntryV6, ToolDeleteV6, 96, "f7c43b9a")]
    public void WriteDeleteBody_DecodedEntry_SendsTheToolsOriginalTupleAndTheId(string entryHex, string toolHex, int tupleEnd, string id)
    {
        Assert.True(ConntrackMessages.TryDecode(Read(entryHex), out ConntrackEntry entry));

        byte[] ours = Message(ConntrackLayout.DeleteMessageType, NetlinkMessageFlags.Ack, (ref NetlinkWriter w) =>
            ConntrackMessages.WriteDeleteBody(ref w, entry));

        // The tool sends more (reply tuple, status, timeout, mark); the kernel needs the tuple, and the id makes the
        // deletion miss a newer flow that took the same tuple.
        byte[] tool = Convert.FromHexString(toolHex);
        Assert.Equal(Convert.ToHexStringLower(tool[4..20]), Convert.ToHexStringLower(ours[4..20])); // type, flags, seq, pid, nfgenmsg
        Assert.Equal(Convert.ToHexStringLower(tool[20..tupleEnd]) + "08000c00" + id, Convert.ToHexStringLower(ours[20..]));
        Assert.Equal(ours.Length, LengthField(ours));
    }

    [Fact]
    public void WriteDeleteBody_ZonedEntry_CarriesBothZones()
    {
        Assert.True(ConntrackMessages.TryDecode(Read(KernelEntryV4), out ConntrackEntry entry));
        entry.HasZone = true;
        entry.Zone = 0x0102;
        entry.HasTupleZone = true;
        entry.TupleZone = 0x0304;
        entry.HasId = false;

        byte[] ours = Message(ConntrackLayout.DeleteMessageType, NetlinkMessageFlags.Ack, (ref NetlinkWriter w) =>
            ConntrackMessages.WriteDeleteBody(ref w, entry));

        string hex = Convert.ToHexStringLower(ours);
        Assert.StartsWith("3c000180", hex[40..], StringComparison.Ordinal); // the tuple grew by CTA_TUPLE_ZONE
        Assert.EndsWith("06000300030400000600120001020000", hex, StringComparison.Ordinal);

        Assert.True(ConntrackMessages.TryDecode(Read(hex.Replace("02010500", "00010000", StringComparison.Ordinal)), out ConntrackEntry back));
        Assert.Equal((ushort)0x0102, back.Zone);
        Assert.Equal((ushort)0x0304, back.TupleZone);
        Assert.Equal((ushort)0x0102, back.ToFlow().Zone);
    }

    [Fact]
    public void TryDecode_EntryWithoutOriginalTuple_IsAProtocolError()
    {
        string hex = "1c000000" + "00010000" + "0000000000000000" + "02000000" + "08000c00a6b8e419";
        Assert.Throws<NetlinkProtocolException>(() => ConntrackMessages.TryDecode(Read(hex), out _));
    }

    [Fact]
    public void TryDecode_Ipv4EntryWithA16ByteAddress_IsAProtocolError()
    {
        // An AF_INET entry whose CTA_IP_V4_SRC holds 16 bytes.
        string hex = "30000000" + "00010000" + "0000000000000000" + "02000000" +
                     "1c000180" + "18000180" + "14000100" + "00000000000000000000000000000001";
        Assert.Throws<NetlinkProtocolException>(() => ConntrackMessages.TryDecode(Read(hex), out _));
    }

    [Fact]
    public void TryDecode_PayloadShorterThanNfgenmsg_IsAProtocolError()
    {
        string hex = "12000000" + "00010000" + "0000000000000000" + "0200";
        Assert.Throws<NetlinkProtocolException>(() => ConntrackMessages.TryDecode(Read(hex), out _));
    }

    private delegate void Body(ref NetlinkWriter writer);

    private static byte[] Message(ushort type, NetlinkMessageFlags flags, Body body)
    {
        byte[] buffer = new byte[512];
        var writer = new NetlinkWriter(buffer);
        MessageScope scope = writer.BeginMessage(type, flags, Sequence, 0);
        body(ref writer);
        writer.EndMessage(scope);
        return writer.WrittenSpan.ToArray();
    }

    private static NetlinkMessage Read(string hex)
    {
        var reader = new NetlinkReader(Convert.FromHexString(hex));
        Assert.True(reader.TryRead(out NetlinkMessage message));
        return message;
    }

    private static int LengthField(byte[] message) => message[0] | (message[1] << 8);
}
