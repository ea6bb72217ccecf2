using System.Runtime.InteropServices;
using Cni.Net.Netfilter;

namespace Cni.Net.Netfilter.NfTables;

/// <summary>nfnetlink and nf_tables wire constants (linux/netfilter/nfnetlink.h, nf_tables.h, nf_tables_compat.h).</summary>
internal static class NfTablesProtocol
{
    public const byte NFNETLINK_V0 = 0;
    public const ushort NFNL_SUBSYS_NFTABLES = 10;
    public const ushort NFNL_MSG_BATCH_BEGIN = 16;
    public const ushort NFNL_MSG_BATCH_END = 17;
    public const ushort NFNL_BATCH_GENID = 1;

    public const ushort NFT_MSG_NEWTABLE = 0;
    public const ushort NFT_MSG_NEWCHAIN = 3;
    public const ushort NFT_MSG_GETCHAIN = 4;
    public const ushort NFT_MSG_DELCHAIN = 5;
    public const ushort NFT_MSG_NEWRULE = 6;
    public const ushort NFT_MSG_GETRULE = 7;
    public const ushort NFT_MSG_DELRULE = 8;
    public const ushort NFT_MSG_NEWGEN = 15;
    public const ushort NFT_MSG_GETGEN = 16;

    public static ushort MessageType(ushort nftMessage) => (ushort)((NFNL_SUBSYS_NFTABLES << 8) | nftMessage);

    public const ushort NFTA_GEN_ID = 1;

    public const ushort NFTA_TABLE_NAME = 1;

    public const ushort NFTA_CHAIN_TABLE = 1;
    public const ushort NFTA_CHAIN_NAME = 3;
    public const ushort NFTA_CHAIN_HOOK = 4;
    public const ushort NFTA_CHAIN_POLICY = 5;
    /// <summary>The chain's reference count: its rules plus the rules (and verdict map elements) that jump or go to it.</summary>
    public const ushort NFTA_CHAIN_USE = 6;
    public const ushort NFTA_CHAIN_TYPE = 7;
    public const ushort NFTA_CHAIN_COUNTERS = 8;
    public const ushort NFTA_HOOK_HOOKNUM = 1;
    public const ushort NFTA_HOOK_PRIORITY = 2;

    public const ushort NFTA_RULE_TABLE = 1;
    public const ushort NFTA_RULE_CHAIN = 2;
    public const ushort NFTA_RULE_HANDLE = 3;
    public const ushort NFTA_RULE_EXPRESSIONS = 4;
    public const ushort NFTA_RULE_COMPAT = 5;
    public const ushort NFTA_RULE_POSITION = 6;
    public const ushort NFTA_RULE_ID = 9;
    public const ushort NFTA_RULE_POSITION_ID = 10;
    public const ushort NFTA_RULE_COMPAT_PROTO = 1;
    public const ushort NFTA_RULE_COMPAT_FLAGS = 2;
    public const uint NFT_RULE_COMPAT_F_INV = 2;

    public const ushort NFTA_LIST_ELEM = 1;
    public const ushort NFTA_EXPR_NAME = 1;
    public const ushort NFTA_EXPR_DATA = 2;
    public const ushort NFTA_DATA_VALUE = 1;
    public const ushort NFTA_DATA_VERDICT = 2;
    public const ushort NFTA_VERDICT_CODE = 1;
    public const ushort NFTA_VERDICT_CHAIN = 2;

    public const ushort NFTA_PAYLOAD_DREG = 1;
    public const ushort NFTA_PAYLOAD_BASE = 2;
    public const ushort NFTA_PAYLOAD_OFFSET = 3;
    public const ushort NFTA_PAYLOAD_LEN = 4;
    public const uint NFT_PAYLOAD_NETWORK_HEADER = 1;
    public const uint NFT_PAYLOAD_TRANSPORT_HEADER = 2;

    public const ushort NFTA_CMP_SREG = 1;
    public const ushort NFTA_CMP_OP = 2;
    public const ushort NFTA_CMP_DATA = 3;
    public const uint NFT_CMP_EQ = 0;
    public const uint NFT_CMP_NEQ = 1;

    public const ushort NFTA_RANGE_SREG = 1;
    public const ushort NFTA_RANGE_OP = 2;
    public const ushort NFTA_RANGE_FROM_DATA = 3;
    public const ushort NFTA_RANGE_TO_DATA = 4;

    public const ushort NFTA_BITWISE_SREG = 1;
    public const ushort NFTA_BITWISE_DREG = 2;
    public const ushort NFTA_BITWISE_LEN = 3;
    public const ushort NFTA_BITWISE_MASK = 4;
    public const ushort NFTA_BITWISE_XOR = 5;
    public const ushort NFTA_BITWISE_OP = 6;

    public const ushort NFTA_META_DREG = 1;
    public const ushort NFTA_META_KEY = 2;
    public const uint NFT_META_MARK = 3;
    public const uint NFT_META_IIFNAME = 6;
    public const uint NFT_META_OIFNAME = 7;
    public const uint NFT_META_L4PROTO = 16;

    public const ushort NFTA_IMMEDIATE_DREG = 1;
    public const ushort NFTA_IMMEDIATE_DATA = 2;

    public const ushort NFTA_COUNTER_BYTES = 1;
    public const ushort NFTA_COUNTER_PACKETS = 2;

    // NFTA_MATCH_* and NFTA_TARGET_* share these numbers.
    public const ushort NFTA_XT_NAME = 1;
    public const ushort NFTA_XT_REV = 2;
    public const ushort NFTA_XT_INFO = 3;

    public const uint NFT_REG_VERDICT = 0;
    public const uint NFT_REG_1 = 1;

    public const int NF_DROP = 0;
    public const int NF_ACCEPT = 1;
    public const int NFT_JUMP = -3;
    public const int NFT_GOTO = -4;
    public const int NFT_RETURN = -5;

    public const int ERESTART = 85;
}

/// <summary>struct nfgenmsg: the family header of every nfnetlink message.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NfGenMsg
{
    public byte Family;
    public byte Version;
    public ushort ResourceIdBigEndian;

    public static NfGenMsg For(byte family, ushort resourceId = 0) => new()
    {
        Family = family,
        Version = NfTablesProtocol.NFNETLINK_V0,
        ResourceIdBigEndian = BitConverter.IsLittleEndian ? System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(resourceId) : resourceId,
    };
}
