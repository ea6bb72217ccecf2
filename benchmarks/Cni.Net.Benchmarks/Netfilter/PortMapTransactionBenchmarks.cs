using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using Cni.Net.Netfilter;
using Cni.Net.Conventions;
using Cni.Net.Netfilter.Iptables;
using Cni.Net.Netfilter.NfTables;

namespace Cni.Net.Benchmarks.Netfilter;

/// <summary>
/// One portmap ADD (two mappings, tcp + udp, default options) followed by its DEL, as the portmap plugin applies
/// them: through <see cref="IptablesNftBackend"/> (iptables --version once, then iptables-nft-save to plan and
/// iptables-nft-restore to apply, per transaction) against <see cref="NftablesBackend"/> (a few netlink dumps and
/// one nf_tables batch, no process). Must run as root in a private network namespace:
/// <c>CNI_NET_TEST_OUTER_NETNS=$(readlink /proc/self/ns/net) unshare --net -- dotnet run -c Release -- --filter '*PortMapTransaction*'</c>.
/// </summary>
[MemoryDiagnoser]
[WarmupCount(2)]
[IterationCount(10)]
public class PortMapTransactionBenchmarks
{
    private readonly IptablesNftBackend _restore = new();
    private readonly NftablesBackend _native = new();
    private static readonly HostPortMapping[] s_mappings =
    [
        new(20001, 80, "tcp"),
        new(20001, 53, "udp"),
    ];

    [GlobalSetup]
    public void Setup()
    {
        PrivateNetworkNamespace.Require("iptables rules");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (string args in new[] { "-t nat -F", "-t nat -X" })
        {
            using var p = Process.Start("iptables-nft", args)!;
            p.WaitForExit();
        }
    }

    private static NetfilterTransaction Add() =>
        PortMapRules.AddSetup(new NetfilterTransaction(AddressFamily.InterNetwork), "bench", "ctr-1",
            IPAddress.Parse("10.88.0.2"), 16, s_mappings, new PortMapOptions());

    private static NetfilterTransaction Del() =>
        PortMapRules.AddTeardown(new NetfilterTransaction(AddressFamily.InterNetwork), "bench", "ctr-1");

    [Benchmark(Baseline = true, Description = "ADD + DEL via iptables-nft-restore")]
    public async Task Restore()
    {
        await _restore.ApplyAsync(Add()).ConfigureAwait(false);
        await _restore.ApplyAsync(Del()).ConfigureAwait(false);
    }

    [Benchmark(Description = "ADD + DEL via native nf_tables")]
    public async Task Native()
    {
        await _native.ApplyAsync(Add()).ConfigureAwait(false);
        await _native.ApplyAsync(Del()).ConfigureAwait(false);
    }
}
