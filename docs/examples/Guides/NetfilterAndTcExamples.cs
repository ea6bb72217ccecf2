using System.Net;
using System.Net.Sockets;
using Cni.Net.Netfilter;
using Cni.Net.Netfilter.Conntrack;
using Cni.Net.Netfilter.NfTables;
using Cni.Net.Netlink.Route;
using Cni.Net.TrafficControl;

namespace Cni.Net.Examples.Guides;

/// <summary>docs/netfilter-and-tc.md.</summary>
public static class NetfilterAndTcExamples
{
    public static NetfilterRule RuleModel()
    {
        #region rule-model
        var dnat = new NetfilterRule
        {
            Protocol = "tcp",
            Destination = IPNetwork.Parse("192.0.2.1/32"),
            Matches = [NetfilterMatch.DestinationPort(8080)],
            Target = NetfilterTarget.Dnat(IPAddress.Parse("10.88.0.2"), 80),
        };
        #endregion
        return dnat;
    }

    /// <summary>Applies the guide's transaction in the calling thread's namespace (run in a throwaway one by the tests).</summary>
    public static async Task<NetfilterTransaction> TransactionAsync(NetfilterRule dnat, NetfilterRule masqueradeJump, NetfilterRule oldRule)
    {
        #region transaction
        var backend = new NftablesBackend();               // or IptablesNftBackend, or InMemoryNetfilterBackend in unit tests
        var tx = new NetfilterTransaction(AddressFamily.InterNetwork)
            .EnsureChain(NetfilterTable.Nat, "CNI-HOSTPORT-DNAT")
            .AppendUnique(NetfilterTable.Nat, "CNI-HOSTPORT-DNAT", dnat)
            .InsertUnique(NetfilterTable.Nat, "POSTROUTING", 1, masqueradeJump)
            .Delete(NetfilterTable.Nat, "CNI-OLD", oldRule, ignoreMissing: true)
            .DeleteRules(NetfilterTable.Nat, "POSTROUTING", r => r.Target is JumpTarget { Chain: "CNI-OLD" })
            .DeleteChain(NetfilterTable.Nat, "CNI-OLD", ignoreMissing: true);
        await backend.ApplyAsync(tx);
        #endregion
        return tx;
    }

    /// <summary>Applies <paramref name="tx"/> in the calling thread's namespace (a throwaway one in the tests).</summary>
    public static async Task NativeAsync(NetfilterTransaction tx)
    {
        #region native
        INetfilterBackend backend = new NftablesBackend();   // the calling thread's network namespace
        await backend.ApplyAsync(tx);
        #endregion
    }

    /// <summary>Forgets the UDP flows to host ports 8053 and 8054 in the calling thread's namespace (a throwaway one in the tests).</summary>
    public static IReadOnlyList<ConntrackFlow> Conntrack()
    {
        #region conntrack
        using var table = new ConntrackTable();              // the calling thread's namespace; ConntrackTable.Open(netns) for another
        table.DeleteFlows(AddressFamily.InterNetwork, ProtocolType.Udp, [8053, 8054]);
        IReadOnlyList<ConntrackFlow> flows = table.ListFlows(AddressFamily.InterNetwork);   // what `conntrack -L` lists
        #endregion
        return flows;
    }

    /// <summary>The bandwidth layout on links veth0 and bwp0 of the calling thread's namespace (a throwaway one in the tests).</summary>
    public static void TrafficControl()
    {
        #region tc
        using var rtnl = new RouteNetlink();                  // both in the calling thread's namespace; .Open(netns) for another
        using var tc = new TcNetlink();
        // the bandwidth plugin's layout for a host veth `veth0` and its ifb `bwp0`, at 10 Mbit/s with a 1 Mbit burst
        int veth = rtnl.GetLinkIndex("veth0"), ifb = rtnl.GetLinkIndex("bwp0");
        ulong rate = 10_000_000, burst = 1_000_000;           // bits per second, bits
        tc.AddQdisc(veth, TcHandle.Root, TcHandle.Create(1, 0), new TbfQdisc(TbfParameters.FromBandwidth(rate, burst)));   // ingress shaping
        tc.AddQdisc(veth, TcHandle.Ingress, TcHandle.IngressQdisc, new IngressQdisc());                                        // egress shaping:
        tc.AddFilter(veth, TcHandle.IngressQdisc, 1, new U32Filter(U32Filter.MatchAll, TcHandle.Create(1, 1),
            new MirredAction(MirredKind.EgressRedirect, ifb)));                                                                 //   one mirred, not two
        tc.AddQdisc(ifb, TcHandle.Root, TcHandle.Create(1, 0), new TbfQdisc(TbfParameters.FromBandwidth(rate, burst)));
        #endregion
    }
}
