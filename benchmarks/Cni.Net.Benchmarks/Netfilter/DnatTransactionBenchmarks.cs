using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using Cni.Net.Netfilter;
using Cni.Net.Netfilter.Iptables;

namespace Cni.Net.Benchmarks.Netfilter;

/// <summary>
/// 1,000 DNAT rules into one nat chain: one <see cref="IptablesNftBackend"/> transaction (one iptables-nft-save to
/// plan, one iptables-nft-restore to apply) against one <c>iptables-nft -A</c> process per rule, which is how the
/// reference plugins write rules. Must run as root in a private network namespace:
/// <c>CNI_NET_TEST_OUTER_NETNS=$(readlink /proc/self/ns/net) unshare --net -- dotnet run -c Release -- --filter '*DnatTransaction*'</c>.
/// </summary>
[MemoryDiagnoser]
[WarmupCount(1)]
[IterationCount(5)]
[InvocationCount(1)]
public class DnatTransactionBenchmarks
{
    private const string Chain = "CNI-BENCH-DNAT";
    private readonly IptablesNftBackend _backend = new();
    private NetfilterRule[] _rules = [];
    private string[][] _argv = [];

    [Params(1000)]
    public int Rules { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        PrivateNetworkNamespace.Require("iptables rules");
        _rules = [.. Enumerable.Range(0, Rules).Select(i => new NetfilterRule
        {
            Protocol = "tcp",
            Destination = IPNetwork.Parse("192.0.2.1/32"),
            Matches = [NetfilterMatch.DestinationPort((ushort)(20000 + i))],
            Target = NetfilterTarget.Dnat(IPAddress.Parse("10.88.0.2"), (ushort)(30000 + i)),
        })];
        // The same rules as argv for iptables-nft (no quoting needed: no comments).
        _argv = [.. _rules.Select(r => (string[])["-t", "nat", "-A", Chain, .. IptablesRuleFormatter.FormatSpec(r).Split(' ')])];
    }

    [IterationSetup]
    public void Reset()
    {
        Run("iptables-nft", ["-t", "nat", "-F"]);
        Run("iptables-nft", ["-t", "nat", "-X"]);
        Run("iptables-nft", ["-t", "nat", "-N", Chain]);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Run("iptables-nft", ["-t", "nat", "-F"]);
        Run("iptables-nft", ["-t", "nat", "-X"]);
    }

    [Benchmark(Baseline = true, Description = "one iptables-nft exec per rule")]
    public void ExecPerRule()
    {
        foreach (string[] argv in _argv)
        {
            Run("iptables-nft", argv);
        }
    }

    [Benchmark(Description = "one transaction (iptables-nft-restore)")]
    public async Task OneTransaction()
    {
        var tx = new NetfilterTransaction(AddressFamily.InterNetwork);
        foreach (NetfilterRule r in _rules)
        {
            tx.Append(NetfilterTable.Nat, Chain, r);
        }
        await _backend.ApplyAsync(tx).ConfigureAwait(false);
    }

    private static void Run(string file, string[] args)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardError = true };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using Process p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0 && args[^2] != "-X")
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)}: {err}");
        }
    }
}
