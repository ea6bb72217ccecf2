using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Cni.Net.Netlink;
using static Cni.Net.Netfilter.NfTables.NfTablesProtocol;
using static Cni.Net.Netfilter.NfTables.NftNativeProtocol;

namespace Cni.Net.Netfilter.NfTables;

/// <summary>
/// One statement of a native nf_tables rule, written as the expressions <c>nft</c> 1.0 generates for it (so
/// <c>nft list</c> prints it as the statement and two writers produce identical rules).
/// </summary>
internal abstract record NftExpression
{
    /// <summary>Writes this statement's expressions into an open NFTA_RULE_EXPRESSIONS list.</summary>
    internal abstract void Write(ref NetlinkWriter w, AddressFamily family);

    private protected static NestedScope Begin(ref NetlinkWriter w, string name)
    {
        NestedScope element = w.BeginNested(NFTA_LIST_ELEM);
        w.WriteString(NFTA_EXPR_NAME, name);
        return element;
    }

    private protected static void Payload(ref NetlinkWriter w, uint @base, uint offset, uint length)
    {
        NestedScope e = Begin(ref w, "payload");
        NestedScope d = w.BeginNested(NFTA_EXPR_DATA);
        w.WriteUInt32BigEndian(NFTA_PAYLOAD_DREG, NFT_REG_1);
        w.WriteUInt32BigEndian(NFTA_PAYLOAD_BASE, @base);
        w.WriteUInt32BigEndian(NFTA_PAYLOAD_OFFSET, offset);
        w.WriteUInt32BigEndian(NFTA_PAYLOAD_LEN, length);
        w.EndNested(d);
        w.EndNested(e);
    }

    private protected static void CmpEq(ref NetlinkWriter w, scoped ReadOnlySpan<byte> value) => Cmp(ref w, value, negated: false);

    private protected static void Cmp(ref NetlinkWriter w, scoped ReadOnlySpan<byte> value, bool negated)
    {
        NestedScope e = Begin(ref w, "cmp");
        NestedScope d = w.BeginNested(NFTA_EXPR_DATA);
        w.WriteUInt32BigEndian(NFTA_CMP_SREG, NFT_REG_1);
        w.WriteUInt32BigEndian(NFTA_CMP_OP, negated ? NFT_CMP_NEQ : NFT_CMP_EQ);
        NestedScope data = w.BeginNested(NFTA_CMP_DATA);
        w.WriteBytes(NFTA_DATA_VALUE, value);
        w.EndNested(data);
        w.EndNested(d);
        w.EndNested(e);
    }

    private protected static void Immediate(ref NetlinkWriter w, uint register, scoped ReadOnlySpan<byte> value)
    {
        NestedScope e = Begin(ref w, "immediate");
        NestedScope d = w.BeginNested(NFTA_EXPR_DATA);
        w.WriteUInt32BigEndian(NFTA_IMMEDIATE_DREG, register);
        NestedScope data = w.BeginNested(NFTA_IMMEDIATE_DATA);
        w.WriteBytes(NFTA_DATA_VALUE, value);
        w.EndNested(data);
        w.EndNested(d);
        w.EndNested(e);
    }

    private protected static int AddressBytes(IPAddress address, Span<byte> into)
    {
        address.TryWriteBytes(into, out int written);
        return written;
    }
}

/// <summary><c>ip saddr A</c> / <c>ip daddr A</c> (<c>ip6 …</c> in ip6 tables): an exact address.</summary>
internal sealed record NftAddressMatch(bool Source, IPAddress Address) : NftExpression
{
    internal override void Write(ref NetlinkWriter w, AddressFamily family)
    {
        bool v6 = Address.AddressFamily == AddressFamily.InterNetworkV6;
        Span<byte> bytes = stackalloc byte[16];
        int length = AddressBytes(Address, bytes);
        Payload(ref w, NFT_PAYLOAD_NETWORK_HEADER, Source ? (v6 ? 8u : 12u) : (v6 ? 24u : 16u), (uint)length);
        CmpEq(ref w, bytes[..length]);
    }
}

/// <summary><c>tcp dport P</c> / <c>udp dport P</c> / <c>sctp dport P</c>: protocol, then the destination port.</summary>
internal sealed record NftDestinationPortMatch(byte Protocol, ushort Port) : NftExpression
{
    internal override void Write(ref NetlinkWriter w, AddressFamily family)
    {
        NestedScope e = Begin(ref w, "meta");
        NestedScope d = w.BeginNested(NFTA_EXPR_DATA);
        w.WriteUInt32BigEndian(NFTA_META_DREG, NFT_REG_1);
        w.WriteUInt32BigEndian(NFTA_META_KEY, NFT_META_L4PROTO);
        w.EndNested(d);
        w.EndNested(e);
        CmpEq(ref w, [Protocol]);
        Payload(ref w, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
        Span<byte> port = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(port, Port);
        CmpEq(ref w, port);
    }
}

/// <summary><c>fib daddr type local</c>: the destination is an address of this host.</summary>
internal sealed record NftLocalDestinationMatch : NftExpression
{
    internal override void Write(ref NetlinkWriter w, AddressFamily family)
    {
        NestedScope e = Begin(ref w, "fib");
        NestedScope d = w.BeginNested(NFTA_EXPR_DATA);
        w.WriteUInt32BigEndian(NFTA_FIB_DREG, NFT_REG_1);
        w.WriteUInt32BigEndian(NFTA_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
        w.WriteUInt32BigEndian(NFTA_FIB_FLAGS, NFTA_FIB_F_DADDR);
        w.EndNested(d);
        w.EndNested(e);
        Span<byte> type = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(type, RTN_LOCAL); // a register value: host order, as nft writes it
        CmpEq(ref w, type);
    }
}

/// <summary><c>jump CHAIN</c>; with <paramref name="Goto"/>, <c>goto CHAIN</c>; with no chain, <c>return</c>.</summary>
internal sealed record NftJump(string? Chain, bool Goto = false) : NftExpression
{
    /// <summary><c>return</c>.</summary>
    public static NftJump Return { get; } = new((string?)null);

    internal override void Write(ref NetlinkWriter w, AddressFamily family)
    {
        NestedScope e = Begin(ref w, "immediate");
        NestedScope d = w.BeginNested(NFTA_EXPR_DATA);
        w.WriteUInt32BigEndian(NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT);
        NestedScope data = w.BeginNested(NFTA_IMMEDIATE_DATA);
        NestedScope verdict = w.BeginNested(NFTA_DATA_VERDICT);
        w.WriteUInt32BigEndian(NFTA_VERDICT_CODE, unchecked((uint)(Chain is null ? NFT_RETURN : Goto ? NFT_GOTO : NFT_JUMP)));
        if (Chain is not null)
        {
            w.WriteString(NFTA_VERDICT_CHAIN, Chain);
        }
        w.EndNested(verdict);
        w.EndNested(data);
        w.EndNested(d);
        w.EndNested(e);
    }
}

/// <summary><c>dnat to A:P</c> (<c>[A]:P</c> for IPv6).</summary>
internal sealed record NftDnat(IPAddress Address, ushort Port) : NftExpression
{
    internal override void Write(ref NetlinkWriter w, AddressFamily family)
    {
        Span<byte> bytes = stackalloc byte[16];
        int length = AddressBytes(Address, bytes);
        Immediate(ref w, NFT_REG_1, bytes[..length]);
        Span<byte> port = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(port, Port);
        Immediate(ref w, NFT_REG_2, port);
        NestedScope e = Begin(ref w, "nat");
        NestedScope d = w.BeginNested(NFTA_EXPR_DATA);
        w.WriteUInt32BigEndian(NFTA_NAT_TYPE, NFT_NAT_DNAT);
        w.WriteUInt32BigEndian(NFTA_NAT_FAMILY, Address.AddressFamily == AddressFamily.InterNetworkV6 ? 10u : 2u);
        w.WriteUInt32BigEndian(NFTA_NAT_REG_ADDR_MIN, NFT_REG_1);
        w.WriteUInt32BigEndian(NFTA_NAT_REG_PROTO_MIN, NFT_REG_2);
        w.WriteUInt32BigEndian(NFTA_NAT_FLAGS, NF_NAT_RANGE_PROTO_SPECIFIED);
        w.EndNested(d);
        w.EndNested(e);
    }
}

/// <summary><c>masquerade</c>.</summary>
internal sealed record NftMasquerade : NftExpression
{
    internal override void Write(ref NetlinkWriter w, AddressFamily family)
    {
        NestedScope e = Begin(ref w, "masq");
        w.EndNested(e);
    }
}

/// <summary>
/// <c>ip saddr/daddr [!=] NET</c> (<c>ip6 …</c>): a prefix, compared on its whole bytes when byte-aligned, else on
/// the full address through a mask — as nft writes it.
/// </summary>
internal sealed record NftNetworkMatch(bool Source, IPNetwork Network, bool Negated = false) : NftExpression
{
    internal override void Write(ref NetlinkWriter w, AddressFamily family)
    {
        bool v6 = Network.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6;
        Span<byte> bytes = stackalloc byte[16];
        int length = AddressBytes(Network.BaseAddress, bytes);
        uint offset = Source ? (v6 ? 8u : 12u) : (v6 ? 24u : 16u);
        int prefix = Network.PrefixLength;
        if (prefix % 8 == 0)
        {
            Payload(ref w, NFT_PAYLOAD_NETWORK_HEADER, offset, (uint)(prefix / 8));
            Cmp(ref w, bytes[..(prefix / 8)], Negated);
            return;
        }
        Payload(ref w, NFT_PAYLOAD_NETWORK_HEADER, offset, (uint)length);
        Span<byte> mask = stackalloc byte[16];
        mask.Clear();
        for (int i = 0; i < prefix; i++)
        {
            mask[i / 8] |= (byte)(0x80 >> (i % 8));
        }
        NestedScope e = Begin(ref w, "bitwise");
        NestedScope d = w.BeginNested(NFTA_EXPR_DATA);
        w.WriteUInt32BigEndian(NFTA_BITWISE_SREG, NFT_REG_1);
        w.WriteUInt32BigEndian(NFTA_BITWISE_DREG, NFT_REG_1);
        w.WriteUInt32BigEndian(NFTA_BITWISE_LEN, (uint)length);
        NestedScope m = w.BeginNested(NFTA_BITWISE_MASK);
        w.WriteBytes(NFTA_DATA_VALUE, mask[..length]);
        w.EndNested(m);
        NestedScope x = w.BeginNested(NFTA_BITWISE_XOR);
        Span<byte> zero = stackalloc byte[16];
        zero.Clear();
        w.WriteBytes(NFTA_DATA_VALUE, zero[..length]);
        w.EndNested(x);
        w.EndNested(d);
        w.EndNested(e);
        for (int i = 0; i < length; i++)
        {
            bytes[i] &= mask[i];
        }
        Cmp(ref w, bytes[..length], Negated);
    }
}

/// <summary>
/// <c>meta nfproto ipv4|ipv6</c>: the dependency nft puts before the first <c>ip</c>/<c>ip6</c> match of a rule in an
/// <c>inet</c> table.
/// </summary>
internal sealed record NftFamilyMatch(AddressFamily Family) : NftExpression
{
    private const uint NFT_META_NFPROTO = 15;

    internal override void Write(ref NetlinkWriter w, AddressFamily family)
    {
        NestedScope e = Begin(ref w, "meta");
        NestedScope d = w.BeginNested(NFTA_EXPR_DATA);
        w.WriteUInt32BigEndian(NFTA_META_DREG, NFT_REG_1);
        w.WriteUInt32BigEndian(NFTA_META_KEY, NFT_META_NFPROTO);
        w.EndNested(d);
        w.EndNested(e);
        CmpEq(ref w, [Family == AddressFamily.InterNetworkV6 ? (byte)10 : (byte)2]);
    }
}

/// <summary>
/// <c>iifname</c>/<c>oifname</c> <c>[!=] "name"</c>: the interface name padded to IFNAMSIZ, as nft compares it; a name
/// ending in <c>*</c> matches by prefix (nft compares only the bytes before the star).
/// </summary>
internal sealed record NftInterfaceNameMatch(bool Input, string Name, bool Negated = false) : NftExpression
{
    private const uint NFT_META_IIFNAME = 6;
    private const uint NFT_META_OIFNAME = 7;
    private const int IfNameSize = 16;

    internal override void Write(ref NetlinkWriter w, AddressFamily family)
    {
        NestedScope e = Begin(ref w, "meta");
        NestedScope d = w.BeginNested(NFTA_EXPR_DATA);
        w.WriteUInt32BigEndian(NFTA_META_DREG, NFT_REG_1);
        w.WriteUInt32BigEndian(NFTA_META_KEY, Input ? NFT_META_IIFNAME : NFT_META_OIFNAME);
        w.EndNested(d);
        w.EndNested(e);
        Span<byte> name = stackalloc byte[IfNameSize];
        name.Clear();
        bool wildcard = Name.EndsWith('*');
        int length = System.Text.Encoding.ASCII.GetBytes(wildcard ? Name.AsSpan(0, Name.Length - 1) : Name.AsSpan(), name);
        Cmp(ref w, wildcard ? name[..length] : name, Negated);
    }
}
