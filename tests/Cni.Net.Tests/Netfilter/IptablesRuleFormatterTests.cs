using System.Net;
using Cni.Net.Netfilter;
using Cni.Net.Netfilter.Iptables;

namespace Cni.Net.Tests.Netfilter;

// Expected strings are what iptables-nft-save 1.8.9 printed for the same rules on this machine.
public class IptablesRuleFormatterTests
{
    [Fact]
    public void FormatSpec_BasicOptions_InIptablesSaveOrder()
    {
        var rule = new NetfilterRule
        {
            Protocol = "udp",
            OutInterface = "eth1",
            InInterface = "eth0",
            Destination = IPNetwork.Parse("1.2.3.4/32"),
            Source = IPNetwork.Parse("10.0.0.0/8"),
            Matches = [NetfilterMatch.SourcePort(53)],
            Target = NetfilterTarget.Snat(IPAddress.Parse("1.1.1.1")),
        };
        Assert.Equal("-s 10.0.0.0/8 -d 1.2.3.4/32 -i eth0 -o eth1 -p udp -m udp --sport 53 -j SNAT --to-source 1.1.1.1",
            IptablesRuleFormatter.FormatSpec(rule));
    }

    [Theory]
    [InlineData("-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT")]
    public void FormatSpec_Conntrack(string expected)
    {
        var rule = new NetfilterRule
        {
            Matches = [NetfilterMatch.ConntrackState(ConntrackStates.Established | ConntrackStates.Related)],
            Target = NetfilterTarget.Accept,
        };
        Assert.Equal(expected, IptablesRuleFormatter.FormatSpec(rule));
    }

    [Fact]
    public void FormatSpec_Negations()
    {
        Assert.Equal("! -i eth0 -j DROP", IptablesRuleFormatter.FormatSpec(new NetfilterRule
        {
            InInterface = "eth0", InInterfaceNegated = true, Target = NetfilterTarget.Drop,
        }));
        Assert.Equal("-p tcp -m tcp ! --dport 22 -j DROP", IptablesRuleFormatter.FormatSpec(new NetfilterRule
        {
            Protocol = "tcp", Matches = [NetfilterMatch.DestinationPort(22, negated: true)], Target = NetfilterTarget.Drop,
        }));
        Assert.Equal("! -d 224.0.0.0/4 -j MASQUERADE", IptablesRuleFormatter.FormatSpec(new NetfilterRule
        {
            Destination = IPNetwork.Parse("224.0.0.0/4"), DestinationNegated = true, Target = NetfilterTarget.Masquerade,
        }));
    }

    [Fact]
    public void FormatSpec_MarksAndTargets()
    {
        Assert.Equal("-m mark --mark 0x1 -j ACCEPT", IptablesRuleFormatter.FormatSpec(new NetfilterRule
        {
            Matches = [NetfilterMatch.Mark(1)], Target = NetfilterTarget.Accept,
        }));
        Assert.Equal("-m mark --mark 0x2000/0x2000 -j MASQUERADE", IptablesRuleFormatter.FormatSpec(new NetfilterRule
        {
            Matches = [NetfilterMatch.Mark(0x2000, 0x2000)], Target = NetfilterTarget.Masquerade,
        }));
        Assert.Equal("-j MARK --set-xmark 0x5/0xffffffff", IptablesRuleFormatter.FormatSpec(new NetfilterRule
        {
            Target = NetfilterTarget.SetMark(5),
        }));
        Assert.Equal("-g CNI-HOSTPORT-MASQ", IptablesRuleFormatter.FormatSpec(new NetfilterRule
        {
            Target = NetfilterTarget.Goto("CNI-HOSTPORT-MASQ"),
        }));
        Assert.Equal("-p tcp -m multiport --sports 1:5,7 -j ACCEPT", IptablesRuleFormatter.FormatSpec(new NetfilterRule
        {
            Protocol = "tcp",
            Matches = [new MultiportMatch(MultiportDirection.Source, [new PortRange(1, 5), 7])],
            Target = NetfilterTarget.Accept,
        }));
    }

    [Fact]
    public void FormatSpec_Dnat_IPv4AndIPv6()
    {
        Assert.Equal("-p tcp -m tcp --dport 80 -j DNAT --to-destination 10.1.2.3:8080", IptablesRuleFormatter.FormatSpec(new NetfilterRule
        {
            Protocol = "tcp", Matches = [NetfilterMatch.DestinationPort(80)], Target = NetfilterTarget.Dnat(IPAddress.Parse("10.1.2.3"), 8080),
        }));
        Assert.Equal("-p tcp -m tcp --dport 80 -j DNAT --to-destination [fd00::1]:8080", IptablesRuleFormatter.FormatSpec(new NetfilterRule
        {
            Protocol = "tcp", Matches = [NetfilterMatch.DestinationPort(80)], Target = NetfilterTarget.Dnat(IPAddress.Parse("fd00::1"), 8080),
        }));
        Assert.Equal("-s fd00::1/128 -p tcp -m tcp --dport 80 -j DNAT --to-destination fd00::1", IptablesRuleFormatter.FormatSpec(new NetfilterRule
        {
            Source = IPNetwork.Parse("fd00::1/128"), Protocol = "tcp", Matches = [NetfilterMatch.DestinationPort(80)],
            Target = NetfilterTarget.Dnat(IPAddress.Parse("fd00::1")),
        }));
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("", "\"\"")]
    [InlineData("a/b", "\"a/b\"")]
    [InlineData("name: \"demo\" id: \"ctr-abc123\"", "\"name: \\\"demo\\\" id: \\\"ctr-abc123\\\"\"")]
    [InlineData("a'b\\c\"d e$f", "\"a\\'b\\\\c\\\"d e$f\"")]
    public void AppendQuoted_MatchesIptablesSave(string text, string expected)
    {
        var sb = new System.Text.StringBuilder();
        IptablesRuleFormatter.AppendQuoted(sb, text);
        Assert.Equal(expected, sb.ToString());
    }

    [Theory]
    [InlineData("\" -j DROP")]
    [InlineData("x\\\" -j ACCEPT \\")]
    [InlineData("--comment \"\" ! -s 0.0.0.0/0")]
    [InlineData("\\\\\\\"'''")]
    public void Comment_Injection_TokenizesToExactlyTheComment(string text)
    {
        var rule = new NetfilterRule { Matches = [NetfilterMatch.Comment(text)], Target = NetfilterTarget.Return };
        List<string> tokens = IptablesSaveParser.Tokenize("-A X " + IptablesRuleFormatter.FormatSpec(rule));
        Assert.Equal(["-A", "X", "-m", "comment", "--comment", text, "-j", "RETURN"], tokens);
    }

    [Theory]
    [InlineData("line\nbreak")]
    [InlineData("cr\r")]
    [InlineData("nul\0")]
    public void Comment_ControlCharacters_Throw(string text)
    {
        Assert.Throws<ArgumentException>(() => NetfilterMatch.Comment(text));
    }

    [Fact]
    public void Comment_TooLong_Throws()
    {
        NetfilterMatch.Comment(new string('x', 255));
        Assert.Throws<ArgumentException>(() => NetfilterMatch.Comment(new string('x', 256)));
        Assert.Throws<ArgumentException>(() => NetfilterMatch.Comment(new string('é', 128)));
    }

    [Fact]
    public void Multiport_MoreThan15_Throws()
    {
        PortRange[] ports = [.. Enumerable.Range(1, 16).Select(i => new PortRange((ushort)i))];
        Assert.Throws<ArgumentException>(() => NetfilterMatch.DestinationPorts(ports));
        Assert.Throws<ArgumentException>(() => NetfilterMatch.DestinationPorts([.. Enumerable.Range(1, 8).Select(i => new PortRange((ushort)i)), new PortRange(10, 20), new PortRange(30, 40), new PortRange(50, 60), new PortRange(70, 80)]));
        Assert.Equal(15, NetfilterMatch.DestinationPorts(ports[..15]).Ports.Count);
    }
}
