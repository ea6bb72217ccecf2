using System.Diagnostics;
using System.Globalization;
using System.Text;
using Cni.Net.Execution;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.IntegrationTests.Kubelet;
using Cni.Net.Kubelet;
using Cni.Net.Spec;

namespace Cni.Net.IntegrationTests.Reliability;

/// <summary>
/// Crash consistency: the pod chain bridge (host-local, ipMasq) → portmap → bandwidth of our plugins is SIGKILLed at
/// a random point of its ADD (every plugin process group, delegated IPAM and cni-tool included), then DEL'd: the node
/// must be exactly as before (links, addresses, routes, iptables/nft, qdiscs, ifbs, IPAM files, cache and temp files)
/// and a new ADD for the same container must succeed. Seeded and reproducible: CNI_NET_FAULT_SEED picks the kill
/// points, CNI_NET_FAULT_ITERATIONS how many (small in CI).
/// </summary>
public sealed class FaultInjectionTests
{
    private static int Iterations => ShapedChainNode.Setting("CNI_NET_FAULT_ITERATIONS", 8);

    private static int Seed => ShapedChainNode.Setting("CNI_NET_FAULT_SEED", 14);

    /// <summary>Runs <paramref name="add"/>, kills everything it started after a seeded delay within its measured duration.</summary>
    private static async Task<(int Killed, bool Failed, int DelayMicroseconds)> AddAndKillAsync(Func<Task> add, Random random, TimeSpan addTime)
    {
        int delay = (int)(random.NextDouble() * addTime.TotalMicroseconds * 1.1);
        Task running = Task.Run(add);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalMicroseconds < delay && !running.IsCompleted)
        {
            Thread.SpinWait(50);
        }
        // Kill at the first moment from there on when a plugin runs (kubenet spends its first milliseconds in-process).
        int killed = ProcessKiller.KillDescendants();
        while (killed == 0 && !running.IsCompleted)
        {
            Thread.SpinWait(50);
            killed = ProcessKiller.KillDescendants();
        }
        bool failed = false;
        try
        {
            await running;
        }
        catch (Exception e) when (e is CniException or InvalidOperationException or IOException)
        {
            failed = true;
        }
        ProcessKiller.WaitNoDescendants();
        return (killed, failed, delay);
    }

    private static void Report(StringBuilder log, string what) => TestContext.Current.TestOutputHelper?.WriteLine(log.Insert(0, what + "\n").ToString());

    [Fact]
    public async Task ExecutorChain_SigkilledAtRandomPoints_DelLeavesNothing_AndAddSucceedsAgain()
    {
        using var chain = new ShapedChainNode();
        using var pod = new TestNamespace("fault");
        NetworkConfigList list = NetworkConfigList.Parse(Encoding.UTF8.GetBytes(chain.Conflist));
        var request = new CniRuntimeRequest("ctr-fault-exec", pod.Path, "eth0") { CapabilityArgs = ShapedChainNode.CapabilityArgs(18081) };
        CniChainExecutor executor = chain.Node.Executor;

        // Two ADD/DELs measure the chain (the second without JIT) and leave the node's shared state (bridge,
        // top-level chains) in place.
        TimeSpan addTime = TimeSpan.MaxValue;
        for (int warm = 0; warm < 2; warm++)
        {
            var clock = Stopwatch.StartNew();
            await executor.AddAsync(list, request, TestContext.Current.CancellationToken);
            addTime = clock.Elapsed < addTime ? clock.Elapsed : addTime;
            await executor.DelAsync(list, request, TestContext.Current.CancellationToken);
        }
        string baseline = NodeSnapshot.Capture(chain.StateDirectories);

        var random = new Random(Seed);
        var log = new StringBuilder();
        for (int i = 0; i < Iterations; i++)
        {
            var (killed, failed, delay) = await AddAndKillAsync(async () => await executor.AddAsync(list, request, TestContext.Current.CancellationToken), random, addTime);
            log.AppendLine(CultureInfo.InvariantCulture, $"iteration {i}: kill after {delay} µs, {killed} processes killed, ADD {(failed ? "failed" : "completed")}");
            await executor.DelAsync(list, request, TestContext.Current.CancellationToken);
            NodeSnapshot.AssertUnchanged(baseline, $"seed {Seed} iteration {i}: DEL after a kill at {delay} µs", chain.StateDirectories);
            Assert.Equal(["lo"], pod.IpJson("link", "show").EnumerateArray().Select(l => l.GetProperty("ifname").GetString()));

            CniResult result = await executor.AddAsync(list, request, TestContext.Current.CancellationToken);
            Assert.Contains(result.IPs, ip => ip.Address.ToString().StartsWith("10.81.0.", StringComparison.Ordinal));
            await executor.DelAsync(list, request, TestContext.Current.CancellationToken);
        }
        NodeSnapshot.AssertUnchanged(baseline, $"seed {Seed}: the last ADD/DEL", chain.StateDirectories);
        Report(log, $"executor chain, ADD {addTime.TotalMilliseconds:F0} ms, seed {Seed}");
    }

    [Fact]
    public async Task CniToolChain_SigkilledAtRandomPoints_DelLeavesNothing_AndAddSucceedsAgain()
    {
        using var chain = new ShapedChainNode(subnet: "10.82.0.0/24");
        using var pod = new TestNamespace("faulttool");
        const int hostPort = 18082;

        var clock = Stopwatch.StartNew();
        var first = chain.RunTool("add", pod.Path, hostPort);
        TimeSpan addTime = clock.Elapsed;
        Assert.True(first.ExitCode == 0, first.Output);
        Assert.Equal(0, chain.RunTool("del", pod.Path, hostPort).ExitCode);
        string baseline = NodeSnapshot.Capture(chain.StateDirectories);

        var random = new Random(Seed + 1);
        var log = new StringBuilder();
        for (int i = 0; i < Iterations; i++)
        {
            var (killed, failed, delay) = await AddAndKillAsync(async () =>
            {
                using Process tool = chain.StartTool("add", pod.Path, hostPort);
                Task<string> output = tool.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
                await tool.WaitForExitAsync(TestContext.Current.CancellationToken);
                if (tool.ExitCode != 0)
                {
                    throw new InvalidOperationException("cni-tool add: " + tool.ExitCode + " " + await output);
                }
            }, random, addTime);
            log.AppendLine(CultureInfo.InvariantCulture, $"iteration {i}: kill after {delay} µs, {killed} processes killed, ADD {(failed ? "failed" : "completed")}");
            var del = chain.RunTool("del", pod.Path, hostPort);
            Assert.True(del.ExitCode == 0, $"seed {Seed + 1} iteration {i}: DEL failed: {del.Output}");
            NodeSnapshot.AssertUnchanged(baseline, $"seed {Seed + 1} iteration {i}: DEL after a kill at {delay} µs", chain.StateDirectories);

            var add = chain.RunTool("add", pod.Path, hostPort);
            Assert.True(add.ExitCode == 0, $"seed {Seed + 1} iteration {i}: ADD after the kill failed: {add.Output}");
            Assert.Equal(0, chain.RunTool("del", pod.Path, hostPort).ExitCode);
        }
        NodeSnapshot.AssertUnchanged(baseline, $"seed {Seed + 1}: the last ADD/DEL", chain.StateDirectories);
        Report(log, $"cni-tool chain, ADD {addTime.TotalMilliseconds:F0} ms, seed {Seed + 1}");
    }

    [Fact]
    public async Task KubenetSetUpPod_SigkilledAtRandomPoints_TearDownLeavesNothing_AndSetUpSucceedsAgain()
    {
        using var node = new KubeletTestNode();
        CancellationToken ct = TestContext.Current.CancellationToken;
        var plugin = (KubenetNetworkPlugin)NetworkPlugins.Create("kubenet");
        node.Plugin = plugin;
        await plugin.InitAsync(node.Options("kubenet", ours: true), ct);
        (PodSandbox pod, TestNamespace ns) = node.NewPod("fault");
        pod.PortMappings.Add(new PortMapping { HostPort = 18083, ContainerPort = 80, Protocol = "tcp" });
        pod.Annotations["kubernetes.io/ingress-bandwidth"] = "10M";
        pod.Annotations["kubernetes.io/egress-bandwidth"] = "10M";
        string[] state = [node.CacheDir, node.DataDir];

        await plugin.SetUpPodAsync(pod, ct);
        // The pod is shaped (an ifb for its egress) and has a host port: every plugin of kubenet's chain ran.
        Assert.NotEmpty(Shell.Json("ip", "-j", "link", "show", "type", "ifb").EnumerateArray());
        Assert.Contains("18083", Shell.Check("iptables-save", "-t", "nat"), StringComparison.Ordinal);
        await plugin.TearDownPodAsync(pod, ct);
        var clock = Stopwatch.StartNew();
        await plugin.SetUpPodAsync(pod, ct);
        TimeSpan addTime = clock.Elapsed;
        await plugin.TearDownPodAsync(pod, ct);
        string baseline = NodeSnapshot.Capture(state);

        var random = new Random(Seed + 2);
        var log = new StringBuilder();
        for (int i = 0; i < Iterations; i++)
        {
            var (killed, failed, delay) = await AddAndKillAsync(async () => await plugin.SetUpPodAsync(pod, ct), random, addTime);
            log.AppendLine(CultureInfo.InvariantCulture, $"iteration {i}: kill after {delay} µs, {killed} processes killed, SetUpPod {(failed ? "failed" : "completed")}");
            await plugin.TearDownPodAsync(pod, ct);
            NodeSnapshot.AssertUnchanged(baseline, $"seed {Seed + 2} iteration {i}: TearDownPod after a kill at {delay} µs", state);
            Assert.Equal(["lo"], ns.IpJson("link", "show").EnumerateArray().Select(l => l.GetProperty("ifname").GetString()));

            await plugin.SetUpPodAsync(pod, ct);
            Assert.NotNull(await plugin.GetPodNetworkStatusAsync(pod, ct));
            await plugin.TearDownPodAsync(pod, ct);
        }
        NodeSnapshot.AssertUnchanged(baseline, $"seed {Seed + 2}: the last SetUpPod/TearDownPod", state);
        Report(log, $"kubenet SetUpPod, {addTime.TotalMilliseconds:F0} ms, seed {Seed + 2}");
    }
}
