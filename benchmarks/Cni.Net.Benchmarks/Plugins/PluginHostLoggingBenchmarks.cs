using System.Diagnostics;
using System.Text;
using BenchmarkDotNet.Attributes;
using Cni.Net.Plugins;
using Cni.Net.Spec;
using Microsoft.Extensions.Logging;

namespace Cni.Net.Benchmarks.Plugins;

/// <summary>
/// What the operator's log setting (CNI_LOG_FILE) costs a plugin, off against on:
/// <list type="bullet">
/// <item>exec'd: the published NativeAOT host-local (artifacts/cni/bin/host-local, from eng/publish.sh) run for
/// ADD then DEL in a fresh store, as a runtime runs it: process start-up, the host, the plugin, and with logging on
/// opening the file and writing two lines — the cost a node sees;</item>
/// <item>in-process: the host alone (settings lookup, an ADD through <c>CniPluginHost.InvokeAsync</c> with a plugin
/// that returns a fixed result), with logging on including the provider, the open(2) and the write(2) of the line.</item>
/// </list>
/// </summary>
[MemoryDiagnoser]
public class PluginHostLoggingBenchmarks
{
    private const string Result = """{"cniVersion":"1.1.0","ips":[{"address":"10.0.0.2/24","gateway":"10.0.0.1"}]}""";

    private string _root = "";
    private string _plugin = "";
    private string _logFile = "";
    private byte[] _stdin = [];
    private Dictionary<string, string> _envOff = null!;
    private Dictionary<string, string> _envOn = null!;
    private readonly FixedResultPlugin _fixed = new();
    private readonly CniPluginHostOptions _options = new();
    private int _store;

    private sealed class FixedResultPlugin : ICniPlugin
    {
        private readonly CniResult _result = CniResult.Parse(Encoding.UTF8.GetBytes(Result));

        public ValueTask<CniResult> AddAsync(CniPluginRequest request, CancellationToken cancellationToken) => ValueTask.FromResult(_result);

        public ValueTask DelAsync(CniPluginRequest request, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask CheckAsync(CniPluginRequest request, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    [GlobalSetup]
    public void Setup()
    {
        _root = Directory.CreateTempSubdirectory("cni-log-bench-").FullName;
        _logFile = Path.Combine(_root, "cni.log");
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "Cni.Net.sln")))
            {
                _plugin = Path.Combine(dir, "artifacts", "cni", "bin", "host-local");
                break;
            }
        }
        if (!File.Exists(_plugin))
        {
            throw new InvalidOperationException("run eng/publish.sh first: artifacts/cni/bin/host-local is missing");
        }
        _stdin = Encoding.UTF8.GetBytes("""{"cniVersion":"1.1.0","name":"bench","type":"bench"}""");
        _envOff = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["CNI_COMMAND"] = "ADD",
            ["CNI_CONTAINERID"] = "bench-ctr",
            ["CNI_NETNS"] = "/var/run/netns/unused",
            ["CNI_IFNAME"] = "eth0",
            ["CNI_PATH"] = "/usr/lib/cni",
        };
        _envOn = new Dictionary<string, string>(_envOff, StringComparer.Ordinal) { ["CNI_LOG_FILE"] = _logFile };
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_root, recursive: true);

    [Benchmark(Baseline = true, Description = "exec'd host-local ADD+DEL, logging off")]
    [BenchmarkCategory("exec")]
    public int ExecOff() => Cycle(log: false);

    [Benchmark(Description = "exec'd host-local ADD+DEL, CNI_LOG_FILE set")]
    [BenchmarkCategory("exec")]
    public int ExecOn() => Cycle(log: true);

    [Benchmark(Description = "in-process host ADD, logging off")]
    [BenchmarkCategory("in-process")]
    public int InProcessOff() => Invoke(_envOff);

    [Benchmark(Description = "in-process host ADD, CNI_LOG_FILE set")]
    [BenchmarkCategory("in-process")]
    public int InProcessOn() => Invoke(_envOn);

    // What CniPluginHost.Run does between reading stdin and writing stdout.
    private int Invoke(Dictionary<string, string> environment)
    {
        using CniLogProvider? logs = CniPluginHost.OpenProcessLog(_options, environment, _stdin, out ILogger? logger);
        ValueTask<CniPluginOutcome> run = CniPluginHost.InvokeAsync(_fixed, environment, _stdin, _options, CancellationToken.None,
            blockingDelegation: true, logger);
        CniPluginOutcome outcome = run.IsCompletedSuccessfully ? run.Result : run.AsTask().GetAwaiter().GetResult();
        return outcome.ExitCode == 0 ? outcome.Stdout.Length : throw new InvalidOperationException("the host failed");
    }

    private int Cycle(bool log)
    {
        // A fresh store per cycle, so every ADD does the same work (the range never fills up).
        string store = Path.Combine(_root, "store" + _store++);
        string config = "{\"cniVersion\":\"1.0.0\",\"name\":\"bench\",\"type\":\"bridge\",\"ipam\":{\"type\":\"host-local\",\"dataDir\":\"" +
            store + "\",\"ranges\":[[{\"subnet\":\"10.20.0.0/24\"}]]}}";
        int n = Exec("ADD", config, log) + Exec("DEL", config, log);
        Directory.Delete(store, recursive: true);
        return n;
    }

    private int Exec(string command, string config, bool log)
    {
        var psi = new ProcessStartInfo(_plugin)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach ((string k, string v) in log ? _envOn : _envOff)
        {
            psi.Environment[k] = v;
        }
        psi.Environment["CNI_COMMAND"] = command;
        using Process p = Process.Start(psi)!;
        p.StandardInput.Write(config);
        p.StandardInput.Close();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{_plugin} {command} failed: {output}");
        }
        return output.Length;
    }
}
