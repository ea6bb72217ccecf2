using System.Buffers.Binary;
using System.Net;
using System.Runtime.InteropServices;
using Cni.Net.Netlink;
using static Cni.Net.Netfilter.NfTables.NfTablesProtocol;
using Cni.Net.Netfilter.Iptables;
using Cni.Net.Netfilter;

namespace Cni.Net.Netfilter.NfTables;

/// <summary>
/// Writes a <see cref="NetfilterRule"/> as the nf_tables expressions iptables-nft 1.8.9 generates for the same
/// iptables rule: native expressions for interfaces, protocol, addresses, tcp/udp ports and the mark match; xt
/// compat <c>match</c>/<c>target</c> expressions (with the kernel's xt info structs) for the rest; always a
/// <c>counter</c>; verdicts as <c>immediate</c>. Because the bytes are the same, <c>iptables-nft-save</c> prints our
/// rules exactly as its own and <c>iptables-nft -C/-D</c> finds them.
/// </summary>
internal static class NftRuleEncoder
{
    /// <summary>Writes NFTA_RULE_EXPRESSIONS and NFTA_RULE_COMPAT.</summary>
    /// <exception cref="NetfilterException">The rule uses something the native backend cannot express.</exception>
    public static void Write(ref NetlinkWriter w, NetfilterRule rule, bool ipv6)
    {
        byte protocol = rule.Protocol is null ? (byte)0 : NftProtocols.Number(rule.Protocol);
        NestedScope list = w.BeginNested(NFTA_RULE_EXPRESSIONS);
        if (rule.InInterface is not null)
        {
            Interface(ref w, NFT_META_IIFNAME, rule.InInterface, rule.InInterfaceNegated);
        }
        if (rule.OutInterface is not null)
        {
            Interface(ref w, NFT_META_OIFNAME, rule.OutInterface, rule.OutInterfaceNegated);
        }
        if (rule.Protocol is not null)
        {
            Meta(ref w, NFT_META_L4PROTO);
            Cmp(ref w, rule.ProtocolNegated, [protocol]);
        }
        if (rule.Source is IPNetwork s)
        {
            Address(ref w, s, rule.SourceNegated, ipv6 ? 8u : 12u);
        }
        if (rule.Destination is IPNetwork d)
        {
            Address(ref w, d, rule.DestinationNegated, ipv6 ? 24u : 16u);
        }
        foreach (NetfilterMatch m in rule.Matches)
        {
            Match(ref w, rule, m, ipv6);
        }
        Counter(ref w);
        if (rule.Target is not null)
        {
            Target(ref w, rule.Target, ipv6);
        }
        w.EndNested(list);

        NestedScope compat = w.BeginNested(NFTA_RULE_COMPAT);
        w.WriteUInt32BigEndian(NFTA_RULE_COMPAT_PROTO, protocol);
        w.WriteUInt32BigEndian(NFTA_RULE_COMPAT_FLAGS, rule.ProtocolNegated ? NFT_RULE_COMPAT_F_INV : 0);
        w.EndNested(compat);
    }

    private static void Interface(ref NetlinkWriter w, uint key, string name, bool negated)
    {
        Meta(ref w, key);
        // iptables compares the name with its NUL for an exact name, and only the prefix for "eth+".
        bool wildcard = name.EndsWith('+');
        int length = wildcard ? name.Length - 1 : name.Length + 1;
        Span<byte> bytes = stackalloc byte[16];
        bytes.Clear();
        System.Text.Ascii.FromUtf16(name.AsSpan(0, wildcard ? name.Length - 1 : name.Length), bytes, out _);
        Cmp(ref w, negated, bytes[..length]);
    }

    private static void Address(ref NetlinkWriter w, IPNetwork network, bool negated, uint offset)
    {
        int prefix = network.PrefixLength;
        if (prefix == 0)
        {
            return; // iptables drops "-s 0.0.0.0/0": it matches everything
        }
        Span<byte> address = stackalloc byte[16];
        network.BaseAddress.TryWriteBytes(address, out int size);
        address = address[..size];
        if (prefix % 8 == 0)
        {
            Payload(ref w, NFT_PAYLOAD_NETWORK_HEADER, offset, (uint)(prefix / 8));
            Cmp(ref w, negated, address[..(prefix / 8)]);
            return;
        }
        Span<byte> mask = stackalloc byte[16];
        mask = mask[..size];
        mask.Clear();
        for (int i = 0; i < prefix; i++)
        {
            mask[i / 8] |= (byte)(0x80 >> (i % 8));
        }
        Payload(ref w, NFT_PAYLOAD_NETWORK_HEADER, offset, (uint)size);
        Bitwise(ref w, mask);
        Cmp(ref w, negated, address);
    }

    private static void Match(ref NetlinkWriter w, NetfilterRule rule, NetfilterMatch match, bool ipv6)
    {
        switch (match)
        {
            case PortMatch p when rule.Protocol is "tcp" or "udp":
                Ports(ref w, p);
                break;
            case PortMatch p when rule.Protocol is "sctp":
                NftXtInfo.WriteSctp(ref w, p);
                break;
            case MultiportMatch mp:
                NftXtInfo.WriteMultiport(ref w, mp);
                break;
            case AddressTypeMatch a:
                NftXtInfo.WriteAddressType(ref w, a);
                break;
            case ConntrackStateMatch c:
                NftXtInfo.WriteConntrack(ref w, c);
                break;
            case MarkMatch mk:
                Meta(ref w, NFT_META_MARK);
                Span<byte> value = stackalloc byte[4];
                if (mk.Mask != uint.MaxValue)
                {
                    MemoryMarshal.Write(value, mk.Mask);
                    Bitwise(ref w, value);
                }
                MemoryMarshal.Write(value, mk.Value);
                Cmp(ref w, mk.Negated, value);
                break;
            case CommentMatch cm:
                NftXtInfo.WriteComment(ref w, cm.Text);
                break;
            default:
                throw Unsupported(match, rule);
        }
        _ = ipv6;
    }

    private static NetfilterException Unsupported(NetfilterMatch match, NetfilterRule rule) => new(
        $"the native nf_tables backend cannot write '{IptablesRuleFormatter.FormatSpec(rule)}': {match.GetType().Name} "
        + (match is PortMatch ? $"with protocol {rule.Protocol}" : "is not supported") + "; use IptablesNftBackend for such rules");

    // Mirrors iptables-nft's add_nft_tcpudp: both single ports with the same negation become one 4-byte compare.
    private static void Ports(ref NetlinkWriter w, PortMatch p)
    {
        if (p.Source is PortRange s && p.Destination is PortRange d && s.IsSingle && d.IsSingle && s.First != 0 && d.First != 0
            && p.SourceNegated == p.DestinationNegated)
        {
            Payload(ref w, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 4);
            Span<byte> both = stackalloc byte[4];
            BinaryPrimitives.WriteUInt16BigEndian(both, s.First);
            BinaryPrimitives.WriteUInt16BigEndian(both[2..], d.First);
            Cmp(ref w, p.DestinationNegated, both);
            return;
        }
        if (p.Source is PortRange src && !(src.First == 0 && src.Last == ushort.MaxValue))
        {
            Port(ref w, 0, src, p.SourceNegated);
        }
        if (p.Destination is PortRange dst && !(dst.First == 0 && dst.Last == ushort.MaxValue))
        {
            Port(ref w, 2, dst, p.DestinationNegated);
        }
    }

    private static void Port(ref NetlinkWriter w, uint offset, PortRange port, bool negated)
    {
        Payload(ref w, NFT_PAYLOAD_TRANSPORT_HEADER, offset, 2);
        Span<byte> first = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(first, port.First);
        if (port.IsSingle)
        {
            Cmp(ref w, negated, first);
            return;
        }
        Span<byte> last = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(last, port.Last);
        ExpressionScope e = BeginExpression(ref w, "range"u8);
        w.WriteUInt32BigEndian(NFTA_RANGE_SREG, NFT_REG_1);
        w.WriteUInt32BigEndian(NFTA_RANGE_OP, negated ? NFT_CMP_NEQ : NFT_CMP_EQ);
        Data(ref w, NFTA_RANGE_FROM_DATA, first);
        Data(ref w, NFTA_RANGE_TO_DATA, last);
        EndExpression(ref w, e);
    }

    private static void Target(ref NetlinkWriter w, NetfilterTarget target, bool ipv6)
    {
        switch (target)
        {
            case VerdictTarget v:
                Verdict(ref w, v.Verdict switch
                {
                    NetfilterVerdict.Accept => NF_ACCEPT,
                    NetfilterVerdict.Drop => NF_DROP,
                    _ => NFT_RETURN,
                }, null);
                break;
            case JumpTarget j:
                Verdict(ref w, NFT_JUMP, j.Chain);
                break;
            case GotoTarget g:
                Verdict(ref w, NFT_GOTO, g.Chain);
                break;
            case MasqueradeTarget:
                NftXtInfo.WriteMasquerade(ref w, ipv6);
                break;
            case DnatTarget dn:
                NftXtInfo.WriteDnat(ref w, dn.Address, dn.Port);
                break;
            case SnatTarget sn:
                NftXtInfo.WriteSnat(ref w, sn.Address, sn.Port, ipv6);
                break;
            case MarkTarget mt:
                NftXtInfo.WriteMark(ref w, mt.Value, mt.Mask);
                break;
            default:
                throw new NetfilterException(
                    $"the native nf_tables backend cannot write the target {target.GetType().Name} ({IptablesRuleFormatter.FormatSpec(new NetfilterRule { Target = target })}); use IptablesNftBackend for such rules");
        }
    }

    private static void Verdict(ref NetlinkWriter w, int code, string? chain)
    {
        ExpressionScope e = BeginExpression(ref w, "immediate"u8);
        w.WriteUInt32BigEndian(NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT);
        NestedScope data = w.BeginNested(NFTA_IMMEDIATE_DATA);
        NestedScope verdict = w.BeginNested(NFTA_DATA_VERDICT);
        w.WriteUInt32BigEndian(NFTA_VERDICT_CODE, unchecked((uint)code));
        if (chain is not null)
        {
            w.WriteString(NFTA_VERDICT_CHAIN, chain);
        }
        w.EndNested(verdict);
        w.EndNested(data);
        EndExpression(ref w, e);
    }

    private static void Counter(ref NetlinkWriter w)
    {
        ExpressionScope e = BeginExpression(ref w, "counter"u8);
        w.ReserveAttribute(NFTA_COUNTER_BYTES, 8);
        w.ReserveAttribute(NFTA_COUNTER_PACKETS, 8);
        EndExpression(ref w, e);
    }

    private static void Meta(ref NetlinkWriter w, uint key)
    {
        ExpressionScope e = BeginExpression(ref w, "meta"u8);
        w.WriteUInt32BigEndian(NFTA_META_KEY, key);
        w.WriteUInt32BigEndian(NFTA_META_DREG, NFT_REG_1);
        EndExpression(ref w, e);
    }

    private static void Payload(ref NetlinkWriter w, uint payloadBase, uint offset, uint length)
    {
        ExpressionScope e = BeginExpression(ref w, "payload"u8);
        w.WriteUInt32BigEndian(NFTA_PAYLOAD_DREG, NFT_REG_1);
        w.WriteUInt32BigEndian(NFTA_PAYLOAD_BASE, payloadBase);
        w.WriteUInt32BigEndian(NFTA_PAYLOAD_OFFSET, offset);
        w.WriteUInt32BigEndian(NFTA_PAYLOAD_LEN, length);
        EndExpression(ref w, e);
    }

    private static void Bitwise(ref NetlinkWriter w, scoped ReadOnlySpan<byte> mask)
    {
        ExpressionScope e = BeginExpression(ref w, "bitwise"u8);
        w.WriteUInt32BigEndian(NFTA_BITWISE_SREG, NFT_REG_1);
        w.WriteUInt32BigEndian(NFTA_BITWISE_DREG, NFT_REG_1);
        w.WriteUInt32BigEndian(NFTA_BITWISE_LEN, (uint)mask.Length);
        Data(ref w, NFTA_BITWISE_MASK, mask);
        NestedScope xor = w.BeginNested(NFTA_BITWISE_XOR);
        w.ReserveAttribute(NFTA_DATA_VALUE, mask.Length);
        w.EndNested(xor);
        EndExpression(ref w, e);
    }

    private static void Cmp(ref NetlinkWriter w, bool negated, scoped ReadOnlySpan<byte> value)
    {
        ExpressionScope e = BeginExpression(ref w, "cmp"u8);
        w.WriteUInt32BigEndian(NFTA_CMP_SREG, NFT_REG_1);
        w.WriteUInt32BigEndian(NFTA_CMP_OP, negated ? NFT_CMP_NEQ : NFT_CMP_EQ);
        Data(ref w, NFTA_CMP_DATA, value);
        EndExpression(ref w, e);
    }

    private static void Data(ref NetlinkWriter w, ushort type, scoped ReadOnlySpan<byte> value)
    {
        NestedScope data = w.BeginNested(type);
        w.WriteBytes(NFTA_DATA_VALUE, value);
        w.EndNested(data);
    }

    /// <summary>Opens a list element with the expression's name and its data nest; close with <see cref="EndExpression"/>.</summary>
    internal static ExpressionScope BeginExpression(ref NetlinkWriter w, scoped ReadOnlySpan<byte> name)
    {
        NestedScope element = w.BeginNested(NFTA_LIST_ELEM);
        w.WriteString(NFTA_EXPR_NAME, name);
        return new ExpressionScope(element, w.BeginNested(NFTA_EXPR_DATA));
    }

    /// <summary>Closes the data nest and the list element.</summary>
    internal static void EndExpression(ref NetlinkWriter w, ExpressionScope scope)
    {
        w.EndNested(scope.Data);
        w.EndNested(scope.Element);
    }
}

/// <summary>The two nests of one expression: the list element and its data.</summary>
internal readonly record struct ExpressionScope(NestedScope Element, NestedScope Data);
