using System.Text;
using System.Text.Json;
using Cni.Net.IntegrationTests.Infrastructure;

namespace Cni.Net.IntegrationTests.Plugins.Bridge;

/// <summary>
/// A canonical text of what a bridge attachment leaves in the kernel — node and pod links, addresses, routes,
/// sysctls and the nat table — with generated names (veth…), MACs, indexes and timers taken out, so that two
/// plugins' work can be compared line by line.
/// </summary>
internal static class KernelState
{
    public static string Capture(PluginTestNode node, TestNamespace pod)
    {
        var s = new StringBuilder();
        s.AppendLine("# node links");
        Links(s, [], node.Bridge);
        s.AppendLine("# node addresses");
        Addresses(s, [], node.Bridge);
        s.AppendLine("# node routes");
        Routes(s, [], node.Bridge);
        s.AppendLine("# pod links");
        Links(s, ["-n", pod.Name], node.Bridge);
        s.AppendLine("# pod addresses");
        Addresses(s, ["-n", pod.Name], node.Bridge);
        s.AppendLine("# pod routes");
        Routes(s, ["-n", pod.Name], node.Bridge);
        s.AppendLine("# sysctls");
        s.AppendLine("node ip_forward=" + File.ReadAllText("/proc/sys/net/ipv4/ip_forward").Trim());
        s.AppendLine("node bridge-nf-call-iptables=" + File.ReadAllText("/proc/sys/net/bridge/bridge-nf-call-iptables").Trim());
        s.AppendLine("pod eth0 arp_notify=" + pod.ExecCheck("cat", "/proc/sys/net/ipv4/conf/eth0/arp_notify").Trim());
        s.AppendLine("pod eth0 accept_dad=" + pod.ExecCheck("cat", "/proc/sys/net/ipv6/conf/eth0/accept_dad").Trim());
        s.AppendLine("# nat");
        s.Append(PluginTestNode.Nat());
        return s.ToString();
    }

    private static string Name(string name, string bridge) => name.StartsWith("veth", StringComparison.Ordinal) ? "veth*" : name == bridge ? "BRIDGE" : name;

    private static void Links(StringBuilder s, string[] ns, string bridge)
    {
        var lines = new List<string>();
        foreach (JsonElement l in Shell.Json("ip", ["-j", "-d", .. ns, "link", "show"]).EnumerateArray())
        {
            string name = l.GetProperty("ifname").GetString()!;
            if (name == "lo")
            {
                continue;
            }
            var line = new StringBuilder(Name(name, bridge));
            line.Append(" flags=").Append(string.Join(',', l.GetProperty("flags").EnumerateArray().Select(f => f.GetString()).Order(StringComparer.Ordinal)));
            line.Append(" mtu=").Append(l.GetProperty("mtu").GetInt32());
            line.Append(" state=").Append(l.GetProperty("operstate").GetString());
            line.Append(" promiscuity=").Append(l.TryGetProperty("promiscuity", out JsonElement p) ? p.GetInt32() : 0);
            if (l.TryGetProperty("master", out JsonElement master))
            {
                line.Append(" master=").Append(Name(master.GetString()!, bridge));
            }
            if (l.TryGetProperty("linkinfo", out JsonElement info))
            {
                line.Append(" kind=").Append(info.TryGetProperty("info_kind", out JsonElement k) ? k.GetString() : "");
                if (info.TryGetProperty("info_data", out JsonElement data) && data.TryGetProperty("vlan_filtering", out JsonElement vf))
                {
                    line.Append(" vlan_filtering=").Append(vf.GetInt32());
                }
                if (info.TryGetProperty("info_slave_data", out JsonElement slave))
                {
                    line.Append(" hairpin=").Append(slave.GetProperty("hairpin").GetBoolean());
                    line.Append(" learning=").Append(slave.GetProperty("learning").GetBoolean());
                    line.Append(" port_state=").Append(slave.GetProperty("state").GetString());
                }
            }
            lines.Add(line.ToString());
        }
        lines.Sort(StringComparer.Ordinal);
        lines.ForEach(x => s.AppendLine(x));
    }

    private static void Addresses(StringBuilder s, string[] ns, string bridge)
    {
        var lines = new List<string>();
        foreach (JsonElement l in Shell.Json("ip", ["-j", .. ns, "addr", "show"]).EnumerateArray())
        {
            string name = l.GetProperty("ifname").GetString()!;
            foreach (JsonElement a in l.GetProperty("addr_info").EnumerateArray())
            {
                string scope = a.GetProperty("scope").GetString()!;
                if (scope == "link")
                {
                    continue; // IPv6 link-local addresses derive from the MAC.
                }
                lines.Add($"{Name(name, bridge)} {a.GetProperty("family").GetString()} {a.GetProperty("local").GetString()}/{a.GetProperty("prefixlen").GetInt32()}" +
                    $" brd={(a.TryGetProperty("broadcast", out JsonElement b) ? b.GetString() : "-")} scope={scope}");
            }
        }
        lines.Sort(StringComparer.Ordinal);
        lines.ForEach(x => s.AppendLine(x));
    }

    private static void Routes(StringBuilder s, string[] ns, string bridge)
    {
        var lines = new List<string>();
        foreach (string family in new[] { "-4", "-6" })
        {
            foreach (JsonElement r in Shell.Json("ip", ["-j", family, .. ns, "route", "show", "table", "main"]).EnumerateArray())
            {
                string dev = r.TryGetProperty("dev", out JsonElement d) ? Name(d.GetString()!, bridge) : "-";
                string dst = r.GetProperty("dst").GetString()!;
                if (dst.StartsWith("fe80::", StringComparison.Ordinal))
                {
                    continue;
                }
                lines.Add($"{dst} via={(r.TryGetProperty("gateway", out JsonElement g) ? g.GetString() : "-")} dev={dev}" +
                    $" proto={(r.TryGetProperty("protocol", out JsonElement p) ? p.GetString() : "boot")}" +
                    $" scope={(r.TryGetProperty("scope", out JsonElement sc) ? sc.GetString() : "global")}" +
                    $" src={(r.TryGetProperty("prefsrc", out JsonElement src) ? src.GetString() : "-")}");
            }
        }
        lines.Sort(StringComparer.Ordinal);
        lines.ForEach(x => s.AppendLine(x));
    }
}
