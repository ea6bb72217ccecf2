using System.Net;
using System.Net.Sockets;
using Cni.Net.Conventions;
using Cni.Net.Netfilter;

namespace Cni.Net.Tests.Conventions;

public class FirewallRulesTests
{
    private const AddressFamily V4 = AddressFamily.InterNetwork;
    private static readonly IPAddress[] s_pod = [IPAddress.Parse("10.88.0.5"), IPAddress.Parse("fd00::5")];

    [Fact]
    public async Task AddSetup_Twice_LaysOutTheReferenceChainsOnce()
    {
        var backend = new InMemoryNetfilterBackend();
        for (int i = 0; i < 2; i++)
        {
            await backend.ApplyAsync(FirewallRules.AddSetup(new NetfilterTransaction(V4), s_pod), TestContext.Current.CancellationToken);
        }
        Assert.Equal(
            "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:CNI-ADMIN - [0:0]\n:CNI-FORWARD - [0:0]\n" +
            "-A FORWARD -m comment --comment \"CNI firewall plugin rules\" -j CNI-FORWARD\n" +
            "-A CNI-FORWARD -m comment --comment \"CNI firewall plugin admin overrides\" -j CNI-ADMIN\n" +
            "-A CNI-FORWARD -d 10.88.0.5/32 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n" +
            "-A CNI-FORWARD -s 10.88.0.5/32 -j ACCEPT\nCOMMIT\n",
            backend.Save(V4, NetfilterTable.Filter));
        Assert.Null(FirewallRules.Verify(await backend.ReadTableAsync(V4, NetfilterTable.Filter, TestContext.Current.CancellationToken), s_pod));
    }

    [Fact]
    public async Task AddSetup_OtherFamilyOnly_TouchesNothing()
    {
        NetfilterTransaction tx = FirewallRules.AddSetup(new NetfilterTransaction(AddressFamily.InterNetworkV6), [IPAddress.Parse("10.1.1.1")]);
        Assert.Equal(0, tx.Count);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task AddTeardown_RemovesThePodsRules_KeepsChainsAndOtherPods()
    {
        var backend = new InMemoryNetfilterBackend();
        IPAddress other = IPAddress.Parse("10.88.0.6");
        await backend.ApplyAsync(FirewallRules.AddSetup(new NetfilterTransaction(V4), [s_pod[0], other], "MY-ADMIN"), TestContext.Current.CancellationToken);
        await backend.ApplyAsync(FirewallRules.AddTeardown(new NetfilterTransaction(V4), s_pod), TestContext.Current.CancellationToken);
        await backend.ApplyAsync(FirewallRules.AddTeardown(new NetfilterTransaction(V4), s_pod), TestContext.Current.CancellationToken);
        string save = backend.Save(V4, NetfilterTable.Filter);
        Assert.DoesNotContain("10.88.0.5", save, StringComparison.Ordinal);
        Assert.Contains("-A CNI-FORWARD -s 10.88.0.6/32 -j ACCEPT", save, StringComparison.Ordinal);
        Assert.Contains("-j MY-ADMIN", save, StringComparison.Ordinal);
        NetfilterTableState filter = await backend.ReadTableAsync(V4, NetfilterTable.Filter, TestContext.Current.CancellationToken);
        Assert.Equal("CNI-FORWARD lacks the rule for 10.88.0.5/32", FirewallRules.Verify(filter, s_pod, "MY-ADMIN"));
        Assert.Equal("chain CNI-ADMIN not found", FirewallRules.Verify(filter, [other]));
    }

    [Fact]
    public async Task AddIsolation_Isolated_BuildsBothStagesWithReturnLast()
    {
        var backend = new InMemoryNetfilterBackend();
        await backend.ApplyAsync(FirewallRules.AddSetup(new NetfilterTransaction(V4), s_pod), TestContext.Current.CancellationToken);
        for (int i = 0; i < 2; i++)
        {
            await backend.ApplyAsync(FirewallRules.AddIsolation(new NetfilterTransaction(V4), "cni-podman0", isolated: true), TestContext.Current.CancellationToken);
        }
        string save = backend.Save(V4, NetfilterTable.Filter);
        const string Common = "\"CNI firewall plugin rules (ingressPolicy: same-bridge|isolated)\"";
        const string Policy = "\"CNI firewall plugin rules (ingressPolicy: isolated)\"";
        Assert.Contains(
            $"-A FORWARD -m comment --comment {Common} -j CNI-ISOLATION-STAGE-1\n" +
            "-A FORWARD -m comment --comment \"CNI firewall plugin rules\" -j CNI-FORWARD\n", save, StringComparison.Ordinal);
        Assert.Contains(
            $"-A CNI-ISOLATION-STAGE-1 -i cni-podman0 -o cni-podman0 -m comment --comment {Policy} -j DROP\n" +
            $"-A CNI-ISOLATION-STAGE-1 -i cni-podman0 ! -o cni-podman0 -m comment --comment {Policy} -j CNI-ISOLATION-STAGE-2\n" +
            $"-A CNI-ISOLATION-STAGE-1 -m comment --comment {Common} -j RETURN\n" +
            $"-A CNI-ISOLATION-STAGE-2 -o cni-podman0 -m comment --comment {Common} -j DROP\n" +
            $"-A CNI-ISOLATION-STAGE-2 -m comment --comment {Common} -j RETURN\n", save, StringComparison.Ordinal);
    }
}
