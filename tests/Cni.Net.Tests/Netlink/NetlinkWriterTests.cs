using System.Net;
using Cni.Net.Netlink;
using Cni.Net.Netlink.Route;

namespace Cni.Net.Tests.Netlink;

public class NetlinkWriterTests
{
    private static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    [Fact]
    public void BeginEndMessage_HeaderInHostOrder_LengthPatched()
    {
        Span<byte> buffer = stackalloc byte[64];
        buffer.Fill(0xff);
        var w = new NetlinkWriter(buffer);
        MessageScope m = w.BeginMessage(16, NetlinkMessageFlags.Create | NetlinkMessageFlags.Excl | NetlinkMessageFlags.Ack, 0x01020304, 0x0a0b0c0d);
        w.WriteFamilyHeader(new InterfaceInfoMessage { Index = 5 });
        int length = w.EndMessage(m);

        Assert.Equal(32, length);
        Assert.Equal(
            "20000000" + "1000" + "0506" + "04030201" + "0d0c0b0a" + // nlmsghdr: len 32, RTM_NEWLINK, REQUEST|ACK|EXCL|CREATE
            "00000000" + "05000000" + "00000000" + "00000000",       // ifinfomsg
            Hex(w.WrittenSpan));
    }

    [Fact]
    public void Attributes_PaddingZeroed_StringNulTerminated_BigEndianExplicit()
    {
        Span<byte> buffer = stackalloc byte[64];
        buffer.Fill(0xff);
        var w = new NetlinkWriter(buffer);
        w.WriteString(3, "eth0");          // 4 + 5 → padded to 12
        w.WriteUInt8(16, 6);               // 4 + 1 → padded to 8
        w.WriteUInt16BigEndian(15, 4789);  // 0x12b5 big-endian
        w.WriteUInt32(4, 1500);
        w.WriteUInt64(1, 0x1122334455667788);
        w.WriteFlag(9);

        Assert.Equal(
            "0900" + "0300" + "6574683000" + "000000" +
            "0500" + "1000" + "06" + "000000" +
            "0600" + "0f00" + "12b5" + "0000" +
            "0800" + "0400" + "dc050000" +
            "0c00" + "0100" + "8877665544332211" +
            "0400" + "0900",
            Hex(w.WrittenSpan));
    }

    [Fact]
    public void Nested_SetsNestedFlagAndBackPatchesLength()
    {
        Span<byte> buffer = stackalloc byte[64];
        var w = new NetlinkWriter(buffer);
        NestedScope info = w.BeginNested(18);
        w.WriteString(1, "veth");
        NestedScope data = w.BeginNested(2);
        w.WriteUInt32(7, 1);
        w.EndNested(data);
        w.EndNested(info);
        NestedScope plain = w.BeginNested(9, setNestedFlag: false);
        w.EndNested(plain);

        Assert.Equal(
            "1c00" + "1280" + "0900" + "0100" + "7665746800" + "000000" + "0c00" + "0280" + "0800" + "0700" + "01000000" +
            "0400" + "0900",
            Hex(w.WrittenSpan));
    }

    [Fact]
    public void IPAddress_WrittenInNetworkOrder()
    {
        Span<byte> buffer = stackalloc byte[64];
        var w = new NetlinkWriter(buffer);
        w.WriteIPAddress(1, IPAddress.Parse("10.1.2.3"));
        w.WriteIPAddress(2, IPAddress.Parse("fd00::1"));
        Assert.Equal("0800" + "0100" + "0a010203" + "1400" + "0200" + "fd000000000000000000000000000001", Hex(w.WrittenSpan));
    }

    [Fact]
    public void OutOfSpace_ThrowingFormThrows_TryFormLeavesWriterUnchanged()
    {
        var buffer = new byte[12];
        var w = new NetlinkWriter(buffer);
        w.WriteUInt32(1, 7);
        Assert.False(w.TryWriteUInt64(2, 1));
        Assert.False(w.TryWriteString(3, "toolong"));
        Assert.False(w.TryWriteBytes(4, new byte[5]));
        Assert.Equal(8, w.BytesWritten);
        Assert.True(w.TryWriteFamilyHeader(0));
        Assert.Equal(12, w.BytesWritten);
        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() =>
        {
            var w2 = new NetlinkWriter(buffer);
            w2.WriteUInt64(1, 1);
            w2.WriteUInt32(1, 1);
        });
        Assert.Contains("does not fit", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Misuse_InvalidOperation()
    {
        Assert.Throws<InvalidOperationException>(() =>
        {
            var w = new NetlinkWriter(new byte[64]);
            w.BeginMessage(16, NetlinkMessageFlags.None, 1);
            w.BeginMessage(16, NetlinkMessageFlags.None, 2);
        });
        Assert.Throws<InvalidOperationException>(() =>
        {
            var w = new NetlinkWriter(new byte[64]);
            MessageScope m = w.BeginMessage(16, NetlinkMessageFlags.None, 1);
            w.BeginNested(1);
            w.EndMessage(m);
        });
        Assert.Throws<InvalidOperationException>(() =>
        {
            var w = new NetlinkWriter(new byte[64]);
            w.EndNested(default);
        });
        Assert.Throws<ArgumentOutOfRangeException>(() =>
        {
            var w = new NetlinkWriter(new byte[70000]);
            w.ReserveAttribute(1, 65532);
        });
    }
}
