namespace Cni.Net.Netfilter.NfTables;

/// <summary>
/// The nf_tables constants native (non-xtables) objects need beyond <see cref="NfTablesProtocol"/>
/// (linux/netfilter/nf_tables.h, libnftnl's udata.h).
/// </summary>
internal static class NftNativeProtocol
{
    public const ushort NFT_MSG_GETTABLE = 1;
    public const ushort NFT_MSG_DELTABLE = 2;

    public const ushort NFTA_TABLE_USERDATA = 6;
    public const ushort NFTA_RULE_USERDATA = 7;
    public const ushort NFTA_CHAIN_USERDATA = 12;

    /// <summary>libnftnl's userdata TLV type of a table's and of a rule's comment (NFTNL_UDATA_*_COMMENT).</summary>
    public const byte NFTNL_UDATA_COMMENT = 0;

    public const ushort NFTA_FIB_DREG = 1;
    public const ushort NFTA_FIB_RESULT = 2;
    public const ushort NFTA_FIB_FLAGS = 3;
    public const uint NFT_FIB_RESULT_ADDRTYPE = 3;
    public const uint NFTA_FIB_F_DADDR = 1 << 1;

    /// <summary>RTN_LOCAL: fib's address type of a local address.</summary>
    public const uint RTN_LOCAL = 2;

    public const ushort NFTA_NAT_TYPE = 1;
    public const ushort NFTA_NAT_FAMILY = 2;
    public const ushort NFTA_NAT_REG_ADDR_MIN = 3;
    public const ushort NFTA_NAT_REG_PROTO_MIN = 5;
    public const ushort NFTA_NAT_FLAGS = 7;
    public const uint NFT_NAT_DNAT = 1;
    public const uint NF_NAT_RANGE_PROTO_SPECIFIED = 2;

    public const uint NFT_REG_2 = 2;

    /// <summary>
    /// The nfgenmsg family of a native table: <see cref="System.Net.Sockets.AddressFamily.InterNetwork"/> is <c>ip</c>,
    /// <see cref="System.Net.Sockets.AddressFamily.InterNetworkV6"/> <c>ip6</c>, and
    /// <see cref="System.Net.Sockets.AddressFamily.Unspecified"/> stands for <c>inet</c> (both).
    /// </summary>
    public static byte FamilyOf(System.Net.Sockets.AddressFamily family) => family switch
    {
        System.Net.Sockets.AddressFamily.InterNetworkV6 => 10,
        System.Net.Sockets.AddressFamily.Unspecified => 1,
        _ => 2,
    };

    /// <summary>nft's name of the family (see <see cref="FamilyOf"/>).</summary>
    public static string FamilyName(System.Net.Sockets.AddressFamily family) => family switch
    {
        System.Net.Sockets.AddressFamily.InterNetworkV6 => "ip6",
        System.Net.Sockets.AddressFamily.Unspecified => "inet",
        _ => "ip",
    };

    public const uint NF_INET_PRE_ROUTING = 0;
    public const uint NF_INET_LOCAL_OUT = 3;
    public const uint NF_INET_POST_ROUTING = 4;

    /// <summary>nft's <c>dstnat</c> and <c>srcnat</c> priorities.</summary>
    public const int DstNatPriority = -100;
    public const int SrcNatPriority = 100;
}
