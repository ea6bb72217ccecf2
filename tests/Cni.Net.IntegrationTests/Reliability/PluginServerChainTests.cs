using System.Diagnostics;
using System.Text;
using Cni.Net.Execution;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.IntegrationTests.Plugins.Bridge;
using Cni.Net.Spec;

namespace Cni.Net.IntegrationTests.Reliability;

/// <summary>
/// The pod chain bridge (host-local, ipMasq) → portmap → bandwidth as a node with the resident plugin server runs it:
/// the published cni-shim under each plugin's name, the published cni-server behind it. A long-lived server does not
/// wait for the kernel's teardown of a deleted veth or ifb, so these tests check that a DEL nevertheless returns with
/// the node exactly as before the ADD, and that the same pod (same veth, ifb and chain names) can come back at once.
/// </summary>
public sealed class PluginServerChainTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ChainThroughTheServer_DelReturnsWithTheNodeAsBefore_AndTheSamePodComesBackAtOnce()
    {
        using var served = new ServedChain("10.86.0.0/24");
        ShapedChainNode chain = served.Chain;
        string socket = served.Socket;
        using var pod = new TestNamespace("srvchain");
        CniChainExecutor executor = Executor(chain, socket);
        NetworkConfigList list = NetworkConfigList.Parse(Encoding.UTF8.GetBytes(chain.Conflist));
        var request = new CniRuntimeRequest("ctr-server-chain", pod.Path, "eth0") { CapabilityArgs = ShapedChainNode.CapabilityArgs(23100) };

        // The first ADD creates the bridge, which stays: the node "before" is the node after one ADD and DEL.
        await executor.AddAsync(list, request, Ct);
        await executor.DelAsync(list, request, Ct);
        string before = NodeSnapshot.Capture(chain.StateDirectories);

        for (int round = 0; round < 3; round++)
        {
            await executor.AddAsync(list, request, Ct);
            Assert.Single(chain.Node.Reservations(ShapedChainNode.Network));
            Assert.Single(Shell.Json("ip", "-j", "link", "show", "type", "ifb").EnumerateArray());
            Assert.Single(pod.IpJson("link", "show", "dev", "eth0").EnumerateArray());

            await executor.DelAsync(list, request, Ct);
            // Checked at once: the veth pair and the ifb are out of their namespaces when DEL returns, even though
            // the kernel may still be freeing them.
            NodeSnapshot.AssertUnchanged(before, $"DEL {round + 1} through the server ", chain.StateDirectories);
            Assert.NotEqual(0, pod.Exec("ip", "link", "show", "dev", "eth0").ExitCode);
        }
        Assert.Equal(0, served.Stop());
    }

    [Fact]
    public async Task EightPodsAtOnceThroughTheServer_DelsLeaveTheNodeAsBefore()
    {
        // Eight DELs in flight in one server: eight pod veths and eight ifbs unlisted while their teardowns overlap.
        const int Pods = 8;
        using var served = new ServedChain("10.87.0.0/24");
        ShapedChainNode chain = served.Chain;
        string socket = served.Socket;
        var pods = Enumerable.Range(0, Pods).Select(_ => new TestNamespace("srvpar")).ToList();
        try
        {
            CniChainExecutor executor = Executor(chain, socket);
            NetworkConfigList list = NetworkConfigList.Parse(Encoding.UTF8.GetBytes(chain.Conflist));
            CniRuntimeRequest Request(int i) =>
                new($"ctr-server-par-{i}", pods[i].Path, "eth0") { CapabilityArgs = ShapedChainNode.CapabilityArgs(23200 + i) };
            await executor.AddAsync(list, Request(0), Ct);
            await executor.DelAsync(list, Request(0), Ct);
            string before = NodeSnapshot.Capture(chain.StateDirectories);

            await Task.WhenAll(Enumerable.Range(0, Pods).Select(i => executor.AddAsync(list, Request(i), Ct).AsTask()));
            Assert.Equal(Pods, chain.Node.Reservations(ShapedChainNode.Network).Count);
            Assert.Equal(Pods, Shell.Json("ip", "-j", "link", "show", "type", "ifb").GetArrayLength());
            await Task.WhenAll(Enumerable.Range(0, Pods).Select(i => executor.DelAsync(list, Request(i), Ct).AsTask()));

            NodeSnapshot.AssertUnchanged(before, "eight DELs at once through the server ", chain.StateDirectories);
            Assert.All(pods, p => Assert.NotEqual(0, p.Exec("ip", "link", "show", "dev", "eth0").ExitCode));
        }
        finally
        {
            pods.ForEach(p => p.Dispose());
        }
        Assert.Equal(0, served.Stop());
    }

    [Fact]
    public async Task BridgeAdd_BothSidesFailingInTheServer_ReportsThePodSidesError_AndLeavesNothing()
    {
        // In a long-lived server bridge configures the pod's side while it writes the node's; when both fail, the pod
        // side's error is the one reported (an exec'd bridge, doing them in turn, never reaches the node side).
        using var served = new ServedChain("10.89.7.0/24");
        ShapedChainNode chain = served.Chain;
        string socket = served.Socket;
        using var pod = new TestNamespace("srvboth");
        // The node's side fails: the bridge already has another address of the subnet, and forceAddress is off.
        Shell.Check("ip", "link", "add", chain.Node.Bridge, "type", "bridge");
        Shell.Check("ip", "addr", "add", "10.89.7.5/24", "dev", chain.Node.Bridge);
        Task<CniException> Add(string ipamRoutes) => Assert.ThrowsAsync<CniException>(() =>
        {
            string conflist = $$$"""
                {"cniVersion":"1.1.0","name":"{{{ShapedChainNode.Network}}}","plugins":[
                  {"type":"bridge","bridge":"{{{chain.Node.Bridge}}}","isGateway":true,"ipMasq":true,
                   "ipam":{"type":"host-local","dataDir":"{{{chain.Node.DataDirectory}}}","ranges":[[{"subnet":"10.89.7.0/24"}]]{{{ipamRoutes}}}}}]}
                """;
            NetworkConfigList list = NetworkConfigList.Parse(Encoding.UTF8.GetBytes(conflist));
            return Executor(chain, socket).AddAsync(list, new CniRuntimeRequest("ctr-server-both", pod.Path, "eth0"), Ct).AsTask();
        });
        void AssertNothingLeft()
        {
            // Undone by the plugin and the server: the address released, the veth pair gone, no masquerade rules.
            Assert.Empty(chain.Node.Reservations(ShapedChainNode.Network));
            Assert.NotEqual(0, pod.Exec("ip", "link", "show", "dev", "eth0").ExitCode);
            Assert.Equal(0, Shell.Json("ip", "-j", "link", "show", "master", chain.Node.Bridge).GetArrayLength());
            Assert.DoesNotContain("CNI-", PluginTestNode.Nat(), StringComparison.Ordinal);
        }

        // The node's side alone: its own error.
        CniException nodeSide = await Add("");
        Assert.Contains("already has an IP address", nodeSide.Message, StringComparison.Ordinal);
        AssertNothingLeft();

        // And the pod's side failing too — a route through a gateway the pod has no route to: the pod's error.
        CniException both = await Add(""","routes":[{"dst":"10.99.0.0/16","gw":"10.200.0.1"}]""");
        Assert.Contains("10.99.0.0/16", both.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("already has an IP address", both.Message, StringComparison.Ordinal);
        AssertNothingLeft();
        Assert.Equal(0, served.Stop());
    }

    /// <summary>A chain node whose plugins are the published shim, and the published server behind it.</summary>
    private sealed class ServedChain : IDisposable
    {
        private readonly Process _server;

        public ServedChain(string subnet)
        {
            string shim = ShapedChainNode.PublishedTool("cni-shim");
            Chain = new ShapedChainNode(subnet: subnet, cniVersion: "1.1.0", binary: _ => shim);
            Socket = Path.Combine(Chain.Root, "plugin-server.sock");
            try
            {
                _server = StartServer(Socket);
            }
            catch
            {
                Chain.Dispose();
                throw;
            }
        }

        public ShapedChainNode Chain { get; }

        public string Socket { get; }

        /// <summary>Stops the server as a service manager does (SIGTERM) and gives its exit code.</summary>
        public int Stop()
        {
            StopServer(_server);
            return _server.ExitCode;
        }

        public void Dispose()
        {
            StopServer(_server);
            _server.Dispose();
            Chain.Dispose();
        }
    }

    private static CniChainExecutor Executor(ShapedChainNode chain, string socket)
    {
        var options = new CniExecutorOptions
        {
            CacheDirectory = chain.CacheDirectory,
            Environment = new Dictionary<string, string>
            {
                ["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin",
                ["CNI_NET_PLUGIN_SERVER"] = socket,
            },
        };
        options.PluginDirectories.Clear();
        options.PluginDirectories.Add(chain.Node.BinDirectory);
        return new CniChainExecutor(options);
    }

    private static Process StartServer(string socket)
    {
        var psi = new ProcessStartInfo(ShapedChainNode.PublishedTool("cni-server")) { UseShellExecute = false, RedirectStandardError = true };
        psi.ArgumentList.Add(socket);
        Process server = Process.Start(psi)!;
        var waited = Stopwatch.StartNew();
        while (!File.Exists(socket))
        {
            if (server.HasExited || waited.Elapsed > TimeSpan.FromSeconds(30))
            {
                StopServer(server);
                throw new InvalidOperationException($"cni-server did not start: {server.StandardError.ReadToEnd()}");
            }
            Thread.Sleep(10);
        }
        return server;
    }

    private static void StopServer(Process server)
    {
        if (!server.HasExited)
        {
            Shell.Run("kill", ["-TERM", server.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            if (!server.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                server.Kill();
                server.WaitForExit();
            }
        }
    }
}
