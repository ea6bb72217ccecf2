using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using Cni.Net.Netfilter;
using Cni.Net.Netfilter.Conntrack;

namespace Cni.Net.Benchmarks.Netfilter;

/// <summary>
/// What portmap ADD does for a UDP host port: forget the flows to it. One <c>conntrack -D -f ipv4 -p udp
/// --orig-port-dst 5353</c> process against <see cref="ConntrackTable.DeleteFlows"/> (socket opened and closed per
/// call, as the plugin does), each invocation first creating the one flow to delete, in a table that also holds
/// <see cref="UnrelatedFlows"/> other UDP flows; <see cref="UnrelatedFlows"/> = -1 is a namespace that tracks nothing
/// (no rule needs conntrack, nothing to delete). Every dump walks all buckets of the kernel's global conntrack hash
/// (<c>nf_conntrack_buckets</c>, 262,144 here), whatever the namespace holds. Must run as root in a private network
/// namespace (eng/bench.sh).
/// </summary>
[MemoryDiagnoser]
#pragma warning disable CA1001 // the sender socket is closed by [GlobalCleanup], BenchmarkDotNet's end of life
public class ConntrackBenchmarks
{
    private const int MappedPort = 5353;
    private const string TimeoutSysctl = "/proc/sys/net/netfilter/nf_conntrack_udp_timeout";
    private static readonly string s_tool = Array.Find(["/usr/sbin/conntrack", "/sbin/conntrack"], File.Exists) ?? "conntrack";

    private readonly IPEndPoint _mapped = new(IPAddress.Loopback, MappedPort);
    private Socket? _sender;
    private string? _savedTimeout;

    [Params(-1, 0, 1000)]
    public int UnrelatedFlows { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        PrivateNetworkNamespace.Require("the conntrack table");
        _sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _sender.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        if (UnrelatedFlows < 0)
        {
            return;
        }
        // Connections are tracked once a rule needs conntrack; unreplied UDP flows would time out after 30 s.
        Check("nft", ["-f", "-"], "table ip cnt_bench_ct {\n chain out {\n  type filter hook output priority 0;\n  ct state new accept\n }\n}\n");
        _savedTimeout = File.ReadAllText(TimeoutSysctl).Trim();
        File.WriteAllText(TimeoutSysctl, "3600");
        for (int i = 0; i < UnrelatedFlows; i++)
        {
            _sender.SendTo([1], new IPEndPoint(IPAddress.Loopback, 30000 + i));
        }
        using var table = new ConntrackTable();
        int tracked = table.ListFlows(AddressFamily.InterNetwork).Count;
        if (tracked < UnrelatedFlows)
        {
            throw new InvalidOperationException($"only {tracked} of {UnrelatedFlows} flows are tracked");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _sender?.Dispose();
        if (UnrelatedFlows < 0)
        {
            return;
        }
        Run("nft", ["delete", "table", "ip", "cnt_bench_ct"]);
        Run(s_tool, ["-F"]);
        if (_savedTimeout is not null)
        {
            File.WriteAllText(TimeoutSysctl, _savedTimeout);
        }
    }

    [Benchmark(Baseline = true, Description = "conntrack -D process")]
    public void ConntrackProcess()
    {
        _sender!.SendTo([1], _mapped);
        Run(s_tool, ["-D", "-f", "ipv4", "-p", "udp", "--orig-port-dst", "5353"]);
    }

    [Benchmark(Description = "ConntrackTable.DeleteFlows")]
    public void ConntrackTableNative()
    {
        _sender!.SendTo([1], _mapped);
        using var table = new ConntrackTable();
        table.DeleteFlows(AddressFamily.InterNetwork, ProtocolType.Udp, [MappedPort]);
    }

    private static void Check(string file, string[] args, string? stdin = null)
    {
        int exit = Run(file, args, stdin);
        if (exit != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {exit}");
        }
    }

    private static int Run(string file, string[] args, string? stdin = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using Process p = Process.Start(psi)!;
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        // conntrack -D exits 1 when nothing matched; only the time matters here.
        Task<string> error = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        error.Wait();
        p.WaitForExit();
        return p.ExitCode;
    }
}
#pragma warning restore CA1001
