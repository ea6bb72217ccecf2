using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Cni.Net.IntegrationTests.Infrastructure;

namespace Cni.Net.IntegrationTests.Reliability;

/// <summary>
/// Everything a pod attachment can leave on the node, as sorted text: links (veths, ifbs), addresses, routes of every
/// table, every iptables table and the nft ruleset (counters out), qdiscs, and the files under the given state
/// directories (host-local's store without its lock and last_reserved_ip, the result cache with its temp files).
/// Two snapshots are compared as a whole, so a leftover shows as the line that differs.
/// </summary>
internal static partial class NodeSnapshot
{
    public static string Capture(params string[] stateDirectories)
    {
        var lines = new List<string>();
        foreach (JsonElement l in Shell.Json("ip", "-j", "-d", "link", "show").EnumerateArray())
        {
            string kind = l.TryGetProperty("linkinfo", out JsonElement info) && info.TryGetProperty("info_kind", out JsonElement k) ? k.GetString()! : "-";
            lines.Add($"link {l.GetProperty("ifname").GetString()} kind={kind}");
        }
        foreach (JsonElement l in Shell.Json("ip", "-j", "addr", "show").EnumerateArray())
        {
            foreach (JsonElement a in l.GetProperty("addr_info").EnumerateArray())
            {
                if (a.GetProperty("scope").GetString() != "link")
                {
                    lines.Add($"addr {l.GetProperty("ifname").GetString()} {a.GetProperty("local").GetString()}/{a.GetProperty("prefixlen").GetInt32()}");
                }
            }
        }
        foreach (string family in (ReadOnlySpan<string>)["-4", "-6"])
        {
            foreach (JsonElement r in Shell.Json("ip", "-j", family, "route", "show", "table", "all").EnumerateArray())
            {
                string dst = r.GetProperty("dst").GetString()!;
                if (!dst.StartsWith("fe80::", StringComparison.Ordinal) && !dst.StartsWith("ff00::", StringComparison.Ordinal))
                {
                    lines.Add($"route {family} {dst} dev={(r.TryGetProperty("dev", out JsonElement d) ? d.GetString() : "-")} table={(r.TryGetProperty("table", out JsonElement t) ? t.ToString() : "main")}");
                }
            }
        }
        foreach (string tool in (ReadOnlySpan<string>)["iptables-nft-save", "ip6tables-nft-save"])
        {
            foreach (string line in Shell.Check(tool).Split('\n'))
            {
                if (line.Length > 0 && !line.StartsWith('#'))
                {
                    lines.Add($"{tool} {Counters().Replace(line, "")}");
                }
            }
        }
        foreach (string line in Shell.Check("nft", "list", "ruleset").Split('\n'))
        {
            if (line.Trim().Length > 0)
            {
                lines.Add("nft " + NftCounters().Replace(line, "counter"));
            }
        }
        foreach (JsonElement q in Shell.Json("tc", "-j", "qdisc", "show").EnumerateArray())
        {
            lines.Add($"qdisc {q.GetProperty("dev").GetString()} {q.GetProperty("kind").GetString()} handle={q.GetProperty("handle").GetString()} parent={(q.TryGetProperty("parent", out JsonElement p) ? p.GetString() : "root")}");
        }
        foreach (string root in stateDirectories)
        {
            if (!Directory.Exists(root))
            {
                continue;
            }
            foreach (string file in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories))
            {
                string name = Path.GetFileName(file);
                // host-local's lock and its last-reserved hint may stay: the reference keeps them too.
                if (name != "lock" && !name.StartsWith("last_reserved_ip", StringComparison.Ordinal) && !Directory.Exists(file))
                {
                    lines.Add("file " + file);
                }
            }
        }
        lines.Sort(StringComparer.Ordinal);
        return string.Join('\n', lines);
    }

    /// <summary>The lines of <paramref name="after"/> that are not in <paramref name="before"/> and vice versa, for a failure message.</summary>
    public static string Difference(string before, string after)
    {
        var a = before.Split('\n').ToHashSet(StringComparer.Ordinal);
        var b = after.Split('\n').ToHashSet(StringComparer.Ordinal);
        var s = new StringBuilder();
        foreach (string l in b.Where(l => !a.Contains(l)))
        {
            s.Append("  + ").AppendLine(l);
        }
        foreach (string l in a.Where(l => !b.Contains(l)))
        {
            s.Append("  - ").AppendLine(l);
        }
        return s.ToString();
    }

    /// <summary>Asserts that the node is back to <paramref name="baseline"/>; <paramref name="what"/> says which run left the difference.</summary>
    public static void AssertUnchanged(string baseline, string what, params string[] stateDirectories)
    {
        string now = Capture(stateDirectories);
        if (now != baseline)
        {
            // A deleted veth's peer namespace may take a moment to go; look again before failing.
            Thread.Sleep(300);
            now = Capture(stateDirectories);
        }
        Assert.True(now == baseline, $"{what} left state behind:\n{Difference(baseline, now)}");
    }

    [GeneratedRegex(@" ?\[\d+:\d+\]")]
    private static partial Regex Counters();

    [GeneratedRegex(@"counter packets \d+ bytes \d+")]
    private static partial Regex NftCounters();
}
