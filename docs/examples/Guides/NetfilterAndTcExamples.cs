using System.Net;
using System.Net.Sockets;
using Cni.Net.Namespaces;
using Cni.Net.Netfilter;
using Cni.Net.Netfilter.Conntrack;
using Cni.Net.Netfilter.NfTables;
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

    public static async Task NativeAsync(NetfilterTransaction tx)
    {
        #region native
        INetfilterBackend backend = new NftablesBackend();   // the calling thread's network namespace
        await backend.ApplyAsync(tx);
        #endregion
    }

    public static IReadOnlyList<ConntrackFlow> Conntrack(NetworkNamespace nodeNamespace)
    {
        #region conntrack
        using var table = ConntrackTable.Open(nodeNamespace);       // or new ConntrackTable() for the calling thread's
        table.DeleteFlows(AddressFamily.InterNetwork, ProtocolType.Udp, [8053, 8054]);
        IReadOnlyList<ConntrackFlow> flows = table.ListFlows(AddressFamily.InterNetwork);   // what `conntrack -L` lists
        #endregion
        return flows;
    }

    /// <summary>The bandwidth layout on links <paramref name="veth"/> and <paramref name="ifb"/> of the namespace named pod1.</summary>
    public static void TrafficControl(int veth, int ifb, ulong rate, ulong burst)
    {
        #region tc
        using var netns = NetworkNamespace.OpenNamed("pod1");
        using var tc = TcNetlink.Open(netns);
        // the bandwidth plugin's layout for a host veth `veth0` and its ifb `bwp…`
        tc.AddQdisc(veth, TcHandle.Root, TcHandle.Create(1, 0), new TbfQdisc(TbfParameters.FromBandwidth(rate, burst)));   // ingress shaping
        tc.AddQdisc(veth, TcHandle.Ingress, TcHandle.IngressQdisc, new IngressQdisc());                                        // egress shaping:
        tc.AddFilter(veth, TcHandle.IngressQdisc, 1, new U32Filter(U32Filter.MatchAll, TcHandle.Create(1, 1),
            new MirredAction(MirredKind.EgressRedirect, ifb)));                                                                 //   one mirred, not two
        tc.AddQdisc(ifb, TcHandle.Root, TcHandle.Create(1, 0), new TbfQdisc(TbfParameters.FromBandwidth(rate, burst)));
        #endregion
    }
}
