using System.Net;
using Cni.Net.Netlink;
using Cni.Net.Netlink.Route;

namespace Cni.Net.Tests.Netlink;

/// <summary>
/// Every Try-form of <see cref="NetlinkWriter"/>, written inside an open message and an open nested attribute: on a
/// buffer that fits exactly it writes the same bytes as its throwing form; one byte short it returns false, touches
/// no byte of the buffer and leaves the writer where it was (the open scopes still end and give the same message).
/// </summary>
public class NetlinkWriterTryFormTests
{
    private delegate bool TryWrite(ref NetlinkWriter writer);

    private delegate void Write(ref NetlinkWriter writer);

    // Name → (bytes the write takes, padding included; the Try-form; the throwing form).
    private static readonly Dictionary<string, (int Size, TryWrite Try, Write Write)> Cases = new()
    {
        ["FamilyHeader"] = (16, (ref NetlinkWriter w) => w.TryWriteFamilyHeader(new InterfaceInfoMessage { Index = 7 }),
            (ref NetlinkWriter w) => w.WriteFamilyHeader(new InterfaceInfoMessage { Index = 7 })),
        ["ReserveAttribute"] = (12, (ref NetlinkWriter w) => w.TryReserveAttribute(1, 5, out Span<byte> v) && Fill(v),
            (ref NetlinkWriter w) => Fill(w.ReserveAttribute(1, 5))),
        ["Bytes"] = (8, (ref NetlinkWriter w) => w.TryWriteBytes(2, [1, 2, 3]), (ref NetlinkWriter w) => w.WriteBytes(2, [1, 2, 3])),
        ["Flag"] = (4, (ref NetlinkWriter w) => w.TryWriteFlag(3), (ref NetlinkWriter w) => w.WriteFlag(3)),
        ["UInt8"] = (8, (ref NetlinkWriter w) => w.TryWriteUInt8(4, 0xab), (ref NetlinkWriter w) => w.WriteUInt8(4, 0xab)),
        ["UInt16"] = (8, (ref NetlinkWriter w) => w.TryWriteUInt16(5, 0x1234), (ref NetlinkWriter w) => w.WriteUInt16(5, 0x1234)),
        ["UInt16BigEndian"] = (8, (ref NetlinkWriter w) => w.TryWriteUInt16BigEndian(6, 4789),
            (ref NetlinkWriter w) => w.WriteUInt16BigEndian(6, 4789)),
        ["UInt32"] = (8, (ref NetlinkWriter w) => w.TryWriteUInt32(7, 1500), (ref NetlinkWriter w) => w.WriteUInt32(7, 1500)),
        ["Int32"] = (8, (ref NetlinkWriter w) => w.TryWriteInt32(8, -2), (ref NetlinkWriter w) => w.WriteInt32(8, -2)),
        ["UInt32BigEndian"] = (8, (ref NetlinkWriter w) => w.TryWriteUInt32BigEndian(9, 0x0a000001),
            (ref NetlinkWriter w) => w.WriteUInt32BigEndian(9, 0x0a000001)),
        ["UInt64"] = (12, (ref NetlinkWriter w) => w.TryWriteUInt64(10, 0x1122334455667788),
            (ref NetlinkWriter w) => w.WriteUInt64(10, 0x1122334455667788)),
        ["Struct"] = (20, (ref NetlinkWriter w) => w.TryWriteStruct(11, new InterfaceInfoMessage { Index = 3, Flags = 1 }),
            (ref NetlinkWriter w) => w.WriteStruct(11, new InterfaceInfoMessage { Index = 3, Flags = 1 })),
        ["StringAscii"] = (12, (ref NetlinkWriter w) => w.TryWriteString(12, "eth0"), (ref NetlinkWriter w) => w.WriteString(12, "eth0")),
        ["StringUtf16NonAscii"] = (12, (ref NetlinkWriter w) => w.TryWriteString(13, "thé0"), (ref NetlinkWriter w) => w.WriteString(13, "thé0")),
        ["StringUtf8"] = (12, (ref NetlinkWriter w) => w.TryWriteString(14, "veth"u8), (ref NetlinkWriter w) => w.WriteString(14, "veth"u8)),
        ["IPv4Address"] = (8, (ref NetlinkWriter w) => w.TryWriteIPAddress(15, IPAddress.Parse("10.1.2.3")),
            (ref NetlinkWriter w) => w.WriteIPAddress(15, IPAddress.Parse("10.1.2.3"))),
        ["IPv6Address"] = (20, (ref NetlinkWriter w) => w.TryWriteIPAddress(16, IPAddress.Parse("fd00::1")),
            (ref NetlinkWriter w) => w.WriteIPAddress(16, IPAddress.Parse("fd00::1"))),
        ["MacAddress"] = (12, (ref NetlinkWriter w) => w.TryWriteMacAddress(17, [2, 0, 0, 0, 0, 1]),
            (ref NetlinkWriter w) => w.WriteMacAddress(17, [2, 0, 0, 0, 0, 1])),
        ["BeginNested"] = (4, (ref NetlinkWriter w) => w.TryBeginNested(18, out _), (ref NetlinkWriter w) => w.BeginNested(18)),
        ["BeginNestedWithoutFlag"] = (4, (ref NetlinkWriter w) => w.TryBeginNested(19, setNestedFlag: false, out _),
            (ref NetlinkWriter w) => w.BeginNested(19, setNestedFlag: false)),
        ["Raw"] = (8, (ref NetlinkWriter w) => w.TryWriteRaw([9, 8, 7, 6, 5]), (ref NetlinkWriter w) => w.WriteRaw([9, 8, 7, 6, 5])),
    };

    // Message header (16) and the open nested attribute's header (4) written before the case.
    private const int Prefix = 20;

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void ExactFit_TrueAndSameBytesAsThrowingForm(string name)
    {
        (int size, TryWrite tryWrite, Write write) = Cases[name];
        byte[] expected = new byte[Prefix + size];
        var reference = new NetlinkWriter(expected);
        OpenScopes(ref reference);
        write(ref reference);
        Assert.Equal(Prefix + size, reference.BytesWritten);

        byte[] buffer = new byte[Prefix + size];
        buffer.AsSpan().Fill(0xcc);
        var w = new NetlinkWriter(buffer);
        OpenScopes(ref w);

        Assert.True(tryWrite(ref w));
        Assert.Equal(Prefix + size, w.BytesWritten);
        Assert.Equal(0, w.BytesRemaining);
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(buffer));
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void OneByteShort_FalseNothingWrittenWriterUnchanged(string name)
    {
        (int size, TryWrite tryWrite, _) = Cases[name];
        byte[] buffer = new byte[Prefix + size - 1];
        buffer.AsSpan().Fill(0xcc);
        var w = new NetlinkWriter(buffer);
        (MessageScope message, NestedScope nested) = OpenScopes(ref w);
        byte[] before = buffer.ToArray();

        Assert.False(tryWrite(ref w));

        Assert.Equal(Convert.ToHexString(before), Convert.ToHexString(buffer)); // not one byte touched, padding included
        Assert.Equal(Prefix, w.BytesWritten);
        Assert.Equal(size - 1, w.BytesRemaining);
        Assert.True(w.HasOpenMessage);
        // The same scopes are still the open ones: they end in order and give the message a writer that never
        // tried would give.
        w.EndNested(nested);
        Assert.Equal(Prefix, w.EndMessage(message));
        Assert.Equal(EmptyScopesHex(), Convert.ToHexString(w.WrittenSpan));
    }

    [Fact]
    public void TryBeginMessage_ExactFitAndOneByteShort()
    {
        // After one complete message, as in a batch.
        byte[] exact = new byte[32];
        var w = new NetlinkWriter(exact);
        w.EndMessage(w.BeginMessage(16, NetlinkMessageFlags.None, 1));
        Assert.True(w.TryBeginMessage(20, NetlinkMessageFlags.Ack, 2, 77, out MessageScope second));
        Assert.True(w.HasOpenMessage);
        Assert.Equal(16, w.EndMessage(second));
        Assert.Equal("10000000" + "1400" + "0500" + "02000000" + "4d000000", Convert.ToHexString(exact.AsSpan(16)).ToLowerInvariant());

        byte[] shortBuffer = new byte[31];
        shortBuffer.AsSpan().Fill(0xcc);
        var s = new NetlinkWriter(shortBuffer);
        s.EndMessage(s.BeginMessage(16, NetlinkMessageFlags.None, 1));
        byte[] before = shortBuffer.ToArray();
        Assert.False(s.TryBeginMessage(20, NetlinkMessageFlags.Ack, 2, out MessageScope none));
        Assert.Equal(default, none);
        Assert.Equal(Convert.ToHexString(before), Convert.ToHexString(shortBuffer));
        Assert.Equal(16, s.BytesWritten);
        Assert.False(s.HasOpenMessage);
        Assert.Throws<InvalidOperationException>(() =>
        {
            var t = new NetlinkWriter(new byte[15]);
            t.BeginMessage(16, NetlinkMessageFlags.None, 1);
        });
    }

    [Fact]
    public void FailedTryBeginNested_GivesNoToken_OuterScopeStillInnermost()
    {
        byte[] buffer = new byte[Prefix + 3];
        var w = new NetlinkWriter(buffer);
        (MessageScope message, NestedScope nested) = OpenScopes(ref w);
        Assert.False(w.TryBeginNested(1, out NestedScope none));
        Assert.Equal(default, none);
        Assert.Throws<InvalidOperationException>(() =>
        {
            var other = new NetlinkWriter(new byte[64]);
            other.BeginNested(1);
            other.EndNested(default);
        });
        w.EndNested(nested);
        w.EndMessage(message);
        Assert.Equal(EmptyScopesHex(), Convert.ToHexString(w.WrittenSpan));
    }

    private static (MessageScope Message, NestedScope Nested) OpenScopes(ref NetlinkWriter w)
    {
        MessageScope message = w.BeginMessage(16, NetlinkMessageFlags.Ack, 1);
        NestedScope nested = w.BeginNested(18);
        return (message, nested);
    }

    private static string EmptyScopesHex()
    {
        var w = new NetlinkWriter(new byte[Prefix]);
        (MessageScope message, NestedScope nested) = OpenScopes(ref w);
        w.EndNested(nested);
        w.EndMessage(message);
        return Convert.ToHexString(w.WrittenSpan);
    }

    private static bool Fill(Span<byte> value)
    {
        for (int i = 0; i < value.Length; i++)
        {
            value[i] = (byte)(0x41 + i);
        }
        return true;
    }
}
