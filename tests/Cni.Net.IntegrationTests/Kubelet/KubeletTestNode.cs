using System.Net;
using System.Net.Sockets;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.Kubelet;
using Cni.Net.Namespaces;

namespace Cni.Net.IntegrationTests.Kubelet;

/// <summary>
/// The node of a kubelet-plugin test: this test process's own (unshared) namespace with private conf, cache and
/// host-local directories, and pods in throwaway namespaces. Dispose tears every pod down and removes cbr0, the
/// kubenet masquerade rule, the portmap top-level chains and the directories, also when the test failed.
/// </summary>
internal sealed class KubeletTestNode : IDisposable
{
    public const string ReferencePlugins = "/usr/lib/cni";

    private readonly List<(PodSandbox Pod, TestNamespace Ns)> _pods = [];
    private readonly List<string> _links = [];
    private readonly List<TestNamespace> _namespaces = [];

    public KubeletTestNode()
    {
        Require.NotInRootNamespace();
        Root = Directory.CreateTempSubdirectory("cnt-kubelet-").FullName;
        Directory.CreateDirectory(ConfDir);
        Directory.CreateDirectory(EmptyBinDir);
    }

    public string Root { get; }

    public string ConfDir => Path.Combine(Root, "net.d");

    public string CacheDir => Path.Combine(Root, "cache");

    public string DataDir => Path.Combine(Root, "networks");

    public string EmptyBinDir => Path.Combine(Root, "empty-bin");

    public INetworkPlugin? Plugin { get; set; }

    /// <summary>
    /// Plugin directories: ours (artifacts/cni/bin, from eng/publish.sh) first when <paramref name="ours"/>, then the
    /// reference ones — whichever of ours exist are used, the rest are the reference binaries.
    /// </summary>
    public static string[] BinDirs(bool ours) => ours && OurPluginDir() is string dir ? [dir, ReferencePlugins] : [ReferencePlugins];

    public static string? OurPluginDir()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            string candidate = Path.Combine(d.FullName, "artifacts", "cni", "bin");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    public NetworkPluginOptions Options(string plugin, bool ours = false, string? podCidr = "10.99.1.0/24")
    {
        var options = new NetworkPluginOptions
        {
            NetworkPlugin = plugin,
            CniConfDirectory = ConfDir,
            CniCacheDirectory = CacheDir,
            HostLocalDataDirectory = DataDir,
            PodCidr = podCidr,
            KubenetFirstBinDirectory = EmptyBinDir,
            PluginTimeout = TimeSpan.FromSeconds(30),
        };
        options.CniBinDirectories.Clear();
        foreach (string dir in BinDirs(ours))
        {
            options.CniBinDirectories.Add(dir);
        }
        return options;
    }

    public (PodSandbox Pod, TestNamespace Ns) NewPod(string name)
    {
        var ns = new TestNamespace("pod");
        var pod = new PodSandbox("default", name, "sandbox-" + ns.Name, ns.Path);
        _pods.Add((pod, ns));
        return (pod, ns);
    }

    public TestNamespace NewNamespace(string hint)
    {
        var ns = new TestNamespace(hint);
        _namespaces.Add(ns);
        return ns;
    }

    /// <summary>A veth on the node whose peer is in <paramref name="peer"/>; both up.</summary>
    public void AddVethTo(TestNamespace peer, string name, string peerName, int mtu = 1500)
    {
        Shell.Check("ip", "link", "add", name, "mtu", mtu.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "type", "veth", "peer", "name", peerName, "netns", peer.Name);
        _links.Add(name);
        Shell.Check("ip", "link", "set", name, "up");
        Shell.Check("ip", "-n", peer.Name, "link", "set", peerName, "up");
    }

    public static string Ping(TestNamespace from, string address) =>
        from.ExecCheck("ping", "-c", "1", "-W", "3", address);

    /// <summary>
    /// Connects over TCP from <paramref name="client"/> to <paramref name="target"/>, where <paramref name="server"/>
    /// listens, and returns the source address the listener saw.
    /// </summary>
    public static IPEndPoint ConnectAndObserve(TestNamespace server, IPEndPoint listen, TestNamespace client, IPEndPoint target)
    {
        using NetworkNamespace serverNs = NetworkNamespace.Open(server.Path);
        using NetworkNamespace clientNs = NetworkNamespace.Open(client.Path);
        using Socket listener = serverNs.Run(() =>
        {
            var s = new Socket(listen.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            s.Bind(listen);
            s.Listen();
            return s;
        });
        using Socket connection = clientNs.Run(() => new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp));
        if (!connection.ConnectAsync(target).Wait(TimeSpan.FromSeconds(10)))
        {
            throw new TimeoutException($"no TCP connection from {client.Name} to {target}");
        }
        Task<Socket> accept = listener.AcceptAsync();
        if (!accept.Wait(TimeSpan.FromSeconds(10)))
        {
            throw new TimeoutException($"the listener in {server.Name} accepted nothing");
        }
        using Socket accepted = accept.Result;
        return (IPEndPoint)accepted.RemoteEndPoint!;
    }

    public void Dispose()
    {
        foreach ((PodSandbox pod, TestNamespace ns) in _pods)
        {
            try
            {
                Plugin?.TearDownPodAsync(pod).AsTask().GetAwaiter().GetResult();
            }
            catch (Exception)
            {
                // Best effort: the namespace goes next, and cbr0 below.
            }
            ns.Dispose();
        }
        foreach (TestNamespace ns in _namespaces)
        {
            ns.Dispose();
        }
        foreach (string link in _links)
        {
            Shell.Run("ip", ["link", "del", link]);
        }
        Shell.Run("ip", ["link", "del", "cbr0"]);
        foreach (string bridge in Shell.Check("ip", "-o", "link", "show", "type", "bridge").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string name = bridge.Split(':')[1].Trim();
            if (name.StartsWith("cntbr", StringComparison.Ordinal))
            {
                Shell.Run("ip", ["link", "del", name]);
            }
        }
        RemoveNatRules(r => r.Contains("kubenet: SNAT", StringComparison.Ordinal) || r.Contains("CNI-", StringComparison.Ordinal));
        Directory.Delete(Root, recursive: true);
    }

    /// <summary>Deletes nat rules and CNI- chains this node's tests made (only ever in the test's own namespace).</summary>
    private static void RemoveNatRules(Func<string, bool> match)
    {
        string save = Shell.Check("iptables-save", "-t", "nat");
        var chains = new List<string>();
        foreach (string line in save.Split('\n'))
        {
            if (line.StartsWith("-A ", StringComparison.Ordinal) && match(line))
            {
                Shell.Run("bash", ["-c", "iptables -t nat " + line.Replace("-A ", "-D ", StringComparison.Ordinal)]);
            }
            if (line.StartsWith(":CNI-", StringComparison.Ordinal))
            {
                chains.Add(line[1..line.IndexOf(' ', StringComparison.Ordinal)]);
            }
        }
        foreach (string chain in chains)
        {
            Shell.Run("iptables", ["-t", "nat", "-F", chain]);
        }
        foreach (string chain in chains)
        {
            Shell.Run("iptables", ["-t", "nat", "-X", chain]);
        }
    }
}
