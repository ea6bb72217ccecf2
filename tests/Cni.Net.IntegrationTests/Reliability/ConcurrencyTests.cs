using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Cni.Net.Execution;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.Spec;

namespace Cni.Net.IntegrationTests.Reliability;

/// <summary>
/// Many pods at once on one bridge and one host-local range through one executor (as a runtime does), and the chain's
/// netfilter transactions racing a foreign iptables-nft/nft writer on the same node.
/// </summary>
public sealed class ConcurrencyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(List<CniResult> Results, TimeSpan Add, TimeSpan Del)> AddDelAllAsync(
        ShapedChainNode chain, NetworkConfigList list, List<TestNamespace> pods, int firstPort, Func<CniResult[], Task>? betweenAddAndDel = null)
    {
        CniRuntimeRequest Request(int i) => new($"ctr-par-{i}", pods[i].Path, "eth0") { CapabilityArgs = ShapedChainNode.CapabilityArgs(firstPort + i) };
        var clock = Stopwatch.StartNew();
        CniResult[] results = await Task.WhenAll(pods.Select((_, i) => Task.Run(async () => await chain.Node.Executor.AddAsync(list, Request(i), Ct))));
        TimeSpan add = clock.Elapsed;
        if (betweenAddAndDel is not null)
        {
            await betweenAddAndDel(results);
        }
        clock.Restart();
        await Task.WhenAll(pods.Select((_, i) => Task.Run(async () => await chain.Node.Executor.DelAsync(list, Request(i), Ct))));
        return ([.. results], add, clock.Elapsed);
    }

    private static void WarmUp(ShapedChainNode chain, TestNamespace pod, NetworkConfigList list)
    {
        var request = new CniRuntimeRequest("ctr-par-warm", pod.Path, "eth0") { CapabilityArgs = ShapedChainNode.CapabilityArgs(17999) };
        chain.Node.Executor.AddAsync(list, request, Ct).AsTask().GetAwaiter().GetResult();
        chain.Node.Executor.DelAsync(list, request, Ct).AsTask().GetAwaiter().GetResult();
    }

    [Fact]
    public async Task SixtyFourChains_AddAndDelInParallel_OneBridgeOneRange_UniqueIPs_NothingLeft()
    {
        const int Pods = 64;
        using var chain = new ShapedChainNode(subnet: "10.83.0.0/24");
        NetworkConfigList list = NetworkConfigList.Parse(Encoding.UTF8.GetBytes(chain.Conflist));
        var pods = Enumerable.Range(0, Pods).Select(_ => new TestNamespace("par")).ToList();
        try
        {
            WarmUp(chain, pods[0], list);
            string baseline = NodeSnapshot.Capture(chain.StateDirectories);

            var (results, add, del) = await AddDelAllAsync(chain, list, pods, 20000, added =>
            {
                // While all 64 are up: every pod has its own address, on its eth0, held once in the store.
                Assert.Equal(Pods, chain.Node.Reservations(ShapedChainNode.Network).Count);
                Assert.Equal(Pods, Shell.Json("ip", "-j", "link", "show", "type", "ifb").GetArrayLength());
                for (int i = 0; i < Pods; i += 7)
                {
                    Assert.Contains(added[i].IPs.Single().Address.Address.ToString() + "/24",
                        pods[i].ExecCheck("ip", "-4", "-o", "addr", "show", "dev", "eth0"), StringComparison.Ordinal);
                }
                return Task.CompletedTask;
            });
            List<IPAddress> ips = [.. results.Select(r => r.IPs.Single().Address.Address)];
            Assert.Equal(Pods, ips.Distinct().Count());
            NodeSnapshot.AssertUnchanged(baseline, $"{Pods} parallel ADD/DEL", chain.StateDirectories);
            TestContext.Current.TestOutputHelper?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{Pods} parallel chain ADDs in {add.TotalMilliseconds:F0} ms, DELs in {del.TotalMilliseconds:F0} ms; {ips.Distinct().Count()} unique IPs"));
        }
        finally
        {
            pods.ForEach(p => p.Dispose());
        }
    }

    [Fact]
    public async Task ChainTransactions_RaceAForeignIptablesAndNftWriter_NoLostForeignRules_NoDuplicateJumps_NoErrors()
    {
        const int Pods = 12;
        using var chain = new ShapedChainNode(subnet: "10.84.0.0/24");
        NetworkConfigList list = NetworkConfigList.Parse(Encoding.UTF8.GetBytes(chain.Conflist));
        var pods = Enumerable.Range(0, Pods).Select(_ => new TestNamespace("race")).ToList();
        using var writer = new ForeignRuleWriter(chain.Root);
        try
        {
            WarmUp(chain, pods[0], list);
            writer.Start();
            for (int round = 0; round < 3; round++)
            {
                await AddDelAllAsync(chain, list, pods, 21000 + (round * 100), _ =>
                {
                    string nat = Shell.Check("iptables-save", "-t", "nat");
                    // One jump per top-level chain, whatever the number of pods and concurrent writers.
                    string[] lines = nat.Split('\n');
                    Assert.Single(lines, l => l.StartsWith("-A PREROUTING ", StringComparison.Ordinal) && l.EndsWith("-j CNI-HOSTPORT-DNAT", StringComparison.Ordinal));
                    Assert.Single(lines, l => l.StartsWith("-A OUTPUT ", StringComparison.Ordinal) && l.EndsWith("-j CNI-HOSTPORT-DNAT", StringComparison.Ordinal));
                    Assert.Single(lines, l => l.StartsWith("-A POSTROUTING ", StringComparison.Ordinal) && l.EndsWith("-j CNI-HOSTPORT-MASQ", StringComparison.Ordinal));
                    Assert.Equal(Pods, nat.Split('\n').Count(l => l.StartsWith("-A CNI-HOSTPORT-DNAT ", StringComparison.Ordinal)));
                    ForeignRuleWriter.AssertPermanentRulesPresent();
                    return Task.CompletedTask;
                });
            }
            (int operations, int errors, string log) = writer.Stop();
            Assert.True(errors == 0, $"the foreign writer failed {errors} of {operations} operations:\n{log}");
            Assert.True(operations > 20, $"the foreign writer ran only {operations} operations: no race");
            ForeignRuleWriter.AssertPermanentRulesPresent();
            string nat = Shell.Check("iptables-save", "-t", "nat");
            Assert.DoesNotContain("CNI-DN-", nat, StringComparison.Ordinal);
            Assert.Empty(chain.Node.Reservations(ShapedChainNode.Network));
            TestContext.Current.TestOutputHelper?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"3 rounds of {Pods} parallel chain ADD/DEL against {operations} foreign iptables-nft/nft operations: 0 errors"));
        }
        finally
        {
            writer.Dispose();
            pods.ForEach(p => p.Dispose());
        }
    }
}
