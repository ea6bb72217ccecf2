using System.Diagnostics;
using System.Text;
using Cni.Net.Execution;
using Cni.Net.IntegrationTests.Infrastructure;
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
        string shim = ShapedChainNode.PublishedTool("cni-shim");
        using var chain = new ShapedChainNode(subnet: "10.86.0.0/24", cniVersion: "1.1.0", binary: _ => shim);
        string socket = Path.Combine(chain.Root, "plugin-server.sock");
        using Process server = StartServer(socket);
        using var pod = new TestNamespace("srvchain");
        try
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
            var executor = new CniChainExecutor(options);
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
        }
        finally
        {
            StopServer(server);
        }
        Assert.Equal(0, server.ExitCode);
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
