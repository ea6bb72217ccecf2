using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Cni.Net.Netfilter;
using Cni.Net.Netlink;
using Cni.Net.Netfilter.Iptables;
using Cni.Net.Netfilter.NfTables;

namespace Cni.Net.Tests.Netfilter;

// Golden vectors were captured like this (one restore input holding every rule shape, IPv4 and IPv6):
//   unshare --net strace -f -xx -s 65535 -e trace=sendmsg -e write=all iptables-nft-restore --noflush < rules.txt
// and the NFTA_RULE_EXPRESSIONS + NFTA_RULE_COMPAT attributes of each NFT_MSG_NEWRULE were cut out of the batch.
public class NftRuleEncoderTests
{
    public static TheoryData<string, bool, string> Golden => NftGoldenRules.All;

    [Theory]
    [MemberData(nameof(Golden))]
    public void Write_EveryRuleShape_BytesEqualWhatIptablesNftSends(string name, bool ipv6, string hex)
    {
        byte[] buffer = new byte[4096];
        var w = new NetlinkWriter(buffer);
        NftRuleEncoder.Write(ref w, NftGoldenRules.Rule(name), ipv6);
        Assert.Equal(hex, Convert.ToHexStringLower(w.WrittenSpan));
    }

    [Theory]
    [MemberData(nameof(Golden))]
    public void Decode_IptablesNftExpressions_GiveTheModelRule(string name, bool ipv6, string hex)
    {
        byte[] bytes = Convert.FromHexString(hex);
        int length = BinaryPrimitives.ReadUInt16LittleEndian(bytes);
        NetfilterRule decoded = NftRuleDecoder.Decode(bytes.AsSpan(4, length - 4), ipv6);
        Assert.Equal(IptablesRuleFormatter.FormatSpec(NftGoldenRules.Rule(name)), IptablesRuleFormatter.FormatSpec(decoded));
        Assert.Equal(NftGoldenRules.Rule(name), decoded);
    }

    [Fact]
    public void Decode_UnknownExpression_RuleKeepsCommentAndJumpButEqualsNoModelRule()
    {
        var model = new NetfilterRule { Matches = [NetfilterMatch.Comment("keep me")], Target = NetfilterTarget.Jump("CNI-X") };
        byte[] buffer = new byte[4096];
        var w = new NetlinkWriter(buffer);
        NestedScope list = w.BeginNested(NfTablesProtocol.NFTA_RULE_EXPRESSIONS);
        ExpressionScope lookup = NftRuleEncoder.BeginExpression(ref w, "lookup"u8);
        w.WriteString(1, "set0");
        NftRuleEncoder.EndExpression(ref w, lookup);
        w.EndNested(list);
        byte[] extra = w.WrittenSpan.ToArray();
        w = new NetlinkWriter(buffer);
        NftRuleEncoder.Write(ref w, model, ipv6: false);
        int length = BinaryPrimitives.ReadUInt16LittleEndian(buffer);
        byte[] expressions = [.. extra.AsSpan(4), .. buffer.AsSpan(4, length - 4)];

        NetfilterRule decoded = NftRuleDecoder.Decode(expressions, ipv6: false);

        Assert.Equal("keep me", decoded.Comment);
        Assert.Equal(NetfilterTarget.Jump("CNI-X"), decoded.Target);
        Assert.NotEqual(model, decoded);
        Assert.Equal(decoded, decoded);
        Assert.Contains("lookup", IptablesRuleFormatter.FormatSpec(decoded), StringComparison.Ordinal);
    }

    [Fact]
    public void Write_FreeFormMatch_ThrowsNetfilterExceptionNamingTheFallback()
    {
        byte[] buffer = new byte[4096];
        var rule = new NetfilterRule { Matches = [new OtherMatch("limit", ["--limit", "5/sec"])], Target = NetfilterTarget.Accept };
        NetfilterException e = Assert.Throws<NetfilterException>(() =>
        {
            var w = new NetlinkWriter(buffer);
            NftRuleEncoder.Write(ref w, rule, ipv6: false);
        });
        Assert.Contains("IptablesNftBackend", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Batch_BeginCarriesTheGenerationAndTheNfTablesResourceId_LikeIptablesNft()
    {
        var batch = new NftBatch(AddressFamily.InterNetwork, _ => throw new InvalidOperationException());
        byte[] buffer = new byte[1024];
        Assert.True(batch.TryWrite(buffer, 1, 1, out int length));
        // iptables-nft-restore's NFNL_MSG_BATCH_BEGIN: seq 1, AF_UNSPEC, res_id htons(NFNL_SUBSYS_NFTABLES), NFNL_BATCH_GENID 1.
        Assert.Equal("1c000000100001000100000000000000" + "0000000a" + "0800010000000001", Convert.ToHexStringLower(buffer.AsSpan(0, 28)));
        Assert.Equal("14000000110001000200000000000000" + "0000000a", Convert.ToHexStringLower(buffer.AsSpan(28, 20)));
        Assert.Equal(48, length);
    }

    [Fact]
    public void Batch_PlannedChanges_AddressRulesByHandleAndBatchId_AndCreateTableAndBaseChainFirst()
    {
        var snapshot = NftTableSnapshot.ForTests(AddressFamily.InterNetwork, NetfilterTable.Nat, new Dictionary<string, (ulong, NetfilterRule)[]>
        {
            ["CNI-A"] = [(10, new NetfilterRule { Protocol = "tcp" }), (20, new NetfilterRule { Protocol = "udp" })],
        });
        var batch = new NftBatch(AddressFamily.InterNetwork, _ => snapshot);
        NetfilterPlanner plan = NetfilterPlanner.Plan(new NetfilterTransaction(AddressFamily.InterNetwork)
                .Insert(NetfilterTable.Nat, "CNI-A", 2, new NetfilterRule { Protocol = "icmp" })          // before handle 20
                .Insert(NetfilterTable.Nat, "CNI-A", 2, new NetfilterRule { Protocol = "sctp" })          // before batch rule 1
                .Delete(NetfilterTable.Nat, "CNI-A", new NetfilterRule { Protocol = "tcp" })              // handle 10
                .Delete(NetfilterTable.Nat, "CNI-A", new NetfilterRule { Protocol = "icmp" })             // batch rule 1
                .Append(NetfilterTable.Nat, "POSTROUTING", new NetfilterRule { Target = NetfilterTarget.Jump("CNI-A") }),
            _ => snapshot.State, batch);
        Assert.False(plan.IsEmpty);
        byte[] buffer = new byte[8192];
        Assert.True(batch.TryWrite(buffer, 100, 7, out int length));

        var messages = new List<(ushort Type, ushort Flags, Dictionary<ushort, byte[]> Attributes)>();
        var reader = new NetlinkReader(buffer.AsSpan(0, length));
        while (reader.TryRead(out NetlinkMessage m))
        {
            var attributes = new Dictionary<ushort, byte[]>();
            if (m.Payload.Length > 4)
            {
                foreach (NetlinkAttr a in m.GetAttributes(4))
                {
                    attributes[a.Type] = a.Value.ToArray();
                }
            }
            messages.Add((m.Type, (ushort)m.Flags, attributes));
        }
        ushort Msg(ushort t) => NfTablesProtocol.MessageType(t);
        Assert.Equal(
            [NfTablesProtocol.NFNL_MSG_BATCH_BEGIN, Msg(NfTablesProtocol.NFT_MSG_NEWTABLE), Msg(NfTablesProtocol.NFT_MSG_NEWRULE),
             Msg(NfTablesProtocol.NFT_MSG_NEWRULE), Msg(NfTablesProtocol.NFT_MSG_DELRULE), Msg(NfTablesProtocol.NFT_MSG_DELRULE),
             Msg(NfTablesProtocol.NFT_MSG_NEWCHAIN), Msg(NfTablesProtocol.NFT_MSG_NEWRULE), NfTablesProtocol.NFNL_MSG_BATCH_END],
            messages.Select(m => m.Type));
        const ushort Append = 0x800;
        // Insert before the rule with handle 20.
        Assert.Equal(0, messages[2].Flags & Append);
        Assert.Equal(20UL, BinaryPrimitives.ReadUInt64BigEndian(messages[2].Attributes[NfTablesProtocol.NFTA_RULE_POSITION]));
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32BigEndian(messages[2].Attributes[NfTablesProtocol.NFTA_RULE_ID]));
        // Insert before the rule the batch itself added.
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32BigEndian(messages[3].Attributes[NfTablesProtocol.NFTA_RULE_POSITION_ID]));
        Assert.Equal(10UL, BinaryPrimitives.ReadUInt64BigEndian(messages[4].Attributes[NfTablesProtocol.NFTA_RULE_HANDLE]));
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32BigEndian(messages[5].Attributes[NfTablesProtocol.NFTA_RULE_ID]));
        // POSTROUTING did not exist: created as iptables-nft does (hook 4, priority 100, type nat, policy accept).
        Assert.Equal("POSTROUTING\0"u8.ToArray(), messages[6].Attributes[NfTablesProtocol.NFTA_CHAIN_NAME]);
        Assert.Equal("0800010000000004080002000000006 4".Replace(" ", "", StringComparison.Ordinal),
            Convert.ToHexStringLower(messages[6].Attributes[NfTablesProtocol.NFTA_CHAIN_HOOK]));
        Assert.Equal("nat\0"u8.ToArray(), messages[6].Attributes[NfTablesProtocol.NFTA_CHAIN_TYPE]);
        Assert.NotEqual(0, messages[7].Flags & Append);
        Assert.All(messages.Skip(1).SkipLast(1), m => Assert.NotEqual(0, m.Flags & (ushort)NetlinkMessageFlags.Ack));
    }
}
