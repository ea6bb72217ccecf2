using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Cni.Net.Netfilter.NfTables;
using Cni.Net.Netlink;

namespace Cni.Net.Tests.Netfilter;

/// <summary>
/// The comparison that lets a native transaction leave a skeleton chain alone: the kernel's dump form (nesting without
/// NLA_F_NESTED, its own attribute order, defaults it adds) against what the library writes.
/// </summary>
public sealed class NftExpressionListComparerTests
{
    private static byte[] Ours(params NftExpression[] statements)
    {
        var buffer = new byte[4096];
        var w = new NetlinkWriter(buffer);
        MessageScope m = w.BeginMessage(0, NetlinkMessageFlags.None, 0);
        w.WriteFamilyHeader(NfGenMsg.For(1));
        NestedScope list = w.BeginNested(NfTablesProtocol.NFTA_RULE_EXPRESSIONS);
        foreach (NftExpression statement in statements)
        {
            statement.Write(ref w, AddressFamily.Unspecified);
        }
        w.EndNested(list);
        int length = w.EndMessage(m);
        foreach (NetlinkAttr a in new NetlinkAttributeEnumerator(buffer.AsSpan(20, length - 20)))
        {
            return a.Value.ToArray();
        }
        throw new InvalidOperationException("nothing written");
    }

    // The kernel's dump form, built by hand: nested attributes without NLA_F_NESTED.
    private static byte[] Attr(ushort type, byte[] value)
    {
        int length = 4 + value.Length;
        var bytes = new byte[(length + 3) & ~3];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, (ushort)length);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2), type);
        value.CopyTo(bytes, 4);
        return bytes;
    }

    private static byte[] Nest(ushort type, params byte[][] children) => Attr(type, [.. children.SelectMany(c => c)]);

    private static byte[] U32(ushort type, uint value)
    {
        var v = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(v, value);
        return Attr(type, v);
    }

    private static byte[] Str(ushort type, string value) => Attr(type, [.. Encoding.UTF8.GetBytes(value), 0]);

    private static byte[] Expr(string name, params byte[][] data) => Nest(1, Str(1, name), Nest(2, data));

    private static byte[] List(params byte[][] expressions) => [.. expressions.SelectMany(e => e)];

    // meta nfproto ipv4: the kernel dumps KEY before DREG; this library writes DREG first.
    private static readonly byte[] s_metaNfproto = Expr("meta", U32(2, 15), U32(1, 1));

    private static byte[] CmpEq(byte value, ushort extraType = 0) => extraType == 0
        ? Expr("cmp", U32(1, 1), U32(2, 0), Nest(3, Attr(1, [value])))
        : Expr("cmp", U32(1, 1), U32(2, 0), Nest(3, Attr(1, [value])), U32(extraType, 0));

    private static byte[] Goto(string chain) => Expr("immediate", U32(1, 0), Nest(2, Nest(2, U32(1, unchecked((uint)-4)), Str(2, chain))));

    [Fact]
    public void Same_WhenOnlyTheFormDiffers_NoNestedFlags_AnotherAttributeOrder()
    {
        byte[] ours = Ours(new NftFamilyMatch(AddressFamily.InterNetwork), new NftJump("masq_checks", Goto: true));
        Assert.True(NftExpressionListComparer.Same(List(s_metaNfproto, CmpEq(2), Goto("masq_checks")), ours));
    }

    [Theory]
    [InlineData("another chain")]
    [InlineData("another value")]
    [InlineData("an attribute more")]
    [InlineData("an expression fewer")]
    [InlineData("an expression more")]
    public void NotSame_WhenAnythingButTheFormDiffers(string difference)
    {
        byte[] ours = Ours(new NftFamilyMatch(AddressFamily.InterNetwork), new NftJump("masq_checks", Goto: true));
        byte[] dumped = difference switch
        {
            "another chain" => List(s_metaNfproto, CmpEq(2), Goto("masq_check")),
            "another value" => List(s_metaNfproto, CmpEq(10), Goto("masq_checks")),
            "an attribute more" => List(s_metaNfproto, CmpEq(2, extraType: 9), Goto("masq_checks")),
            "an expression fewer" => List(s_metaNfproto, Goto("masq_checks")),
            _ => List(s_metaNfproto, CmpEq(2), Goto("masq_checks"), Goto("masq_checks")),
        };
        Assert.False(NftExpressionListComparer.Same(dumped, ours));
    }

    [Theory]
    [InlineData(0u, true)] // NFT_BITWISE_BOOL, the kernel's default, dumped though not written
    [InlineData(1u, false)] // NFT_BITWISE_LSHIFT: another operation
    public void Bitwise_TheKernelsDefaultOperation_IsNotADifference(uint operation, bool same)
    {
        byte[] ours = Ours(new NftNetworkMatch(false, System.Net.IPNetwork.Parse("224.0.0.0/4")));
        byte[] dumped = List(
            Expr("payload", U32(1, 1), U32(2, 1), U32(3, 16), U32(4, 4)),
            Expr("bitwise", U32(1, 1), U32(2, 1), U32(3, 4), U32(6, operation), Nest(4, Attr(1, [0xf0, 0, 0, 0])), Nest(5, Attr(1, [0, 0, 0, 0]))),
            Expr("cmp", U32(1, 1), U32(2, 0), Nest(3, Attr(1, [0xe0, 0, 0, 0]))));
        Assert.Equal(same, NftExpressionListComparer.Same(dumped, ours));
    }
}
