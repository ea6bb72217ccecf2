using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.Netlink;
using Cni.Net.Netlink.Route;

namespace Cni.Net.IntegrationTests.Netlink;

/// <summary>
/// The RTM_NEWLINK request written for each link kind carries the same attributes, with the same values, as the
/// request <c>ip link add … type KIND …</c> sends (captured with strace). This covers the kinds this kernel lacks
/// (dummy, vlan, ipvlan) too: strace records ip's request even when the kernel refuses it.
/// </summary>
public partial class IpRequestEquivalenceTests
{
    public static TheoryData<string, string> Cases => new()
    {
        { "veth", "link add va0 mtu 1400 type veth peer name vb0 mtu 1400" },
        { "veth-txqueues", "link add va0 numtxqueues 1 type veth peer name vb0 numtxqueues 1" },
        { "bridge", "link add br0 type bridge stp_state 1 forward_delay 400 mcast_snooping 0" },
        { "macvlan", "link add mv0 link ul0 type macvlan mode private" },
        { "vxlan", "link add vx0 type vxlan id 42 dstport 4789 local 10.0.0.1 remote 10.0.0.9 dev ul0 nolearning" },
        { "ifb", "link add bwp0 type ifb" },
        { "dummy", "link add dm0 type dummy" },
        { "vlan", "link add ul0.5 link ul0 type vlan id 5 protocol 802.1ad" },
        { "ipvlan", "link add ipv0 link ul0 type ipvlan mode l3" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void NewLink_SameAttributesAsIp(string kind, string ipArgs)
    {
        using var ns = new TestNamespace("ipreq");
        Shell.Check("ip", "-n", ns.Name, "link", "add", "ul0", "type", "veth", "peer", "name", "ul1");
        int ul = ns.IpJson("link", "show", "dev", "ul0")[0].GetProperty("ifindex").GetInt32();

        byte[] ipRequest = CaptureNewLink(ns, ipArgs.Split(' '));
        LinkDefinition definition = kind switch
        {
            "veth" => new VethLink("va0", "vb0") { Mtu = 1400 },
            "veth-txqueues" => new VethLink("va0", "vb0") { TransmitQueues = 1 },
            "bridge" => new BridgeLink("br0") { StpEnabled = true, ForwardDelay = TimeSpan.FromSeconds(4), MulticastSnooping = false },
            "macvlan" => new MacvlanLink("mv0", ul) { Mode = MacvlanMode.Private },
            "vxlan" => new VxlanLink("vx0", 42) { Port = 4789, Local = IPAddress.Parse("10.0.0.1"), Remote = IPAddress.Parse("10.0.0.9"), UnderlyingIndex = ul, Learning = false },
            "ifb" => new IfbLink("bwp0"),
            "dummy" => new DummyLink("dm0"),
            "vlan" => new VlanLink("ul0.5", ul, 5) { Protocol = VlanProtocol.Dot1AD },
            "ipvlan" => new IpvlanLink("ipv0", ul) { Mode = IpvlanMode.L3 },
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        var buffer = new byte[4096];
        var w = new NetlinkWriter(buffer);
        MessageScope m = w.BeginMessage(16, NetlinkMessageFlags.Create | NetlinkMessageFlags.Excl | NetlinkMessageFlags.Ack, 1);
        RouteNetlink.EncodeAddLink(ref w, definition);
        w.EndMessage(m);

        Assert.Equal(Canonical(ipRequest), Canonical(w.WrittenSpan.ToArray()));
    }

    private static byte[] CaptureNewLink(TestNamespace ns, string[] ipArgs)
    {
        // ip inside the namespace opens its rtnetlink socket as fd 3; -e write=3 dumps every byte it sends.
        Shell.Output r = Shell.Run("ip", ["netns", "exec", ns.Name, "strace", "-e", "trace=sendmsg", "-e", "write=3", "ip", .. ipArgs]);
        var messages = new List<byte[]>();
        var current = new List<byte>();
        foreach (string line in r.StdErr.Split('\n'))
        {
            if (line.StartsWith("sendmsg(", StringComparison.Ordinal) && current.Count > 0)
            {
                messages.Add([.. current]);
                current.Clear();
            }
            Match match = HexLine().Match(line);
            if (match.Success)
            {
                foreach (string hex in match.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    current.Add(byte.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                }
            }
        }
        if (current.Count > 0)
        {
            messages.Add([.. current]);
        }
        return messages.Single(b => b.Length >= 16 && BitConverter.ToUInt16(b, 4) == 16);
    }

    [GeneratedRegex(@"^ \| [0-9a-f]{5}  ((?:[0-9a-f]{2} {1,2}){1,16})")]
    private static partial Regex HexLine();

    /// <summary>The request as sorted text: header flags/type, ifinfomsg and the attribute tree (types masked).</summary>
    private static string Canonical(byte[] request)
    {
        var reader = new NetlinkReader(request);
        Assert.True(reader.TryRead(out NetlinkMessage message));
        string header = $"type {message.Type} flags {(ushort)message.Flags:x} ifi {Convert.ToHexString(message.Payload[..16])}";
        return header + "\n" + Tree(message.GetAttributes(16), 0, "top");
    }

    private static string Tree(NetlinkAttributeEnumerator attributes, int depth, string context)
    {
        var lines = new List<string>();
        foreach (NetlinkAttr a in attributes)
        {
            string indent = new(' ', depth * 2);
            // Which attributes nest is known from the path: IFLA_LINKINFO, IFLA_INFO_DATA, VETH_INFO_PEER.
            if (context == "top" && a.Type == 18)
            {
                lines.Add($"{indent}{a.Type}:\n{Tree(a.GetNested(), depth + 1, "linkinfo")}");
            }
            else if (context == "linkinfo" && a.Type == 2)
            {
                lines.Add($"{indent}{a.Type}:\n{Tree(a.GetNested(), depth + 1, "data")}");
            }
            else if (context == "data" && a.Type == 1 && a.Value.Length >= 16 && IsVethPeer(a.Value))
            {
                lines.Add($"{indent}{a.Type}: ifi {Convert.ToHexString(a.Value[..16])}\n{Tree(new NetlinkAttributeEnumerator(a.Value[16..]), depth + 1, "top")}");
            }
            else if (context == "linkinfo" && a.Type == 1)
            {
                // IFLA_INFO_KIND: ip omits the NUL terminator, the kernel accepts the kind either way.
                lines.Add($"{indent}{a.Type}={Convert.ToHexString(a.GetStringBytes())}");
            }
            else
            {
                lines.Add($"{indent}{a.Type}={Convert.ToHexString(a.Value)}");
            }
        }
        lines.Sort(StringComparer.Ordinal);
        return string.Join("\n", lines);
    }

    // A VETH_INFO_PEER value starts with a zeroed ifinfomsg; an IFLA_VXLAN_ID (type 1 too) is 4 bytes.
    private static bool IsVethPeer(ReadOnlySpan<byte> value) => value.Length > 16 && value[..4].IndexOfAnyExcept((byte)0) < 0;
}
