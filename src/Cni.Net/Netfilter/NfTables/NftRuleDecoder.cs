using System.Buffers.Binary;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using Cni.Net.Netlink;
using static Cni.Net.Netfilter.NfTables.NfTablesProtocol;
using Cni.Net.Netfilter;

namespace Cni.Net.Netfilter.NfTables;

/// <summary>
/// Reads the expressions of a dumped rule back into a <see cref="NetfilterRule"/>, recognising the sequences that
/// iptables-nft 1.8.9 (and <see cref="NftRuleEncoder"/>) write, so that the result equals what
/// <see cref="Iptables.IptablesSaveParser"/> makes of <c>iptables-nft-save</c>'s line for the same rule. Anything else makes
/// the rule carry an <see cref="UndecodedMatch"/>.
/// </summary>
internal static class NftRuleDecoder
{
    private enum Load
    {
        None,
        Meta,
        NetworkHeader,
        TransportHeader,
    }

    /// <exception cref="NetlinkProtocolException">The expressions are malformed.</exception>
    public static NetfilterRule Decode(ReadOnlySpan<byte> expressions, bool ipv6)
    {
        var rule = new Builder(ipv6);
        var list = new NetlinkAttributeEnumerator(expressions);
        while (list.MoveNext())
        {
            if (list.Current.Type != NFTA_LIST_ELEM)
            {
                continue;
            }
            ReadOnlySpan<byte> name = default, data = default;
            var parts = list.Current.GetNested();
            while (parts.MoveNext())
            {
                switch (parts.Current.Type)
                {
                    case NFTA_EXPR_NAME:
                        name = parts.Current.GetStringBytes();
                        break;
                    case NFTA_EXPR_DATA:
                        data = parts.Current.Value;
                        break;
                }
            }
            rule.Expression(name, data);
        }
        return rule.Build();
    }

    private sealed class Builder
    {
        private readonly bool _ipv6;
        // The rule's parts, made into one NetfilterRule at the end: a dump decodes every rule of a chain that can hold
        // one per pod, and a record copied per part cost more than the decoding.
        private List<NetfilterMatch>? _matches;
        private StringBuilder? _unknown;
        private string? _protocol;
        private bool _protocolNegated;
        private IPNetwork? _source;
        private bool _sourceNegated;
        private IPNetwork? _destination;
        private bool _destinationNegated;
        private string? _inInterface;
        private bool _inInterfaceNegated;
        private string? _outInterface;
        private bool _outInterfaceNegated;
        private NetfilterTarget? _target;
        private Load _load;
        private uint _key;
        private uint _offset;
        private uint _length;
        private byte[]? _mask;
        private int _portMatch = -1;
        private bool _done;

        public Builder(bool ipv6) => _ipv6 = ipv6;

        public void Expression(ReadOnlySpan<byte> name, ReadOnlySpan<byte> data)
        {
            if (_done && !name.SequenceEqual("counter"u8))
            {
                Unknown(name, "after the verdict");
                return;
            }
            if (name.SequenceEqual("meta"u8))
            {
                Flush();
                _load = Load.Meta;
                _key = U32(data, NFTA_META_KEY);
                if (U32(data, NFTA_META_DREG) != NFT_REG_1)
                {
                    Unknown(name, "register");
                }
            }
            else if (name.SequenceEqual("payload"u8))
            {
                Flush();
                uint payloadBase = U32(data, NFTA_PAYLOAD_BASE);
                _load = payloadBase switch
                {
                    NFT_PAYLOAD_NETWORK_HEADER => Load.NetworkHeader,
                    NFT_PAYLOAD_TRANSPORT_HEADER => Load.TransportHeader,
                    _ => Load.None,
                };
                _offset = U32(data, NFTA_PAYLOAD_OFFSET);
                _length = U32(data, NFTA_PAYLOAD_LEN);
                if (_load == Load.None || U32(data, NFTA_PAYLOAD_DREG) != NFT_REG_1)
                {
                    Unknown(name, "base");
                }
            }
            else if (name.SequenceEqual("bitwise"u8))
            {
                ReadOnlySpan<byte> xor = Data(data, NFTA_BITWISE_XOR);
                if (_load == Load.None || _mask is not null || xor.IndexOfAnyExcept((byte)0) >= 0)
                {
                    Unknown(name, "sequence");
                    return;
                }
                _mask = Data(data, NFTA_BITWISE_MASK).ToArray();
            }
            else if (name.SequenceEqual("cmp"u8))
            {
                uint op = U32(data, NFTA_CMP_OP);
                if (op is not (NFT_CMP_EQ or NFT_CMP_NEQ))
                {
                    Unknown(name, "operator");
                    return;
                }
                Compare(Data(data, NFTA_CMP_DATA), op == NFT_CMP_NEQ);
            }
            else if (name.SequenceEqual("range"u8))
            {
                bool negated = U32(data, NFTA_RANGE_OP) == NFT_CMP_NEQ;
                ReadOnlySpan<byte> from = Data(data, NFTA_RANGE_FROM_DATA);
                ReadOnlySpan<byte> to = Data(data, NFTA_RANGE_TO_DATA);
                if (_load != Load.TransportHeader || _length != 2 || _mask is not null || from.Length != 2 || to.Length != 2)
                {
                    Unknown(name, "sequence");
                    return;
                }
                _load = Load.None;
                Port(new PortRange(BinaryPrimitives.ReadUInt16BigEndian(from), BinaryPrimitives.ReadUInt16BigEndian(to)), negated);
            }
            else if (name.SequenceEqual("counter"u8))
            {
                Flush();
            }
            else if (name.SequenceEqual("match"u8))
            {
                Flush();
                NetfilterMatch? m = NftXtInfo.ReadMatch(Value(data, NFTA_XT_NAME, stringValue: true), U32(data, NFTA_XT_REV),
                    Value(data, NFTA_XT_INFO), _protocol);
                if (m is null)
                {
                    Unknown(name, Encoding.UTF8.GetString(Value(data, NFTA_XT_NAME, stringValue: true)));
                    return;
                }
                _portMatch = -1;
                (_matches ??= []).Add(m);
            }
            else if (name.SequenceEqual("target"u8))
            {
                Flush();
                NetfilterTarget? t = NftXtInfo.ReadTarget(Value(data, NFTA_XT_NAME, stringValue: true), U32(data, NFTA_XT_REV),
                    Value(data, NFTA_XT_INFO), _ipv6);
                if (t is null)
                {
                    Unknown(name, Encoding.UTF8.GetString(Value(data, NFTA_XT_NAME, stringValue: true)));
                    return;
                }
                _target = t;
                _done = true;
            }
            else if (name.SequenceEqual("immediate"u8))
            {
                Flush();
                Immediate(data);
            }
            else
            {
                Flush();
                Unknown(name, "expression");
            }
        }

        private void Immediate(ReadOnlySpan<byte> data)
        {
            if (U32(data, NFTA_IMMEDIATE_DREG) != NFT_REG_VERDICT)
            {
                Unknown("immediate"u8, "data");
                return;
            }
            ReadOnlySpan<byte> verdict = Data(data, NFTA_IMMEDIATE_DATA, NFTA_DATA_VERDICT);
            int code = unchecked((int)U32(verdict, NFTA_VERDICT_CODE));
            string? chain = null;
            var e = new NetlinkAttributeEnumerator(verdict);
            while (e.MoveNext())
            {
                if (e.Current.Type == NFTA_VERDICT_CHAIN)
                {
                    chain = e.Current.GetString();
                }
            }
            NetfilterTarget? target = code switch
            {
                NF_ACCEPT => NetfilterTarget.Accept,
                NF_DROP => NetfilterTarget.Drop,
                NFT_RETURN => NetfilterTarget.Return,
                NFT_JUMP when chain is not null => new JumpTarget(chain),
                NFT_GOTO when chain is not null => new GotoTarget(chain),
                _ => null,
            };
            if (target is null)
            {
                Unknown("immediate"u8, "verdict");
                return;
            }
            _target = target;
            _done = true;
        }

        private void Compare(ReadOnlySpan<byte> value, bool negated)
        {
            Load load = _load;
            byte[]? mask = _mask;
            _load = Load.None;
            _mask = null;
            switch (load)
            {
                case Load.Meta when (_key is NFT_META_IIFNAME or NFT_META_OIFNAME) && mask is null:
                    Interface(value, negated);
                    return;
                case Load.Meta when _key == NFT_META_L4PROTO && mask is null && value.Length == 1 && _protocol is null:
                    _protocol = NftProtocols.Name(value[0]);
                    _protocolNegated = negated;
                    return;
                case Load.Meta when _key == NFT_META_MARK && value.Length == 4 && (mask is null || mask.Length == 4):
                    _portMatch = -1;
                    (_matches ??= []).Add(new MarkMatch(MemoryMarshal.Read<uint>(value), mask is null ? uint.MaxValue : MemoryMarshal.Read<uint>(mask))
                    {
                        Negated = negated,
                    });
                    return;
                case Load.NetworkHeader:
                    Address(value, mask, negated);
                    return;
                case Load.TransportHeader when mask is null && _offset is 0 or 2 && _length == 2 && value.Length == 2:
                    Port(new PortRange(BinaryPrimitives.ReadUInt16BigEndian(value)), negated);
                    return;
                case Load.TransportHeader when mask is null && _offset == 0 && _length == 4 && value.Length == 4:
                    _offset = 0;
                    Port(new PortRange(BinaryPrimitives.ReadUInt16BigEndian(value)), negated);
                    _offset = 2;
                    Port(new PortRange(BinaryPrimitives.ReadUInt16BigEndian(value[2..])), negated);
                    return;
            }
            Unknown("cmp"u8, "sequence");
        }

        private void Interface(ReadOnlySpan<byte> value, bool negated)
        {
            int nul = value.IndexOf((byte)0);
            string name = nul >= 0 ? Encoding.ASCII.GetString(value[..nul]) : Encoding.ASCII.GetString(value) + "+";
            if (_key == NFT_META_IIFNAME && _inInterface is null)
            {
                _inInterface = name;
                _inInterfaceNegated = negated;
            }
            else if (_key == NFT_META_OIFNAME && _outInterface is null)
            {
                _outInterface = name;
                _outInterfaceNegated = negated;
            }
            else
            {
                Unknown("cmp"u8, "interface");
            }
        }

        private void Address(ReadOnlySpan<byte> value, byte[]? mask, bool negated)
        {
            int size = _ipv6 ? 16 : 4;
            uint source = _ipv6 ? 8u : 12u, destination = _ipv6 ? 24u : 16u;
            if ((_offset != source && _offset != destination) || value.Length != _length || _length > size || _length == 0
                || (mask is not null && mask.Length != size))
            {
                Unknown("payload"u8, "network header");
                return;
            }
            int prefix = (int)_length * 8;
            if (mask is not null)
            {
                prefix = 0;
                foreach (byte b in mask)
                {
                    prefix += System.Numerics.BitOperations.PopCount(b);
                }
            }
            Span<byte> bytes = stackalloc byte[16];
            bytes.Clear();
            value.CopyTo(bytes);
            var network = new IPNetwork(new IPAddress(bytes[..size]), prefix);
            if (_offset == source && _source is null && _destination is null)
            {
                _source = network;
                _sourceNegated = negated;
            }
            else if (_offset == destination && _destination is null)
            {
                _destination = network;
                _destinationNegated = negated;
            }
            else
            {
                Unknown("payload"u8, "address order");
            }
        }

        private void Port(PortRange port, bool negated)
        {
            if (_protocol is not ("tcp" or "udp") || _protocolNegated)
            {
                Unknown("payload"u8, "transport header");
                return;
            }
            bool destination = _offset == 2;
            _matches ??= [];
            if (_portMatch >= 0 && _matches[_portMatch] is PortMatch p && (destination ? p.Destination is null : p.Source is null && p.Destination is null))
            {
                _matches[_portMatch] = destination
                    ? p with { Destination = port, DestinationNegated = negated }
                    : p with { Source = port, SourceNegated = negated };
                return;
            }
            _portMatch = _matches.Count;
            _matches.Add(destination
                ? new PortMatch(null, port) { DestinationNegated = negated }
                : new PortMatch(port, null) { SourceNegated = negated });
        }

        // A load not followed by a compare.
        private void Flush()
        {
            if (_load != Load.None)
            {
                Unknown("load"u8, "without compare");
            }
            _load = Load.None;
            _mask = null;
        }

        private void Unknown(ReadOnlySpan<byte> expression, string detail)
        {
            if (_unknown is null)
            {
                _unknown = new StringBuilder();
            }
            else
            {
                _unknown.Append(' ');
            }
            _unknown.Append(Encoding.UTF8.GetString(expression)).Append('(').Append(detail).Append(')');
            _load = Load.None;
            _mask = null;
        }

        public NetfilterRule Build()
        {
            Flush();
            if (_unknown is not null)
            {
                (_matches ??= []).Add(new UndecodedMatch(_unknown.ToString()));
            }
            return new NetfilterRule
            {
                Protocol = _protocol,
                ProtocolNegated = _protocolNegated,
                Source = _source,
                SourceNegated = _sourceNegated,
                Destination = _destination,
                DestinationNegated = _destinationNegated,
                InInterface = _inInterface,
                InInterfaceNegated = _inInterfaceNegated,
                OutInterface = _outInterface,
                OutInterfaceNegated = _outInterfaceNegated,
                Matches = _matches is null ? [] : _matches,
                Target = _target,
            };
        }
    }

    private static uint U32(ReadOnlySpan<byte> nest, ushort type)
    {
        var e = new NetlinkAttributeEnumerator(nest);
        while (e.MoveNext())
        {
            if (e.Current.Type == type)
            {
                return e.Current.GetUInt32BigEndian();
            }
        }
        return uint.MaxValue;
    }

    // The NFTA_DATA_VALUE (or nestedType) inside an NFTA_*_DATA nest. The kernel's dumps do not flag these nests with
    // NLA_F_NESTED: the attribute type says what they are.
    private static ReadOnlySpan<byte> Data(ReadOnlySpan<byte> nest, ushort type, ushort nestedType = NFTA_DATA_VALUE) =>
        Value(nest, type, stringValue: false, nestedType);

    // The bytes of an attribute (a string without its NUL), or of the nestedType attribute inside it.
    private static ReadOnlySpan<byte> Value(ReadOnlySpan<byte> nest, ushort type, bool stringValue = false, ushort nestedType = 0)
    {
        var e = new NetlinkAttributeEnumerator(nest);
        while (e.MoveNext())
        {
            NetlinkAttr a = e.Current;
            if (a.Type != type)
            {
                continue;
            }
            if (stringValue)
            {
                return a.GetStringBytes();
            }
            if (nestedType == 0)
            {
                return a.Value;
            }
            var inner = a.GetNested();
            while (inner.MoveNext())
            {
                if (inner.Current.Type == nestedType)
                {
                    return inner.Current.Value;
                }
            }
            return default;
        }
        return default;
    }
}
