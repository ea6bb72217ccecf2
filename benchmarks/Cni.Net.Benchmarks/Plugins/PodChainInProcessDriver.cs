using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cni.Net.Execution;
using Cni.Net.Plugins;
using Cni.Net.Spec;

namespace Cni.Net.Benchmarks.Plugins;

/// <summary>
/// The "ours in-process" side of benchmarks/pod_chain_bench.py: a long-lived runtime process that runs the pod chain
/// through <see cref="CniChainExecutor"/> with the sample bridge, portmap and bandwidth handlers registered
/// in-process, and host-local too, so bridge's IPAM delegation stays in-process (set CNI_BENCH_EXEC_IPAM=1 to exec it
/// from CNI_PATH instead, as before). The script
/// sends one JSON line per request on stdin and reads one JSON line per answer:
/// <code>
/// → {"conflist":{…},"cniPath":"dir","cacheDir":"dir"}             ← {"ok":true}
/// → {"cmd":"ADD","containerId":"…","netns":"/run/netns/…","capabilityArgs":{…}}
/// ← {"ok":true,"ms":12.3,"plugins":{"bridge":7.1,"portmap":2.0,"bandwidth":3.1}}
/// → {"cmd":"DEL",…}                                                  ← the same shape
/// </code>
/// "ms" is the executor call; "plugins" the time inside each handler; with CNI_BENCH_ALLOC=1, "bytes" what the process
/// allocated during the chain and during each handler.
/// Run as <c>Cni.Net.Benchmarks pod-chain-driver</c> inside the benchmark's private network namespace.
/// </summary>
internal static class PodChainInProcessDriver
{
    private static readonly (string Type, string ClassName)[] s_plugins = SampleHandlers.Chain;

    // CNI_BENCH_ALLOC=1: each answer also says how many bytes the whole process allocated during the chain and during
    // each handler ("bytes"), every thread counted; off by default, as the count itself takes a lock.
    private static readonly bool s_countAllocation = Environment.GetEnvironmentVariable("CNI_BENCH_ALLOC") == "1";

    public static async Task<int> RunAsync()
    {
        using var input = new StreamReader(Console.OpenStandardInput(), Encoding.UTF8);
        await using var output = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = true };
        JsonObject setup = JsonNode.Parse(await input.ReadLineAsync().ConfigureAwait(false) ?? "{}")!.AsObject();
        NetworkConfigList network = NetworkConfigList.Parse(Encoding.UTF8.GetBytes(setup["conflist"]!.ToJsonString()));
        var options = new CniExecutorOptions { CacheDirectory = (string)setup["cacheDir"]! };
        options.PluginDirectories.Clear();
        options.PluginDirectories.Add((string)setup["cniPath"]!);
        var executor = new CniChainExecutor(options);
        var timed = new List<TimedPlugin>();
        foreach (var (type, className) in s_plugins)
        {
            var plugin = new TimedPlugin(type, SampleHandlers.Create(className));
            timed.Add(plugin);
            executor.RegisterPlugin(type, plugin);
        }
        if (Environment.GetEnvironmentVariable("CNI_BENCH_EXEC_IPAM") != "1")
        {
            // Not timed on its own: its time is inside bridge's.
            executor.RegisterPlugin("host-local", SampleHandlers.Create(SampleHandlers.HostLocal));
        }
        await output.WriteLineAsync("{\"ok\":true}").ConfigureAwait(false);

        while (await input.ReadLineAsync().ConfigureAwait(false) is { Length: > 0 } line)
        {
            JsonObject command = JsonNode.Parse(line)!.AsObject();
            var request = new CniRuntimeRequest((string)command["containerId"]!, (string?)command["netns"])
            {
                CapabilityArgs = command["capabilityArgs"]?.DeepClone().AsObject(),
            };
            foreach (TimedPlugin plugin in timed)
            {
                plugin.Elapsed = TimeSpan.Zero;
                plugin.Allocated = 0;
            }
            var answer = new JsonObject();
            long allocatedBefore = s_countAllocation ? GC.GetTotalAllocatedBytes(precise: true) : 0;
            long start = Stopwatch.GetTimestamp();
            try
            {
                if ((string)command["cmd"]! == "ADD")
                {
                    await executor.AddAsync(network, request).ConfigureAwait(false);
                }
                else
                {
                    await executor.DelAsync(network, request).ConfigureAwait(false);
                }
                answer["ok"] = true;
            }
            catch (CniException e)
            {
                answer["ok"] = false;
                answer["error"] = $"code {(uint)e.Code}: {e.Message} {e.Details}";
            }
            answer["ms"] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            var plugins = new JsonObject();
            foreach (TimedPlugin plugin in timed)
            {
                plugins[plugin.Type] = plugin.Elapsed.TotalMilliseconds;
            }
            answer["plugins"] = plugins;
            if (s_countAllocation)
            {
                var allocated = new JsonObject { ["chain"] = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore };
                foreach (TimedPlugin plugin in timed)
                {
                    allocated[plugin.Type] = plugin.Allocated;
                }
                answer["bytes"] = allocated;
            }
            await output.WriteLineAsync(answer.ToJsonString()).ConfigureAwait(false);
        }
        return 0;
    }

    /// <summary>Measures the time spent inside a handler (what the executor and host add around it is not counted).</summary>
    private sealed class TimedPlugin(string type, ICniPlugin inner) : ICniPlugin
    {
        public string Type { get; } = type;

        public TimeSpan Elapsed { get; set; }

        public long Allocated { get; set; }

        public IReadOnlyList<CniVersion> SupportedVersions => inner.SupportedVersions;

        public async ValueTask<CniResult> AddAsync(CniPluginRequest request, CancellationToken cancellationToken)
        {
            long allocatedBefore = s_countAllocation ? GC.GetTotalAllocatedBytes(precise: true) : 0;
            long start = Stopwatch.GetTimestamp();
            try
            {
                return await inner.AddAsync(request, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                Elapsed += Stopwatch.GetElapsedTime(start);
                if (s_countAllocation)
                {
                    Allocated += GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
                }
            }
        }

        public async ValueTask DelAsync(CniPluginRequest request, CancellationToken cancellationToken)
        {
            long allocatedBefore = s_countAllocation ? GC.GetTotalAllocatedBytes(precise: true) : 0;
            long start = Stopwatch.GetTimestamp();
            try
            {
                await inner.DelAsync(request, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                Elapsed += Stopwatch.GetElapsedTime(start);
                if (s_countAllocation)
                {
                    Allocated += GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
                }
            }
        }

        public ValueTask CheckAsync(CniPluginRequest request, CancellationToken cancellationToken) => inner.CheckAsync(request, cancellationToken);

        public ValueTask StatusAsync(CniPluginRequest request, CancellationToken cancellationToken) => inner.StatusAsync(request, cancellationToken);

        public ValueTask GCAsync(CniPluginRequest request, CancellationToken cancellationToken) => inner.GCAsync(request, cancellationToken);
    }
}
