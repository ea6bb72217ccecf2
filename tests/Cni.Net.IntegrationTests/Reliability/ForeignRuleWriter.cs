using System.Diagnostics;
using Cni.Net.IntegrationTests.Infrastructure;

namespace Cni.Net.IntegrationTests.Reliability;

/// <summary>
/// Another program on the node that writes netfilter while the plugins do: permanent rules of its own (an iptables-nft
/// chain in nat with jumps from PREROUTING and POSTROUTING — base chains the plugins share — and a native nft table),
/// then a loop adding and deleting more rules and set elements until stopped, counting its failures.
/// Dispose removes all of it.
/// </summary>
internal sealed class ForeignRuleWriter : IDisposable
{
    private const string Script = """
        set -u
        iptables-nft -t nat -N FOREIGN-IPT
        iptables-nft -t nat -A FOREIGN-IPT -s 192.0.2.1/32 -j RETURN
        iptables-nft -t nat -A PREROUTING -s 192.0.2.0/24 -j FOREIGN-IPT
        iptables-nft -t nat -A POSTROUTING -s 192.0.2.0/24 -j FOREIGN-IPT
        nft add table inet foreign
        nft add chain inet foreign keep
        nft add rule inet foreign keep ip saddr 192.0.2.2 counter
        nft add set inet foreign churn '{ type ipv4_addr; }'
        touch "$1/started"
        ops=0; errs=0; i=0
        run() { ops=$((ops+1)); if ! "$@" 2>>"$LOG"; then errs=$((errs+1)); echo "failed: $*" >>"$LOG"; fi; }
        LOG="$1/writer.log"
        while [ ! -e "$1/stop" ]; do
          i=$((i+1)); a="198.51.100.$((i % 250 + 1))"
          run iptables-nft -t nat -A FOREIGN-IPT -s "$a" -j RETURN
          run iptables-nft -t nat -I POSTROUTING 1 -s "$a" -j RETURN
          run nft add element inet foreign churn "{ $a }"
          run nft add chain inet foreign "t$i"
          run iptables-nft -t nat -D POSTROUTING -s "$a" -j RETURN
          run iptables-nft -t nat -D FOREIGN-IPT -s "$a" -j RETURN
          run nft delete element inet foreign churn "{ $a }"
          run nft delete chain inet foreign "t$i"
        done
        echo "$ops $errs" >"$1/done"
        """;

    private readonly string _dir;
    private Process? _process;

    public ForeignRuleWriter(string parent)
    {
        _dir = Path.Combine(parent, "foreign-writer");
        Directory.CreateDirectory(_dir);
    }

    public void Start()
    {
        var psi = new ProcessStartInfo("bash") { UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(Script);
        psi.ArgumentList.Add("writer");
        psi.ArgumentList.Add(_dir);
        _process = Process.Start(psi)!;
        for (int i = 0; i < 200 && !File.Exists(Path.Combine(_dir, "started")); i++)
        {
            Thread.Sleep(25);
        }
        Assert.True(File.Exists(Path.Combine(_dir, "started")), "the foreign writer did not start");
    }

    /// <summary>Stops the loop; returns how many operations it made, how many failed, and its failure log.</summary>
    public (int Operations, int Errors, string Log) Stop()
    {
        File.WriteAllText(Path.Combine(_dir, "stop"), "");
        Assert.True(_process!.WaitForExit(TimeSpan.FromSeconds(30)), "the foreign writer did not stop");
        string[] counts = File.ReadAllText(Path.Combine(_dir, "done")).Split(' ', StringSplitOptions.TrimEntries);
        string log = Path.Combine(_dir, "writer.log");
        return (int.Parse(counts[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(counts[1], System.Globalization.CultureInfo.InvariantCulture),
            File.Exists(log) ? File.ReadAllText(log) : "");
    }

    /// <summary>The writer's permanent rules are all there, once.</summary>
    public static void AssertPermanentRulesPresent()
    {
        string[] nat = Shell.Check("iptables-save", "-t", "nat").Split('\n');
        Assert.Single(nat, l => l == "-A FOREIGN-IPT -s 192.0.2.1/32 -j RETURN");
        Assert.Single(nat, l => l == "-A PREROUTING -s 192.0.2.0/24 -j FOREIGN-IPT");
        Assert.Single(nat, l => l == "-A POSTROUTING -s 192.0.2.0/24 -j FOREIGN-IPT");
        Assert.Contains("ip saddr 192.0.2.2 counter", Shell.Check("nft", "list", "chain", "inet", "foreign", "keep"), StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (_process is { HasExited: false })
        {
            File.WriteAllText(Path.Combine(_dir, "stop"), "");
            if (!_process.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                _process.Kill();
            }
        }
        _process?.Dispose();
        _process = null;
        Shell.Run("nft", ["delete", "table", "inet", "foreign"]);
        foreach (string chain in (ReadOnlySpan<string>)["PREROUTING", "POSTROUTING"])
        {
            Shell.Run("iptables-nft", ["-t", "nat", "-D", chain, "-s", "192.0.2.0/24", "-j", "FOREIGN-IPT"]);
        }
        Shell.Run("iptables-nft", ["-t", "nat", "-F", "FOREIGN-IPT"]);
        Shell.Run("iptables-nft", ["-t", "nat", "-X", "FOREIGN-IPT"]);
    }
}
