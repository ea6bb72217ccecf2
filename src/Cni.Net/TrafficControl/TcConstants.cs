namespace Cni.Net.TrafficControl;

/// <summary>Message types and attribute numbers from linux/rtnetlink.h, pkt_sched.h, pkt_cls.h and tc_act/tc_mirred.h.</summary>
internal static class TcConstants
{
    public const ushort RTM_NEWQDISC = 36;
    public const ushort RTM_DELQDISC = 37;
    public const ushort RTM_GETQDISC = 38;
    public const ushort RTM_NEWTCLASS = 40;
    public const ushort RTM_DELTCLASS = 41;
    public const ushort RTM_GETTCLASS = 42;
    public const ushort RTM_NEWTFILTER = 44;
    public const ushort RTM_DELTFILTER = 45;
    public const ushort RTM_GETTFILTER = 46;




    // enum { TCA_UNSPEC, TCA_KIND, TCA_OPTIONS, TCA_STATS, TCA_XSTATS, TCA_RATE, TCA_FCNT, TCA_STATS2, TCA_STAB, ... }
    public const ushort TCA_KIND = 1;
    public const ushort TCA_OPTIONS = 2;

    public const ushort TCA_TBF_PARMS = 1;
    public const ushort TCA_TBF_RTAB = 2;
    public const ushort TCA_TBF_RATE64 = 4;
    public const ushort TCA_TBF_PRATE64 = 5;
    public const ushort TCA_TBF_BURST = 6;
    public const ushort TCA_TBF_PBURST = 7;

    public const ushort TCA_HTB_PARMS = 1;
    public const ushort TCA_HTB_INIT = 2;
    public const ushort TCA_HTB_RATE64 = 6;
    public const ushort TCA_HTB_CEIL64 = 7;

    public const ushort TCA_FQ_CODEL_LIMIT = 2;

    public const ushort TCA_U32_CLASSID = 1;
    public const ushort TCA_U32_SEL = 5;
    public const ushort TCA_U32_ACT = 7;
    public const byte TC_U32_TERMINAL = 1;

    public const ushort TCA_MATCHALL_CLASSID = 1;
    public const ushort TCA_MATCHALL_ACT = 2;

    public const ushort TCA_ACT_KIND = 1;
    public const ushort TCA_ACT_OPTIONS = 2;
    public const ushort TCA_MIRRED_PARMS = 2;

    public const int TC_ACT_PIPE = 3;
    public const int TC_ACT_STOLEN = 4;

    public const byte TC_LINKLAYER_ETHERNET = 1;

    /// <summary>ETH_P_ALL, as tc writes it into tcm_info: in network byte order.</summary>
    public const ushort EthPAllNetworkOrder = 0x0300;
}
