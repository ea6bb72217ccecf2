using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using BenchmarkDotNet.Attributes;
using Cni.Net.Netfilter;
using Cni.Net.Netfilter.NfTables;
using Cni.Net.Netlink;

namespace Cni.Net.Benchmarks.Netfilter;

/// <summary>
/// Reading the nat table's POSTROUTING chain as a plugin plans against it on a crowded node: one masquerade jump per
/// pod, as bridge's ipMasq leaves them (iptables layout), and what portmap reads to find its own shared jump there:
/// the whole chain, or (searched) the parts of its dump up to that jump.
/// Must run as root in a private network namespace:
/// <c>CNI_NET_TEST_OUTER_NETNS=$(readlink /proc/self/ns/net) unshare --net -- dotnet run -c Release -- --filter '*SharedChainRead*'</c>.
/// </summary>
[MemoryDiagnoser]
[WarmupCount(2)]
[IterationCount(10)]
public class SharedChainReadBenchmarks
{
    private static readonly HashSet<string> s_postrouting = ["POSTROUTING"];

    // What portmap's ADD looks for there: its jump, which it put first.
    private static readonly SoughtRules[] s_portmapJump =
    [
        new(new NetfilterRule
        {
            Matches = [NetfilterMatch.Comment("CNI portfwd requiring masquerade")],
            Target = NetfilterTarget.Jump("CNI-bench0"),
        }.Equals, 1),
    ];

    /// <summary>Pods on the node: rules in POSTROUTING.</summary>
    [Params(250)]
    public int Pods { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        PrivateNetworkNamespace.Require("iptables rules");
        var text = new StringBuilder("*nat\n:POSTROUTING ACCEPT [0:0]\n");
        for (int i = 0; i < Pods; i++)
        {
            text.Append(":CNI-bench").Append(i).Append(" - [0:0]\n");
        }
        text.Append("-A POSTROUTING -m comment --comment \"CNI portfwd requiring masquerade\" -j CNI-bench0\n");
        for (int i = 0; i < Pods; i++)
        {
            string comment = $"\"name: \\\"bench\\\" id: \\\"container-{i}\\\"\"";
            text.Append(CultureInfo.InvariantCulture, $"-A POSTROUTING -s 10.88.{i / 250}.{i % 250 + 2}/32 -m comment --comment {comment} -j CNI-bench{i}\n");
            text.Append(CultureInfo.InvariantCulture, $"-A CNI-bench{i} -d 10.88.0.0/16 -m comment --comment {comment} -j ACCEPT\n");
            text.Append(CultureInfo.InvariantCulture, $"-A CNI-bench{i} ! -d 224.0.0.0/4 -m comment --comment {comment} -j MASQUERADE\n");
        }
        text.Append("COMMIT\n");
        Restore("iptables-nft-restore", text.ToString());
    }

    [GlobalCleanup]
    public void Cleanup() => Restore("iptables-nft-restore", "*nat\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n");

    private static void Restore(string tool, string input)
    {
        using var p = Process.Start(new ProcessStartInfo(tool) { RedirectStandardInput = true })!;
        p.StandardInput.Write(input);
        p.StandardInput.Close();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} failed ({p.ExitCode})");
        }
    }

    [Benchmark(Description = "read POSTROUTING")]
    public int ReadPostrouting()
    {
        int rules = 0;
        NftNativeRuleset.Run(socket => rules = NftTableSnapshot.ReadChains(socket, AddressFamily.InterNetwork, NetfilterTable.Nat, s_postrouting)
            .Handles["POSTROUTING"].Count);
        return rules;
    }

    [Benchmark(Description = "search POSTROUTING for portmap's jump")]
    public int SearchPostrouting()
    {
        int rules = 0;
        NftNativeRuleset.Run(socket => rules = NftTableSnapshot.ReadChains(socket, AddressFamily.InterNetwork, NetfilterTable.Nat, s_postrouting,
            rulesNeeded: null, rulesSought: static (_, _) => s_portmapJump).Handles["POSTROUTING"].Count);
        return rules;
    }

    [Benchmark(Baseline = true, Description = "dump POSTROUTING, nothing decoded")]
    public int DumpPostrouting()
    {
        var counter = new MessageCounter();
        NftNativeRuleset.Run(socket =>
        {
            NetlinkWriter w = socket.BeginRequest(NfTablesProtocol.MessageType(NfTablesProtocol.NFT_MSG_GETRULE), NetlinkMessageFlags.Dump);
            w.WriteFamilyHeader(NfGenMsg.For(2));
            w.WriteString(NfTablesProtocol.NFTA_RULE_TABLE, "nat");
            w.WriteString(NfTablesProtocol.NFTA_RULE_CHAIN, "POSTROUTING");
            socket.Request(ref w, "dump", ref counter);
        });
        return counter.Messages;
    }

    private struct MessageCounter : INetlinkReplyHandler
    {
        public int Messages;

        public void OnMessage(NetlinkMessage message) => Messages++;

        public void OnRestart() => Messages = 0;
    }
}
