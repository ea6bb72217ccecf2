using System.Net;
using System.Net.Sockets;
using Cni.Net.Netfilter;

namespace Cni.Net.Tests.Netfilter;

/// <summary>What a user prints to look at rules: a rule's ToString, a chain's, and a table as iptables-save text.</summary>
public class ReadableRuleTextTests
{
    private static readonly NetfilterRule s_rule = new()
    {
        Source = IPNetwork.Parse("10.1.0.2/32"),
        Matches = [NetfilterMatch.Comment("name: \"demo\" id: \"ctr-abc123\"")],
        Target = NetfilterTarget.Jump("CNI-252f4939ab2087ea53803952"),
    };

    [Fact]
    public void Rule_ToString_IsTheIptablesRuleText()
    {
        Assert.Equal("-s 10.1.0.2/32 -m comment --comment \"name: \\\"demo\\\" id: \\\"ctr-abc123\\\"\" -j CNI-252f4939ab2087ea53803952",
            s_rule.ToString());
        Assert.DoesNotContain("<>", new NetfilterRule { Matches = [NetfilterMatch.Comment("x")] }.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Table_ToIptablesSave_ListsChainsAndRules_AndParsesBack()
    {
        var backend = new InMemoryNetfilterBackend();
        await backend.ApplyAsync(new NetfilterTransaction(AddressFamily.InterNetwork)
            .EnsureChain(NetfilterTable.Nat, "CNI-252f4939ab2087ea53803952")
            .Append(NetfilterTable.Nat, "POSTROUTING", s_rule), TestContext.Current.CancellationToken);
        NetfilterTableState nat = await backend.ReadTableAsync(AddressFamily.InterNetwork, NetfilterTable.Nat, TestContext.Current.CancellationToken);

        string text = nat.ToIptablesSave();
        Assert.Equal(
            "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n" +
            ":CNI-252f4939ab2087ea53803952 - [0:0]\n" +
            $"-A POSTROUTING {s_rule}\nCOMMIT\n", text);
        Assert.Equal(text, nat.ToString());
        Assert.Equal(backend.Save(AddressFamily.InterNetwork, NetfilterTable.Nat), text);
        NetfilterTableState parsed = Assert.Single(IptablesSaveParser.Parse(text, AddressFamily.InterNetwork));
        Assert.Equal(s_rule, Assert.Single(parsed.FindChain("POSTROUTING")!.Rules));
        Assert.Equal(":POSTROUTING ACCEPT (1 rules)", nat.FindChain("POSTROUTING")!.ToString());
        Assert.Equal(":CNI-252f4939ab2087ea53803952 - (0 rules)", nat.FindChain("CNI-252f4939ab2087ea53803952")!.ToString());
    }
}
