using Cni.Net.Netlink;
using static Cni.Net.Netfilter.NfTables.NfTablesProtocol;

namespace Cni.Net.Netfilter.NfTables;

/// <summary>
/// Whether a rule's <c>NFTA_RULE_EXPRESSIONS</c> as the kernel dumps it holds the same expressions as a list this
/// library writes. The two encodings differ in form only: the kernel nests without <c>NLA_F_NESTED</c> and may put an
/// expression's attributes in another order. So lists and nested data are compared structure by structure, an
/// expression's attributes by type; every value byte for byte. Anything not understood compares unequal, which only
/// costs a rewrite.
/// </summary>
internal static class NftExpressionListComparer
{
    public static bool Same(ReadOnlySpan<byte> dumped, ReadOnlySpan<byte> written)
    {
        NetlinkAttributeEnumerator a = new(dumped), b = new(written);
        while (true)
        {
            bool moreA = a.MoveNext(), moreB = b.MoveNext();
            if (moreA != moreB)
            {
                return false;
            }
            if (!moreA)
            {
                return true;
            }
            if (a.Current.Type != NFTA_LIST_ELEM || b.Current.Type != NFTA_LIST_ELEM || !SameExpression(a.Current.Value, b.Current.Value))
            {
                return false;
            }
        }
    }

    private static bool SameExpression(ReadOnlySpan<byte> dumped, ReadOnlySpan<byte> written)
    {
        if (!TryRead(dumped, out ReadOnlySpan<byte> nameA, out ReadOnlySpan<byte> dataA)
            || !TryRead(written, out ReadOnlySpan<byte> nameB, out ReadOnlySpan<byte> dataB)
            || !nameA.SequenceEqual(nameB))
        {
            return false;
        }
        return SameByType(dataA, dataB, nameA);
    }

    private static bool TryRead(ReadOnlySpan<byte> element, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> data)
    {
        name = default;
        data = default;
        int seen = 0;
        foreach (NetlinkAttr attr in new NetlinkAttributeEnumerator(element))
        {
            switch (attr.Type)
            {
                case NFTA_EXPR_NAME:
                    name = attr.GetStringBytes();
                    break;
                case NFTA_EXPR_DATA:
                    data = attr.Value;
                    break;
                default:
                    return false;
            }
            seen++;
        }
        return seen is 1 or 2 && !name.IsEmpty;
    }

    /// <summary>
    /// An expression's attributes: one of each type, in any order; the kernel may add one that holds its default.
    /// </summary>
    private static bool SameByType(ReadOnlySpan<byte> dumped, ReadOnlySpan<byte> written, ReadOnlySpan<byte> expression)
    {
        foreach (NetlinkAttr mine in new NetlinkAttributeEnumerator(written))
        {
            bool found = false;
            foreach (NetlinkAttr theirs in new NetlinkAttributeEnumerator(dumped))
            {
                if (theirs.Type != mine.Type)
                {
                    continue;
                }
                found = HoldsData(expression, mine.Type) ? SameData(theirs.Value, mine.Value) : theirs.Value.SequenceEqual(mine.Value);
                break;
            }
            if (!found)
            {
                return false;
            }
        }
        foreach (NetlinkAttr theirs in new NetlinkAttributeEnumerator(dumped))
        {
            if (!Has(written, theirs.Type) && !IsDefault(expression, theirs))
            {
                return false;
            }
        }
        return true;
    }

    private static bool Has(ReadOnlySpan<byte> attributes, ushort type)
    {
        foreach (NetlinkAttr a in new NetlinkAttributeEnumerator(attributes))
        {
            if (a.Type == type)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>An attribute the kernel dumps even when the writer left it to its default.</summary>
    private static bool IsDefault(ReadOnlySpan<byte> expression, NetlinkAttr attr) =>
        expression.SequenceEqual("bitwise"u8) && attr.Type == NFTA_BITWISE_OP && attr.Value.Length == 4
        && attr.Value.IndexOfAnyExcept((byte)0) < 0; // NFT_BITWISE_BOOL

    /// <summary>Which attributes of an expression are <c>nft_data</c> (NFTA_DATA_VALUE or a nested NFTA_DATA_VERDICT).</summary>
    private static bool HoldsData(ReadOnlySpan<byte> expression, ushort type) => expression switch
    {
        _ when expression.SequenceEqual("immediate"u8) => type == NFTA_IMMEDIATE_DATA,
        _ when expression.SequenceEqual("cmp"u8) => type == NFTA_CMP_DATA,
        _ when expression.SequenceEqual("bitwise"u8) => type is NFTA_BITWISE_MASK or NFTA_BITWISE_XOR,
        _ when expression.SequenceEqual("range"u8) => type is NFTA_RANGE_FROM_DATA or NFTA_RANGE_TO_DATA,
        _ => false,
    };

    private static bool SameData(ReadOnlySpan<byte> dumped, ReadOnlySpan<byte> written)
    {
        NetlinkAttributeEnumerator a = new(dumped), b = new(written);
        if (!a.MoveNext() || !b.MoveNext() || a.Current.Type != b.Current.Type)
        {
            return false;
        }
        bool same = a.Current.Type == NFTA_DATA_VERDICT
            ? SameByType(a.Current.Value, b.Current.Value, "verdict"u8)
            : a.Current.Value.SequenceEqual(b.Current.Value);
        return same && !a.MoveNext() && !b.MoveNext();
    }
}
