using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using Cni.Net.Execution;
using Cni.Net.Plugins;
using Cni.Net.Spec;

namespace Cni.Net.Benchmarks.Execution;

/// <summary>
/// Executor overhead: the same three-plugin chain run by exec'ing a minimal plugin binary (a C program compiled at
/// setup that reads stdin and prints a fixed result, so the figure is spawn + pipes + JSON, not the plugin's work)
/// against an <see cref="ICniPlugin"/> registered in-process that returns the same result. Each ADD also writes the
/// result cache (temp file, rename) into a directory on /dev/shm, identically for both.
/// </summary>
[MemoryDiagnoser]
public class ChainExecutionBenchmarks
{
    private const string Result = """{"cniVersion":"1.1.0","interfaces":[{"name":"eth0","mac":"0a:58:0a:00:00:02","sandbox":"/proc/self/ns/net"}],"ips":[{"interface":0,"address":"10.0.0.2/24","gateway":"10.0.0.1"}],"routes":[{"dst":"0.0.0.0/0"}]}""";

    private string _root = "";
    private string _cache = "";
    private CniChainExecutor _exec = null!;
    private CniChainExecutor _inProcess = null!;
    private NetworkConfigList _network = null!;
    private readonly CniRuntimeRequest _request = new("bench-ctr", "/proc/self/ns/net")
    {
        CapabilityArgs = new JsonObject { ["portMappings"] = new JsonArray() },
    };

    [GlobalSetup]
    public void Setup()
    {
        _root = Directory.CreateTempSubdirectory("cni-exec-bench-").FullName;
        string bin = Path.Combine(_root, "bin");
        Directory.CreateDirectory(bin);
        string source = Path.Combine(_root, "plugin.c");
        string escaped = Result.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
        File.WriteAllText(source, $$"""
            #include <stdio.h>
            #include <unistd.h>
            int main(void) {
                char buf[65536];
                while (read(0, buf, sizeof buf) > 0) { }
                fputs("{{escaped}}", stdout);
                return 0;
            }
            """);
        using (Process gcc = Process.Start("gcc", ["-O2", "-o", Path.Combine(bin, "bench-plugin"), source])!)
        {
            gcc.WaitForExit();
            if (gcc.ExitCode != 0)
            {
                throw new InvalidOperationException("gcc failed to build the benchmark plugin");
            }
        }
        _cache = Directory.Exists("/dev/shm") ? Path.Combine("/dev/shm", $"cni-exec-bench-{Guid.NewGuid():N}") : Path.Combine(_root, "cache");
        string cache = _cache;
        _exec = new CniChainExecutor(Options(bin, cache));
        _inProcess = new CniChainExecutor(Options(bin, cache));
        _inProcess.RegisterPlugin("bench-plugin", new FixedResultPlugin());
        _network = NetworkConfigList.Parse(Encoding.UTF8.GetBytes("""
            {"cniVersion":"1.1.0","name":"bench","plugins":[
              {"type":"bench-plugin","bridge":"cbr0","ipam":{"type":"host-local","subnet":"10.0.0.0/24"}},
              {"type":"bench-plugin","capabilities":{"portMappings":true}},
              {"type":"bench-plugin","capabilities":{"bandwidth":true}}]}
            """));
    }

    private static CniExecutorOptions Options(string bin, string cache)
    {
        var o = new CniExecutorOptions { CacheDirectory = cache, Environment = new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin", ["CNI_NETNS_OVERRIDE"] = "1" } };
        o.PluginDirectories.Clear();
        o.PluginDirectories.Add(bin);
        return o;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Directory.Delete(_root, recursive: true);
        if (Directory.Exists(_cache))
        {
            Directory.Delete(_cache, recursive: true);
        }
    }

    [Benchmark(Baseline = true)]
    public async Task<CniResult> AddChainExecd() => await _exec.AddAsync(_network, _request);

    [Benchmark]
    public async Task<CniResult> AddChainInProcess() => await _inProcess.AddAsync(_network, _request);

    [Benchmark]
    public async Task CheckChainExecd() => await _exec.CheckAsync(_network, _request);

    [Benchmark]
    public async Task CheckChainInProcess() => await _inProcess.CheckAsync(_network, _request);

    private sealed class FixedResultPlugin : ICniPlugin
    {
        private static readonly byte[] s_result = Encoding.UTF8.GetBytes(Result);

        public ValueTask<CniResult> AddAsync(CniPluginRequest request, CancellationToken cancellationToken) =>
            ValueTask.FromResult(CniResult.Parse(s_result));

        public ValueTask DelAsync(CniPluginRequest request, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask CheckAsync(CniPluginRequest request, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
