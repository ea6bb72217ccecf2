using System.Globalization;
using System.Net;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.Kubelet;

namespace Cni.Net.IntegrationTests.Kubelet;

/// <summary>
/// A kubenet cluster in namespaces: a "cloud" namespace with a bridge (10.200.0.1/24) that every "node" namespace
/// joins over a veth (node i is 10.200.0.1i, default route via the cloud), a route per node pod CIDR via that node in
/// the cloud (what a cloud route controller does for kubenet), and an "internet" namespace behind the cloud
/// (198.51.100.2). Each node runs the published node agent, <c>kubenet-node</c> (<see cref="KubenetNetworkPlugin"/>
/// behind a command line), inside its namespace with its own state directory — one process per command, as a
/// restarted kubelet. Dispose removes the namespaces (pods, nodes, cloud, internet) and the state, also on failure.
/// </summary>
internal sealed class KubenetCluster : IDisposable
{
    public const string CloudAddress = "10.200.0.1";
    public const string InternetAddress = "198.51.100.2";
    public const string NonMasqueradeCidr = "10.244.0.0/16";

    private readonly List<TestNamespace> _namespaces = [];
    private readonly string _agent;

    public KubenetCluster(int nodes, IReadOnlyList<string> binDirs)
    {
        Require.NotInRootNamespace();
        _agent = AgentPath();
        Root = Directory.CreateTempSubdirectory("cnt-cluster-").FullName;
        try
        {
            Cloud = Namespace("cloud");
            Shell.Check("ip", "-n", Cloud.Name, "link", "add", "cntcbr", "type", "bridge");
            Shell.Check("ip", "-n", Cloud.Name, "addr", "add", CloudAddress + "/24", "dev", "cntcbr");
            Shell.Check("ip", "-n", Cloud.Name, "link", "set", "cntcbr", "up");
            Cloud.ExecCheck("sysctl", "-qw", "net.ipv4.ip_forward=1");

            Internet = Namespace("internet");
            Shell.Check("ip", "-n", Internet.Name, "link", "add", "eth0", "type", "veth", "peer", "name", "cntcinet", "netns", Cloud.Name);
            Shell.Check("ip", "-n", Cloud.Name, "addr", "add", "198.51.100.1/24", "dev", "cntcinet");
            Shell.Check("ip", "-n", Cloud.Name, "link", "set", "cntcinet", "up");
            Shell.Check("ip", "-n", Internet.Name, "addr", "add", InternetAddress + "/24", "dev", "eth0");
            Shell.Check("ip", "-n", Internet.Name, "link", "set", "eth0", "up");
            Shell.Check("ip", "-n", Internet.Name, "route", "add", "default", "via", "198.51.100.1");

            for (int i = 1; i <= nodes; i++)
            {
                Nodes.Add(AddNode(i, binDirs));
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Root { get; }

    public TestNamespace Cloud { get; } = null!;

    public TestNamespace Internet { get; } = null!;

    public List<Node> Nodes { get; } = [];

    /// <summary>A node: its namespace, address, pod CIDR and the agent's state directory.</summary>
    internal sealed record Node(int Index, TestNamespace Ns, IPAddress Address, IPNetwork PodCidr, string StateDir);

    /// <summary>A new pod namespace (removed on dispose); its network comes from <see cref="SetUpPod"/>.</summary>
    public (PodSandbox Pod, TestNamespace Ns) NewPod(Node node, string name)
    {
        TestNamespace ns = Namespace($"pod{node.Index}");
        return (new PodSandbox("default", name, "sandbox-" + ns.Name, ns.Path), ns);
    }

    /// <summary><c>kubenet-node setup-pod</c> on the node; returns the agent's report.</summary>
    public string SetUpPod(Node node, PodSandbox pod)
    {
        var args = new List<string> { "setup-pod", "--state-dir", node.StateDir, "--namespace", pod.Namespace, "--name", pod.Name,
            "--sandbox-id", pod.SandboxId, "--netns", pod.NetNsPath! };
        foreach (Cni.Net.Spec.PortMapping port in pod.PortMappings)
        {
            args.AddRange(["--host-port", string.Create(CultureInfo.InvariantCulture, $"{port.HostPort}:{port.ContainerPort}/{port.Protocol ?? "tcp"}")]);
        }
        return Agent(node, args);
    }

    /// <summary><c>kubenet-node teardown-pod</c> on the node.</summary>
    public string TearDownPod(Node node, PodSandbox pod) =>
        Agent(node, ["teardown-pod", "--state-dir", node.StateDir, "--sandbox-id", pod.SandboxId, "--netns", pod.NetNsPath!,
            "--namespace", pod.Namespace, "--name", pod.Name]);

    /// <summary>Runs the agent inside the node's namespace and requires success.</summary>
    public string Agent(Node node, IEnumerable<string> args)
    {
        Shell.Output o = Shell.Run("ip", ["netns", "exec", node.Ns.Name, _agent, .. args], timeout: TimeSpan.FromSeconds(60));
        Assert.True(o.ExitCode == 0, $"kubenet-node {string.Join(' ', args)} on node {node.Index} failed ({o.ExitCode}): {o.StdErr}{o.StdOut}");
        return o.StdOut;
    }

    private Node AddNode(int index, IReadOnlyList<string> binDirs)
    {
        TestNamespace ns = Namespace($"node{index}");
        var address = IPAddress.Parse($"10.200.0.1{index}");
        var podCidr = IPNetwork.Parse($"10.244.{index}.0/24");
        string port = $"cntcn{index}";
        Shell.Check("ip", "-n", ns.Name, "link", "add", "eth0", "type", "veth", "peer", "name", port, "netns", Cloud.Name);
        Shell.Check("ip", "-n", Cloud.Name, "link", "set", port, "master", "cntcbr", "up");
        Shell.Check("ip", "-n", ns.Name, "addr", "add", address + "/24", "dev", "eth0");
        Shell.Check("ip", "-n", ns.Name, "link", "set", "eth0", "up");
        Shell.Check("ip", "-n", ns.Name, "route", "add", "default", "via", CloudAddress);
        // The cloud route controller's job: the node's pod CIDR is reached through the node.
        Shell.Check("ip", "-n", Cloud.Name, "route", "add", podCidr.ToString(), "via", address.ToString());

        var node = new Node(index, ns, address, podCidr, Path.Combine(Root, $"node{index}"));
        Agent(node, ["init", "--state-dir", node.StateDir, "--network-plugin=kubenet", "--pod-cidr=" + podCidr,
            "--non-masquerade-cidr=" + NonMasqueradeCidr, "--cni-bin-dir=" + string.Join(',', binDirs)]);
        return node;
    }

    private TestNamespace Namespace(string hint)
    {
        var ns = new TestNamespace(hint);
        _namespaces.Add(ns);
        return ns;
    }

    internal static string AgentPath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Cni.Net.sln")))
            {
                string agent = Path.Combine(dir.FullName, "artifacts", "bin", "kubenet-node");
                Assert.True(File.Exists(agent), $"{agent} is missing: run eng/publish.sh (eng/test.sh does) first");
                return agent;
            }
        }
        throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }

    public void Dispose()
    {
        // Pods first (their veth peers live in the node namespaces), then nodes, the internet and the cloud.
        for (int i = _namespaces.Count - 1; i >= 0; i--)
        {
            _namespaces[i].Dispose();
        }
        _namespaces.Clear();
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }
}
