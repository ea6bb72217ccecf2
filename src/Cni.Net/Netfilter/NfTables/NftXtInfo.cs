using System.Buffers.Binary;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using Cni.Net.Netlink;
using static Cni.Net.Netfilter.NfTables.NfTablesProtocol;
using Cni.Net.Netfilter;

namespace Cni.Net.Netfilter.NfTables;

/// <summary>
/// The xt compat expressions (nft_compat: <c>match</c>/<c>target</c> with NFTA_*_NAME, _REV, _INFO) that
/// iptables-nft 1.8.9 uses where nf_tables has no native form, with the kernel's info structs laid out as in the
/// uapi headers (sizes rounded up to 8, XT_ALIGN). Writing and reading live together so that they stay inverse.
/// </summary>
internal static class NftXtInfo
{
    // Sizes after XT_ALIGN.
    internal const int CommentSize = 256;         // xt_comment_info
    internal const int MultiportSize = 48;        // xt_multiport_v1
    internal const int AddressTypeSize = 8;       // xt_addrtype_info_v1
    internal const int ConntrackSize = 168;       // xt_conntrack_mtinfo3
    internal const int SctpSize = 296;            // xt_sctp_info (chunkmap is 64 u32s in the uapi header)
    internal const int MarkSize = 8;              // xt_mark_tginfo2
    internal const int NatCompatSize = 24;        // nf_nat_ipv4_multi_range_compat
    internal const int NatRangeSize = 40;         // nf_nat_range
    internal const int NatRange2Size = 48;        // nf_nat_range2

    private const uint NF_NAT_RANGE_MAP_IPS = 1;
    private const uint NF_NAT_RANGE_PROTO_SPECIFIED = 2;
    private const ushort XT_CONNTRACK_STATE = 1;
    private const uint XT_ADDRTYPE_INVERT_SOURCE = 1;
    private const uint XT_ADDRTYPE_INVERT_DEST = 2;
    private const uint XT_SCTP_SRC_PORTS = 1;
    private const uint XT_SCTP_DEST_PORTS = 2;

    // ConntrackStates bit i ↔ kernel XT_CONNTRACK_STATE_* bit.
    private static readonly ushort[] s_conntrackBits = [1, 8, 4, 2, 0x100, 0x40, 0x80];

    public static void WriteComment(ref NetlinkWriter w, string text)
    {
        Span<byte> info = BeginMatch(ref w, "match"u8, "comment"u8, 0, CommentSize, out ExpressionScope e);
        Encoding.UTF8.GetBytes(text, info[..(CommentSize - 1)]);
        NftRuleEncoder.EndExpression(ref w, e);
    }

    public static void WriteMultiport(ref NetlinkWriter w, MultiportMatch m)
    {
        Span<byte> info = BeginMatch(ref w, "match"u8, "multiport"u8, 1, MultiportSize, out ExpressionScope e);
        info[0] = m.Direction switch
        {
            MultiportDirection.Source => 0,
            MultiportDirection.Destination => 1,
            _ => 2,
        };
        int count = 0;
        foreach (PortRange p in m.Ports)
        {
            if (!p.IsSingle)
            {
                info[32 + count] = 1;
                MemoryMarshal.Write(info[(2 + (2 * count))..], p.First);
                count++;
                MemoryMarshal.Write(info[(2 + (2 * count))..], p.Last);
            }
            else
            {
                MemoryMarshal.Write(info[(2 + (2 * count))..], p.First);
            }
            count++;
        }
        info[1] = (byte)count;
        info[47] = m.Negated ? (byte)1 : (byte)0;
        NftRuleEncoder.EndExpression(ref w, e);
    }

    public static void WriteAddressType(ref NetlinkWriter w, AddressTypeMatch a)
    {
        Span<byte> info = BeginMatch(ref w, "match"u8, "addrtype"u8, 1, AddressTypeSize, out ExpressionScope e);
        uint flags = 0;
        if (a.Source is AddressType s)
        {
            MemoryMarshal.Write(info, (ushort)(1 << (int)s));
            flags |= a.SourceNegated ? XT_ADDRTYPE_INVERT_SOURCE : 0;
        }
        if (a.Destination is AddressType d)
        {
            MemoryMarshal.Write(info[2..], (ushort)(1 << (int)d));
            flags |= a.DestinationNegated ? XT_ADDRTYPE_INVERT_DEST : 0;
        }
        MemoryMarshal.Write(info[4..], flags);
        NftRuleEncoder.EndExpression(ref w, e);
    }

    public static void WriteConntrack(ref NetlinkWriter w, ConntrackStateMatch c)
    {
        Span<byte> info = BeginMatch(ref w, "match"u8, "conntrack"u8, 3, ConntrackSize, out ExpressionScope e);
        ushort mask = 0;
        for (int i = 0; i < s_conntrackBits.Length; i++)
        {
            if (((int)c.States & (1 << i)) != 0)
            {
                mask |= s_conntrackBits[i];
            }
        }
        MemoryMarshal.Write(info[146..], XT_CONNTRACK_STATE);
        MemoryMarshal.Write(info[148..], c.Negated ? XT_CONNTRACK_STATE : (ushort)0);
        MemoryMarshal.Write(info[150..], mask);
        NftRuleEncoder.EndExpression(ref w, e);
    }

    public static void WriteSctp(ref NetlinkWriter w, PortMatch p)
    {
        Span<byte> info = BeginMatch(ref w, "match"u8, "sctp"u8, 0, SctpSize, out ExpressionScope e);
        uint flags = 0, inverted = 0;
        if (p.Destination is PortRange d)
        {
            MemoryMarshal.Write(info, d.First);
            MemoryMarshal.Write(info[2..], d.Last);
            flags |= XT_SCTP_DEST_PORTS;
            inverted |= p.DestinationNegated ? XT_SCTP_DEST_PORTS : 0;
        }
        if (p.Source is PortRange s)
        {
            MemoryMarshal.Write(info[4..], s.First);
            MemoryMarshal.Write(info[6..], s.Last);
            flags |= XT_SCTP_SRC_PORTS;
            inverted |= p.SourceNegated ? XT_SCTP_SRC_PORTS : 0;
        }
        // iptables leaves the four chunk-flag slots "unused" (chunk type 0xff).
        info[268] = info[271] = info[274] = info[277] = 0xff;
        MemoryMarshal.Write(info[284..], flags);
        MemoryMarshal.Write(info[288..], inverted);
        NftRuleEncoder.EndExpression(ref w, e);
    }

    public static void WriteMark(ref NetlinkWriter w, uint value, uint mask)
    {
        Span<byte> info = BeginMatch(ref w, "target"u8, "MARK"u8, 2, MarkSize, out ExpressionScope e);
        MemoryMarshal.Write(info, value);
        MemoryMarshal.Write(info[4..], mask);
        NftRuleEncoder.EndExpression(ref w, e);
    }

    public static void WriteMasquerade(ref NetlinkWriter w, bool ipv6)
    {
        Span<byte> info = BeginMatch(ref w, "target"u8, "MASQUERADE"u8, 0, ipv6 ? NatRangeSize : NatCompatSize, out ExpressionScope e);
        if (!ipv6)
        {
            MemoryMarshal.Write(info, 1u); // rangesize
        }
        NftRuleEncoder.EndExpression(ref w, e);
    }

    public static void WriteDnat(ref NetlinkWriter w, IPAddress address, PortRange? port)
    {
        Span<byte> info = BeginMatch(ref w, "target"u8, "DNAT"u8, 2, NatRange2Size, out ExpressionScope e);
        WriteNatRange(info, address, port);
        NftRuleEncoder.EndExpression(ref w, e);
    }

    public static void WriteSnat(ref NetlinkWriter w, IPAddress address, PortRange? port, bool ipv6)
    {
        if (ipv6)
        {
            Span<byte> range = BeginMatch(ref w, "target"u8, "SNAT"u8, 1, NatRangeSize, out ExpressionScope e6);
            WriteNatRange(range, address, port);
            NftRuleEncoder.EndExpression(ref w, e6);
            return;
        }
        Span<byte> info = BeginMatch(ref w, "target"u8, "SNAT"u8, 0, NatCompatSize, out ExpressionScope e);
        MemoryMarshal.Write(info, 1u); // rangesize
        MemoryMarshal.Write(info[4..], NatFlags(port));
        address.TryWriteBytes(info[8..12], out _);
        address.TryWriteBytes(info[12..16], out _);
        WritePorts(info[16..], port);
        NftRuleEncoder.EndExpression(ref w, e);
    }

    // nf_nat_range / nf_nat_range2: flags, min_addr, max_addr (16-byte unions), min_proto, max_proto.
    private static void WriteNatRange(Span<byte> info, IPAddress address, PortRange? port)
    {
        MemoryMarshal.Write(info, NatFlags(port));
        address.TryWriteBytes(info[4..20], out _);
        address.TryWriteBytes(info[20..36], out _);
        WritePorts(info[36..], port);
    }

    private static uint NatFlags(PortRange? port) => NF_NAT_RANGE_MAP_IPS | (port is null ? 0 : NF_NAT_RANGE_PROTO_SPECIFIED);

    private static void WritePorts(Span<byte> at, PortRange? port)
    {
        if (port is PortRange p)
        {
            BinaryPrimitives.WriteUInt16BigEndian(at, p.First);
            BinaryPrimitives.WriteUInt16BigEndian(at[2..], p.Last);
        }
    }

    private static Span<byte> BeginMatch(ref NetlinkWriter w, ReadOnlySpan<byte> kind, ReadOnlySpan<byte> name, uint revision,
        int size, out ExpressionScope scope)
    {
        scope = NftRuleEncoder.BeginExpression(ref w, kind);
        w.WriteString(NFTA_XT_NAME, name);
        w.WriteUInt32BigEndian(NFTA_XT_REV, revision);
        return w.ReserveAttribute(NFTA_XT_INFO, size);
    }

    // ---- reading ----

    /// <summary>Decodes a <c>match</c> expression; null when it is not one this model describes exactly.</summary>
    public static NetfilterMatch? ReadMatch(ReadOnlySpan<byte> name, uint revision, ReadOnlySpan<byte> info, string? protocol)
    {
        if (name.SequenceEqual("comment"u8) && revision == 0 && info.Length == CommentSize)
        {
            int nul = info.IndexOf((byte)0);
            string text = Encoding.UTF8.GetString(nul >= 0 ? info[..nul] : info);
            try
            {
                return new CommentMatch(text);
            }
            catch (ArgumentException)
            {
                return null;
            }
        }
        if (name.SequenceEqual("multiport"u8) && revision == 1 && info.Length == MultiportSize)
        {
            return ReadMultiport(info);
        }
        if (name.SequenceEqual("addrtype"u8) && revision == 1 && info.Length == AddressTypeSize)
        {
            return ReadAddressType(info);
        }
        if (name.SequenceEqual("conntrack"u8) && revision == 3 && info.Length == ConntrackSize)
        {
            return ReadConntrack(info);
        }
        if (name.SequenceEqual("sctp"u8) && revision == 0 && info.Length == SctpSize && protocol == "sctp")
        {
            return ReadSctp(info);
        }
        return null;
    }

    private static MultiportMatch? ReadMultiport(ReadOnlySpan<byte> info)
    {
        int count = info[1];
        if (info[0] > 2 || count is 0 or > 15 || info[47] > 1)
        {
            return null;
        }
        var ports = new List<PortRange>(count);
        for (int i = 0; i < count; i++)
        {
            ushort first = MemoryMarshal.Read<ushort>(info[(2 + (2 * i))..]);
            if (info[32 + i] != 0 && i + 1 < count)
            {
                i++;
                ushort last = MemoryMarshal.Read<ushort>(info[(2 + (2 * i))..]);
                if (last < first)
                {
                    return null;
                }
                ports.Add(new PortRange(first, last));
            }
            else
            {
                ports.Add(new PortRange(first));
            }
        }
        var direction = info[0] switch
        {
            0 => MultiportDirection.Source,
            1 => MultiportDirection.Destination,
            _ => MultiportDirection.Either,
        };
        return new MultiportMatch(direction, ports) { Negated = info[47] == 1 };
    }

    private static AddressTypeMatch? ReadAddressType(ReadOnlySpan<byte> info)
    {
        ushort source = MemoryMarshal.Read<ushort>(info);
        ushort destination = MemoryMarshal.Read<ushort>(info[2..]);
        uint flags = MemoryMarshal.Read<uint>(info[4..]);
        if ((flags & ~(XT_ADDRTYPE_INVERT_SOURCE | XT_ADDRTYPE_INVERT_DEST)) != 0
            || !TryAddressType(source, out AddressType? s) || !TryAddressType(destination, out AddressType? d)
            || (s is null && d is null))
        {
            return null;
        }
        return new AddressTypeMatch(s, d)
        {
            SourceNegated = s is not null && (flags & XT_ADDRTYPE_INVERT_SOURCE) != 0,
            DestinationNegated = d is not null && (flags & XT_ADDRTYPE_INVERT_DEST) != 0,
        };
    }

    private static bool TryAddressType(ushort mask, out AddressType? type)
    {
        type = null;
        if (mask == 0)
        {
            return true;
        }
        if (!ushort.IsPow2(mask) || mask > 1 << (int)AddressType.Prohibit)
        {
            return false;
        }
        type = (AddressType)System.Numerics.BitOperations.Log2(mask);
        return true;
    }

    private static ConntrackStateMatch? ReadConntrack(ReadOnlySpan<byte> info)
    {
        ushort matchFlags = MemoryMarshal.Read<ushort>(info[146..]);
        ushort invert = MemoryMarshal.Read<ushort>(info[148..]);
        ushort mask = MemoryMarshal.Read<ushort>(info[150..]);
        if (matchFlags != XT_CONNTRACK_STATE || (invert & ~XT_CONNTRACK_STATE) != 0 || mask == 0)
        {
            return null;
        }
        int states = 0;
        for (int i = 0; i < s_conntrackBits.Length; i++)
        {
            if ((mask & s_conntrackBits[i]) != 0)
            {
                states |= 1 << i;
                mask &= (ushort)~s_conntrackBits[i];
            }
        }
        return mask != 0 ? null : new ConntrackStateMatch((ConntrackStates)states) { Negated = invert != 0 };
    }

    private static PortMatch? ReadSctp(ReadOnlySpan<byte> info)
    {
        uint flags = MemoryMarshal.Read<uint>(info[284..]);
        uint inverted = MemoryMarshal.Read<uint>(info[288..]);
        if ((flags & ~(XT_SCTP_SRC_PORTS | XT_SCTP_DEST_PORTS)) != 0 || flags == 0 || (inverted & ~flags) != 0
            || info[8..264].IndexOfAnyExcept((byte)0) >= 0)
        {
            return null;
        }
        PortRange? d = (flags & XT_SCTP_DEST_PORTS) != 0
            ? new PortRange(MemoryMarshal.Read<ushort>(info), MemoryMarshal.Read<ushort>(info[2..])) : null;
        PortRange? s = (flags & XT_SCTP_SRC_PORTS) != 0
            ? new PortRange(MemoryMarshal.Read<ushort>(info[4..]), MemoryMarshal.Read<ushort>(info[6..])) : null;
        return new PortMatch(s, d)
        {
            SourceNegated = (inverted & XT_SCTP_SRC_PORTS) != 0,
            DestinationNegated = (inverted & XT_SCTP_DEST_PORTS) != 0,
        };
    }

    /// <summary>Decodes a <c>target</c> expression; null when it is not one this model describes exactly.</summary>
    public static NetfilterTarget? ReadTarget(ReadOnlySpan<byte> name, uint revision, ReadOnlySpan<byte> info, bool ipv6)
    {
        if (name.SequenceEqual("MASQUERADE"u8) && revision == 0)
        {
            bool plain = ipv6
                ? info.Length == NatRangeSize && info.IndexOfAnyExcept((byte)0) < 0
                : info.Length == NatCompatSize && MemoryMarshal.Read<uint>(info) == 1 && info[4..].IndexOfAnyExcept((byte)0) < 0;
            return plain ? NetfilterTarget.Masquerade : null;
        }
        if (name.SequenceEqual("MARK"u8) && revision == 2 && info.Length == MarkSize)
        {
            return new MarkTarget(MemoryMarshal.Read<uint>(info), MemoryMarshal.Read<uint>(info[4..]));
        }
        if (name.SequenceEqual("DNAT"u8) && revision == 2 && info.Length == NatRange2Size)
        {
            return ReadNatRange(info, ipv6, out IPAddress? a, out PortRange? p) && info[40..].IndexOfAnyExcept((byte)0) < 0
                ? new DnatTarget(a!, p) : null;
        }
        if (name.SequenceEqual("SNAT"u8) && ipv6 && revision == 1 && info.Length == NatRangeSize)
        {
            return ReadNatRange(info, ipv6, out IPAddress? a, out PortRange? p) ? new SnatTarget(a!, p) : null;
        }
        if (name.SequenceEqual("SNAT"u8) && !ipv6 && revision == 0 && info.Length == NatCompatSize)
        {
            uint flags = MemoryMarshal.Read<uint>(info[4..]);
            if (MemoryMarshal.Read<uint>(info) != 1 || !info[8..12].SequenceEqual(info[12..16]) || !NatFlagsValid(flags)
                || info[20..].IndexOfAnyExcept((byte)0) >= 0)
            {
                return null;
            }
            return new SnatTarget(new IPAddress(info[8..12]), ReadPorts(info[16..], flags));
        }
        return null;
    }

    private static bool ReadNatRange(ReadOnlySpan<byte> info, bool ipv6, out IPAddress? address, out PortRange? port)
    {
        address = null;
        port = null;
        uint flags = MemoryMarshal.Read<uint>(info);
        int size = ipv6 ? 16 : 4;
        if (!NatFlagsValid(flags) || !info.Slice(4, 16).SequenceEqual(info.Slice(20, 16))
            || info.Slice(4 + size, 16 - size).IndexOfAnyExcept((byte)0) >= 0)
        {
            return false;
        }
        address = new IPAddress(info.Slice(4, size));
        port = ReadPorts(info[36..], flags);
        return true;
    }

    private static bool NatFlagsValid(uint flags) =>
        (flags & NF_NAT_RANGE_MAP_IPS) != 0 && (flags & ~(NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED)) == 0;

    private static PortRange? ReadPorts(ReadOnlySpan<byte> at, uint flags) =>
        (flags & NF_NAT_RANGE_PROTO_SPECIFIED) == 0
            ? null
            : new PortRange(BinaryPrimitives.ReadUInt16BigEndian(at), BinaryPrimitives.ReadUInt16BigEndian(at[2..]));
}
