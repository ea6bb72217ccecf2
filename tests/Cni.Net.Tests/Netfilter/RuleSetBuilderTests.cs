using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Cni.Net.Netfilter;
using Cni.Net.Conventions;
using Cni.Net.Netfilter.Iptables;

namespace Cni.Net.Tests.Netfilter;

// The expected tables are what the reference plugins (Debian containernetworking-plugins 1.1.1) left in a
// private namespace for the same input (TestData/Netfilter).
public class RuleSetBuilderTests
{
    private static HostPortMapping[] ReferenceMappings()
    {
        using JsonDocument doc = JsonDocument.Parse(IptablesSaveParserTests.Data("reference-portmap-config.json"));
        return [.. doc.RootElement.GetProperty("runtimeConfig").GetProperty("portMappings").EnumerateArray().Select(m =>
            new HostPortMapping(m.GetProperty("hostPort").GetUInt16(), m.GetProperty("containerPort").GetUInt16(), m.GetProperty("protocol").GetString()!))];
    }

    [Theory]
    [InlineData("10.1.2.3", 24, "reference-portmap-ipv4.txt")]
    [InlineData("fd00::3", 64, "reference-portmap-ipv6.txt")]
    public async Task PortMap_Setup_EqualsReferencePlugin(string address, int prefix, string expectedFile)
    {
        IPAddress ip = IPAddress.Parse(address);
        var backend = new InMemoryNetfilterBackend();
        var tx = PortMapRules.AddSetup(new NetfilterTransaction(ip.AddressFamily), "demo", "ctr-abc123", ip, prefix, ReferenceMappings());
        await backend.ApplyAsync(tx, TestContext.Current.CancellationToken);
        Assert.Equal(IptablesSaveParserTests.Data(expectedFile), backend.Save(ip.AddressFamily, NetfilterTable.Nat));
        Assert.Single(backend.RestoreInputs);

        // Again: the same state (the container chain is rebuilt, the shared chains untouched).
        await backend.ApplyAsync(PortMapRules.AddSetup(new NetfilterTransaction(ip.AddressFamily), "demo", "ctr-abc123", ip, prefix, ReferenceMappings()), TestContext.Current.CancellationToken);
        Assert.Equal(IptablesSaveParserTests.Data(expectedFile), backend.Save(ip.AddressFamily, NetfilterTable.Nat));
    }

    [Fact]
    public async Task PortMap_ConditionsV4_EqualReferencePlugin()
    {
        var backend = new InMemoryNetfilterBackend();
        var options = new PortMapOptions { ConditionsV4 = ["!", "-s", "192.0.2.7", "-m", "mark", "!", "--mark", "0x4000/0x4000"] };
        await backend.ApplyAsync(PortMapRules.AddSetup(new NetfilterTransaction(AddressFamily.InterNetwork), "demo", "ctr-abc123",
            IPAddress.Parse("10.1.2.3"), 24, ReferenceMappings(), options), TestContext.Current.CancellationToken);
        Assert.Equal(IptablesSaveParserTests.Data("reference-portmap-conditions-ipv4.txt"), backend.Save(AddressFamily.InterNetwork, NetfilterTable.Nat));
    }

    [Fact]
    public void PortMap_BadConditions_Throw()
    {
        Assert.Throws<ArgumentException>(() => PortMapRules.AddSetup(new NetfilterTransaction(AddressFamily.InterNetwork), "demo", "x",
            IPAddress.Parse("10.1.2.3"), 24, ReferenceMappings(), new PortMapOptions { ConditionsV4 = ["--bogus", "1"] }));
        Assert.Throws<ArgumentException>(() => PortMapRules.AddSetup(new NetfilterTransaction(AddressFamily.InterNetwork), "demo", "x",
            IPAddress.Parse("10.1.2.3"), 24, ReferenceMappings(), new PortMapOptions { ConditionsV4 = ["-p", "udp"] }));
    }

    [Fact]
    public async Task PortMap_MasqueradeAll_MarksEverySource()
    {
        var backend = new InMemoryNetfilterBackend();
        await backend.ApplyAsync(PortMapRules.AddSetup(new NetfilterTransaction(AddressFamily.InterNetwork), "demo", "x",
            IPAddress.Parse("10.1.2.3"), 24, [new(8080, 80, "tcp")], new PortMapOptions { MasqueradeAll = true }), TestContext.Current.CancellationToken);
        NetfilterTableState nat = await backend.ReadTableAsync(AddressFamily.InterNetwork, NetfilterTable.Nat, TestContext.Current.CancellationToken);
        Assert.Equal(
            ["-p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK", "-p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.1.2.3:80"],
            nat.FindChain(CniNames.PortMapChain("demo", "x"))!.Rules.Select(IptablesRuleFormatter.FormatSpec));
    }

    [Fact]
    public async Task PortMap_Teardown_RemovesOnlyTheContainer()
    {
        var backend = new InMemoryNetfilterBackend();
        IPAddress a = IPAddress.Parse("10.1.2.3"), b = IPAddress.Parse("10.1.2.4");
        CancellationToken ct = TestContext.Current.CancellationToken;
        await backend.ApplyAsync(PortMapRules.AddSetup(new NetfilterTransaction(AddressFamily.InterNetwork), "demo", "a", a, 24, [new(8080, 80, "tcp")]), ct);
        await backend.ApplyAsync(PortMapRules.AddSetup(new NetfilterTransaction(AddressFamily.InterNetwork), "demo", "b", b, 24, [new(9090, 80, "tcp")]), ct);
        await backend.ApplyAsync(PortMapRules.AddTeardown(new NetfilterTransaction(AddressFamily.InterNetwork), "demo", "a"), ct);
        string saved = backend.Save(AddressFamily.InterNetwork, NetfilterTable.Nat);
        Assert.DoesNotContain(CniNames.PortMapChain("demo", "a"), saved, StringComparison.Ordinal);
        Assert.Contains(CniNames.PortMapChain("demo", "b"), saved, StringComparison.Ordinal);
        Assert.Contains("--dports 9090", saved, StringComparison.Ordinal);
        // A second teardown is a no-op.
        int sent = backend.RestoreInputs.Count;
        await backend.ApplyAsync(PortMapRules.AddTeardown(new NetfilterTransaction(AddressFamily.InterNetwork), "demo", "a"), ct);
        Assert.Equal(sent, backend.RestoreInputs.Count);
    }

    [Fact]
    public async Task PortMap_ManyPorts_SplitInto15PerMultiport()
    {
        var backend = new InMemoryNetfilterBackend();
        HostPortMapping[] maps = [.. Enumerable.Range(0, 40).Select(i => new HostPortMapping((ushort)(10000 + i), 80, "tcp"))];
        await backend.ApplyAsync(PortMapRules.AddSetup(new NetfilterTransaction(AddressFamily.InterNetwork), "demo", "x", IPAddress.Parse("10.1.2.3"), 24, maps), TestContext.Current.CancellationToken);
        NetfilterTableState nat = await backend.ReadTableAsync(AddressFamily.InterNetwork, NetfilterTable.Nat, TestContext.Current.CancellationToken);
        var entries = nat.FindChain(PortMapRules.DnatChain)!.Rules;
        Assert.Equal([15, 15, 10], entries.Select(r => ((MultiportMatch)r.Matches[1]).Ports.Count));
        Assert.Equal(120, nat.FindChain(CniNames.PortMapChain("demo", "x"))!.Rules.Count);
    }

    [Fact]
    public async Task IPMasquerade_Setup_EqualsReferenceBridge_AndTeardownNeedsNoAddress()
    {
        var backend = new InMemoryNetfilterBackend();
        CancellationToken ct = TestContext.Current.CancellationToken;
        for (int i = 0; i < 2; i++)
        {
            await backend.ApplyAsync(IPMasquerade.AddSetup(new NetfilterTransaction(AddressFamily.InterNetwork), IPAddress.Parse("10.1.2.2"), 24, "demo", "ctr-abc123"), ct);
        }
        Assert.Equal(IptablesSaveParserTests.Data("reference-bridge-ipmasq-ipv4.txt"), backend.Save(AddressFamily.InterNetwork, NetfilterTable.Nat));
        await backend.ApplyAsync(IPMasquerade.AddTeardown(new NetfilterTransaction(AddressFamily.InterNetwork), "demo", "ctr-abc123"), ct);
        Assert.Equal(NetfilterTableState_Empty, backend.Save(AddressFamily.InterNetwork, NetfilterTable.Nat));
    }

    [Fact]
    public async Task IPMasquerade_IPv6_UsesFf00Multicast()
    {
        var backend = new InMemoryNetfilterBackend();
        await backend.ApplyAsync(IPMasquerade.AddSetup(new NetfilterTransaction(AddressFamily.InterNetworkV6), IPAddress.Parse("fd00::5"), 64, "demo", "c"), TestContext.Current.CancellationToken);
        string saved = backend.Save(AddressFamily.InterNetworkV6, NetfilterTable.Nat);
        Assert.Contains("! -d ff00::/8 -m comment", saved, StringComparison.Ordinal);
        Assert.Contains("-A POSTROUTING -s fd00::5/128 -m comment", saved, StringComparison.Ordinal);
        Assert.Contains("-d fd00::/64 -m comment", saved, StringComparison.Ordinal);
    }

    private const string NetfilterTableState_Empty = "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n";
}
