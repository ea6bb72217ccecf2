using Cni.Net.Netlink;

namespace Cni.Net.Tests.Netlink;

/// <summary>
/// Scopes end innermost first: an out-of-order, repeated or foreign EndNested (and an EndMessage or BeginMessage with
/// a nested attribute open) is refused without changing the writer, which then still gives the golden bytes.
/// </summary>
public class NetlinkWriterScopeTests
{
    // The bytes NetlinkWriterTests.Nested_SetsNestedFlagAndBackPatchesLength checks.
    private const string GoldenNested =
        "1c00" + "1280" + "0900" + "0100" + "7665746800" + "000000" + "0c00" + "0280" + "0800" + "0700" + "01000000" +
        "0400" + "0900";

    private static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    [Fact]
    public void EndNested_OuterWhileInnerOpen_RefusedThenGoldenBytes()
    {
        Span<byte> buffer = stackalloc byte[64];
        var w = new NetlinkWriter(buffer);
        NestedScope info = w.BeginNested(18);
        w.WriteString(1, "veth");
        NestedScope data = w.BeginNested(2);
        w.WriteUInt32(7, 1);

        string message = RefusedEnd(ref w, info);
        Assert.Contains("not the innermost open one", message, StringComparison.Ordinal);
        Assert.Contains("offset 0", message, StringComparison.Ordinal);
        Assert.Contains("offset 16", message, StringComparison.Ordinal);

        w.EndNested(data);
        w.EndNested(info);
        NestedScope plain = w.BeginNested(9, setNestedFlag: false);
        w.EndNested(plain);
        Assert.Equal(GoldenNested, Hex(w.WrittenSpan));
    }

    [Fact]
    public void EndNested_Twice_Refused()
    {
        Span<byte> buffer = stackalloc byte[64];
        var w = new NetlinkWriter(buffer);
        NestedScope outer = w.BeginNested(1);
        NestedScope inner = w.BeginNested(2);
        w.EndNested(inner);
        Assert.Contains("not the innermost", RefusedEnd(ref w, inner), StringComparison.Ordinal);
        w.EndNested(outer);
        Assert.Contains("no nested attribute is open", RefusedEnd(ref w, outer), StringComparison.Ordinal);
        Assert.Equal("0800" + "0180" + "0400" + "0280", Hex(w.WrittenSpan));
    }

    [Fact]
    public void EndNested_EndedSiblingWhileNextOpen_Refused()
    {
        Span<byte> buffer = stackalloc byte[64];
        var w = new NetlinkWriter(buffer);
        NestedScope first = w.BeginNested(1);
        w.EndNested(first);
        NestedScope second = w.BeginNested(2);
        w.WriteUInt8(3, 4);
        RefusedEnd(ref w, first);
        w.EndNested(second);
        Assert.Equal("0400" + "0180" + "0c00" + "0280" + "0500" + "0300" + "04000000", Hex(w.WrittenSpan));
    }

    [Fact]
    public void EndNested_TokenOfAnotherWriter_Refused()
    {
        Span<byte> otherBuffer = stackalloc byte[64];
        var other = new NetlinkWriter(otherBuffer);
        other.WriteUInt32(1, 1);
        NestedScope foreign = other.BeginNested(5);

        Span<byte> buffer = stackalloc byte[64];
        var w = new NetlinkWriter(buffer);
        NestedScope mine = w.BeginNested(5);
        RefusedEnd(ref w, foreign);
        RefusedEnd(ref w, default);
        w.EndNested(mine);
        Assert.Equal("0400" + "0580", Hex(w.WrittenSpan));
    }

    [Fact]
    public void Message_WithNestedOpen_EndAndBeginRefused()
    {
        Span<byte> buffer = stackalloc byte[64];
        var w = new NetlinkWriter(buffer);
        MessageScope m = w.BeginMessage(16, NetlinkMessageFlags.None, 1);
        NestedScope n = w.BeginNested(3);
        string refused = "";
        try
        {
            w.EndMessage(m);
        }
        catch (InvalidOperationException e)
        {
            refused = e.Message;
        }
        Assert.Contains("still open", refused, StringComparison.Ordinal);
        w.EndNested(n);
        Assert.Equal(20, w.EndMessage(m));
        Assert.Throws<InvalidOperationException>(() =>
        {
            var x = new NetlinkWriter(new byte[64]);
            x.BeginNested(1);
            x.BeginMessage(16, NetlinkMessageFlags.None, 1);
        });
        Assert.Throws<InvalidOperationException>(() =>
        {
            var x = new NetlinkWriter(new byte[64]);
            x.EndMessage(x.BeginMessage(16, NetlinkMessageFlags.None, 1));
            x.EndMessage(default);
        });
        Assert.Equal("14000000" + "1000" + "0100" + "01000000" + "00000000" + "0400" + "0380", Hex(w.WrittenSpan));
    }

    [Fact]
    public void Reset_ForgetsOpenScopes()
    {
        Span<byte> buffer = stackalloc byte[64];
        var w = new NetlinkWriter(buffer);
        w.BeginMessage(16, NetlinkMessageFlags.None, 1);
        w.BeginNested(1);
        w.Reset();
        MessageScope m = w.BeginMessage(16, NetlinkMessageFlags.None, 2);
        Assert.Equal(16, w.EndMessage(m));
    }

    // EndNested must throw and leave the writer as it was (same bytes, same position).
    private static string RefusedEnd(ref NetlinkWriter w, NestedScope scope)
    {
        string before = Hex(w.WrittenSpan);
        int written = w.BytesWritten;
        string message = "";
        try
        {
            w.EndNested(scope);
        }
        catch (InvalidOperationException e)
        {
            message = e.Message;
        }
        Assert.NotEqual("", message);
        Assert.Equal(written, w.BytesWritten);
        Assert.Equal(before, Hex(w.WrittenSpan));
        return message;
    }
}
