using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using Cni.Net.Netfilter;
using Cni.Net.Netfilter.Conntrack;

namespace Cni.Net.Tests.Netfilter;

/// <summary>Compiles a C probe against linux/netfilter/nfnetlink_conntrack.h and compares every ConntrackLayout constant.</summary>
public class ConntrackLayoutProbeTests
{
    // Members whose C spelling differs from their name. The CTA_FILTER_FLAG_* bits are not in the uapi headers (they
    // live in net/netfilter/nf_conntrack_netlink.c), so they are compared with the kernel source's literal values.
    private static readonly Dictionary<string, string> s_renamed = new()
    {
        ["NfGenMsgSize"] = "sizeof(struct nfgenmsg)",
        ["NfNetlinkV0"] = "NFNETLINK_V0",
        ["NewMessageType"] = "(NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW",
        ["GetMessageType"] = "(NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET",
        ["DeleteMessageType"] = "(NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE",
        ["FilterProtoNum"] = "1 << 3",
        ["FilterProtoDstPort"] = "1 << 5",
    };

    [Fact]
    public void Constants_MatchTheKernelHeaders()
    {
        var expected = typeof(ConntrackLayout).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral)
            .Select(f => (f.Name, CExpr: s_renamed.GetValueOrDefault(f.Name, f.Name), Value: Convert.ToInt64(f.GetRawConstantValue(), CultureInfo.InvariantCulture)))
            .ToList();

        Dictionary<string, long> actual = RunProbe(expected.Select(e => e.CExpr).ToList());

        var mismatches = expected.Where(e => actual[e.CExpr] != e.Value).Select(e => $"{e.Name}: C# {e.Value}, C {actual[e.CExpr]}").ToList();
        Assert.True(mismatches.Count == 0, string.Join(Environment.NewLine, mismatches));
        Assert.True(expected.Count >= 25, $"only {expected.Count} constants compared");
    }

    private static Dictionary<string, long> RunProbe(List<string> expressions)
    {
        string dir = Directory.CreateTempSubdirectory("cni-ct-probe").FullName;
        try
        {
            var c = new StringBuilder();
            c.AppendLine("#include <stdio.h>\n#include <sys/socket.h>\n#include <linux/netfilter/nfnetlink.h>\n#include <linux/netfilter/nfnetlink_conntrack.h>");
            c.AppendLine("int main(void) {");
            for (int i = 0; i < expressions.Count; i++)
            {
                c.AppendLine(CultureInfo.InvariantCulture, $"  printf(\"%d %lld\\n\", {i}, (long long)({expressions[i]}));");
            }
            c.AppendLine("  return 0;\n}");
            File.WriteAllText(Path.Combine(dir, "probe.c"), c.ToString());
            Run("gcc", dir, "-o", "probe", "probe.c");
            var result = new Dictionary<string, long>();
            foreach (string line in Run(Path.Combine(dir, "probe"), dir).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                string[] parts = line.Split(' ');
                result[expressions[int.Parse(parts[0], CultureInfo.InvariantCulture)]] = long.Parse(parts[1], CultureInfo.InvariantCulture);
            }
            return result;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Run(string file, string dir, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using Process p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} failed: {stderr}");
        return stdout.Result;
    }
}
