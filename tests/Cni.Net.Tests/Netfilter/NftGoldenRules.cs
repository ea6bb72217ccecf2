using System.Net;
using Cni.Net.Netfilter;

namespace Cni.Net.Tests.Netfilter;

/// <summary>
/// Golden bytes: NFTA_RULE_EXPRESSIONS + NFTA_RULE_COMPAT of the NFT_MSG_NEWRULE messages iptables-nft-restore 1.8.9
/// sent for the same rules (captured with <c>strace -f -xx -e trace=sendmsg -e write=all</c> in a throwaway
/// namespace, see tests/Cni.Net.Tests/Netfilter/NftRuleEncoderTests.cs).
/// </summary>
internal static class NftGoldenRules
{
    private static IPNetwork Net(string text) => IPNetwork.Parse(text);

    /// <summary>(name, ipv6, hex) rows of TestData/Netfilter/nft-golden-rules.txt (shared with the fuzz seeds).</summary>
    public static TheoryData<string, bool, string> All
    {
        get
        {
            var rows = new TheoryData<string, bool, string>();
            foreach (string line in File.ReadLines(Path.Combine(AppContext.BaseDirectory, "TestData", "Netfilter", "nft-golden-rules.txt")))
            {
                if (line.Length == 0 || line[0] == '#')
                {
                    continue;
                }
                string[] f = line.Split(' ');
                rows.Add(f[0], bool.Parse(f[1]), f[2]);
            }
            return rows;
        }
    }

    public static NetfilterRule Rule(string name) => name switch
    {
        "v4-0" => new() { Source = Net("10.77.0.2/32"), Target = NetfilterTarget.Jump("CNI-A") },
        "v4-1" => new() { Destination = Net("10.77.0.0/16"), Target = NetfilterTarget.Accept },
        "v4-2" => new() { Destination = Net("224.0.0.0/4"), DestinationNegated = true, Target = NetfilterTarget.Masquerade },
        "v4-3" => new() { Source = Net("10.1.16.0/20"), Target = NetfilterTarget.Return },
        "v4-4" => new() { Source = Net("10.1.0.0/24"), SourceNegated = true, Destination = Net("10.2.3.4/31"), Target = NetfilterTarget.Return },
        "v4-5" => new() { Source = Net("10.0.0.0/8"), Destination = Net("10.2.3.0/25"), Target = NetfilterTarget.Return },
        "v4-6" => new() { InInterface = "eth0", Target = NetfilterTarget.Return },
        "v4-7" => new() { InInterface = "veth+", InInterfaceNegated = true, Target = NetfilterTarget.Return },
        "v4-8" => new() { OutInterface = "cni0", Target = NetfilterTarget.Return },
        "v4-9" => new() { OutInterface = "br-x1", OutInterfaceNegated = true, Target = NetfilterTarget.Return },
        "v4-10" => new() { Protocol = "tcp", Target = NetfilterTarget.Return },
        "v4-11" => new() { Protocol = "udp", ProtocolNegated = true, Target = NetfilterTarget.Return },
        "v4-12" => new() { Protocol = "sctp", Target = NetfilterTarget.Return },
        "v4-13" => new() { Protocol = "icmp", Target = NetfilterTarget.Return },
        "v4-14" => new() { Protocol = "tcp", Matches = [NetfilterMatch.DestinationPort(80)], Target = NetfilterTarget.Dnat(IPAddress.Parse("10.77.0.2"), 8080) },
        "v4-15" => new() { Protocol = "udp", Matches = [NetfilterMatch.SourcePort(53)], Target = NetfilterTarget.Dnat(IPAddress.Parse("10.77.0.2")) },
        "v4-16" => new() { Protocol = "tcp", Matches = [new PortMatch(new PortRange(1000, 2000), new PortRange(3000, 4000))], Target = NetfilterTarget.Dnat(IPAddress.Parse("10.77.0.2"), new PortRange(5000, 5010)) },
        "v4-17" => new() { Protocol = "tcp", Matches = [NetfilterMatch.DestinationPort(22, negated: true)], Target = NetfilterTarget.Return },
        "v4-18" => new() { Protocol = "tcp", Matches = [new PortMatch(22, 23) { SourceNegated = true, DestinationNegated = true }], Target = NetfilterTarget.Return },
        "v4-19" => new() { Protocol = "sctp", Matches = [NetfilterMatch.DestinationPort(99)], Target = NetfilterTarget.Return },
        "v4-20" => new() { Protocol = "tcp", Matches = [NetfilterMatch.DestinationPorts(80, 443, new PortRange(1000, 2000))], Target = NetfilterTarget.Jump("CNI-B") },
        "v4-21" => new() { Protocol = "udp", Matches = [new MultiportMatch(MultiportDirection.Source, [53])], Target = NetfilterTarget.Jump("CNI-B") },
        "v4-22" => new() { Protocol = "udp", Matches = [new MultiportMatch(MultiportDirection.Either, [53, 54]) { Negated = true }], Target = NetfilterTarget.Jump("CNI-B") },
        "v4-23" => new() { Matches = [NetfilterMatch.DestinationType(AddressType.Local)], Target = NetfilterTarget.Jump("CNI-B") },
        "v4-24" => new() { Matches = [new AddressTypeMatch(AddressType.Local, AddressType.Unicast) { SourceNegated = true, DestinationNegated = true }], Target = NetfilterTarget.Jump("CNI-B") },
        "v4-25" => new() { Matches = [NetfilterMatch.Mark(0x2000, 0x2000)], Target = NetfilterTarget.Masquerade },
        "v4-26" => new() { Matches = [NetfilterMatch.Mark(1, negated: true)], Target = NetfilterTarget.Masquerade },
        "v4-27" => new() { Matches = [NetfilterMatch.Comment("hello world")], Target = NetfilterTarget.SetMark(0x2000, 0x2000) },
        "v4-28" => new() { Target = NetfilterTarget.SetMark(5) },
        "v4-29" => new() { Protocol = "tcp", Target = NetfilterTarget.Snat(IPAddress.Parse("10.0.0.1"), new PortRange(1000, 2000)) },
        "v4-30" => new() { Target = NetfilterTarget.Snat(IPAddress.Parse("10.0.0.1")) },
        "v4-31" => new() { Target = NetfilterTarget.Goto("CNI-B") },
        "v4-32" => new(),
        "v4-33" => new() { Matches = [NetfilterMatch.ConntrackState(ConntrackStates.Related | ConntrackStates.Established)], Target = NetfilterTarget.Return },
        "v4-34" => new() { Matches = [NetfilterMatch.ConntrackState(ConntrackStates.Dnat, negated: true)], Target = NetfilterTarget.Return },
        "v4-39" => new() { Target = NetfilterTarget.Drop },
        "v6-0" => new() { Source = Net("fd00::2/128"), Matches = [NetfilterMatch.Comment("name: \"pm\" id: \"pm1\"")], Target = NetfilterTarget.Jump("CNI-A") },
        "v6-1" => new() { Destination = Net("fd00::/64"), Target = NetfilterTarget.Accept },
        "v6-2" => new() { Destination = Net("ff00::/8"), DestinationNegated = true, Target = NetfilterTarget.Masquerade },
        "v6-3" => new() { Source = Net("fd00:1::/60"), Target = NetfilterTarget.Return },
        "v6-4" => new() { Source = Net("fd00:1::/127"), Target = NetfilterTarget.Return },
        "v6-5" => new() { Protocol = "tcp", Target = NetfilterTarget.Snat(IPAddress.Parse("fd00::1"), new PortRange(1000, 2000)) },
        "v6-6" => new() { Target = NetfilterTarget.Snat(IPAddress.Parse("fd00::1")) },
        "v6-7" => new() { Protocol = "ipv6-icmp", Target = NetfilterTarget.Return },
        "v6-8" => new() { Matches = [NetfilterMatch.Mark(0x2000, 0x2000)], Target = NetfilterTarget.Masquerade },
        "v6-9" => new() { Protocol = "tcp", Matches = [NetfilterMatch.DestinationPort(80)], Target = NetfilterTarget.Dnat(IPAddress.Parse("fd00::2"), 8080) },
        "v6-10" => new() { Protocol = "tcp", Matches = [NetfilterMatch.DestinationPort(81)], Target = NetfilterTarget.Dnat(IPAddress.Parse("fd00::2")) },
        "v6-11" => new() { Protocol = "tcp", Matches = [new PortMatch(10, 81)], Target = NetfilterTarget.Return },
        "v6-12" => new() { Protocol = "udp", Matches = [NetfilterMatch.SourcePort(0)], Target = NetfilterTarget.Return },
        "v6-13" => new() { Source = Net("::1/128"), Protocol = "tcp", Matches = [NetfilterMatch.DestinationPorts(80)], Target = NetfilterTarget.Return },
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };
}
