using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Cni.Net.IntegrationTests.Cri.V1;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.IntegrationTests.Kubelet;

namespace Cni.Net.IntegrationTests.Cri;

/// <summary>
/// A Kubernetes node whose runtime is Debian's containerd (1.6) with our plugins in its CNI bin dir, built in throwaway
/// pieces: a "node" network namespace (linked by a veth to a "client" namespace that plays a machine outside), a
/// mount namespace held open by a sleeping process with a private tmpfs on <c>/run</c> (so <c>/run/containerd</c>,
/// its shim sockets and the pods' <c>/run/netns</c> files are private) and a temp dir bound over
/// <c>/var/lib/cni</c> (libcni's result cache and host-local's store, readable by the test), and containerd's root,
/// state, socket and CNI conf dir in the same temp dir. Pods get a cgroup parent of their own.
/// The mount namespace outlives containerd, so <see cref="Restart"/> keeps the pods as a restart on a node does.
/// Dispose stops and removes every sandbox, stops containerd, kills whatever it left running, and removes the
/// cgroups, the namespaces and the temp dir — also when the test failed.
/// </summary>
internal sealed class ContainerdNode : IDisposable
{
    public const string Network = "crinet";
    public const string Bridge = "cnicri0";
    public const string Subnet = "10.88.7.0/24";
    public const string Gateway = "10.88.7.1";
    public const string NodeAddress = "10.201.0.1";
    public const string ClientAddress = "10.201.0.2";
    public const string NodeLink = "cnt-crin0";
    private const string ClientLink = "cnt-cric0";
    private const string K8sNamespace = "k8s.io";

    private static int s_counter;

    private readonly List<string> _sandboxes = [];
    private Process? _holder;
    private Process? _containerd;
    private CriClient? _client;

    public ContainerdNode(string cniVersion)
    {
        Require.NotInRootNamespace();
        CniVersion = cniVersion;
        CgroupParent = $"/cni-net-cri-{Environment.ProcessId}-{Interlocked.Increment(ref s_counter)}";
        Root = Directory.CreateTempSubdirectory("cnt-cri-").FullName;
        try
        {
            foreach (string dir in new[] { ConfDir, VarLibCni, LogRoot })
            {
                Directory.CreateDirectory(dir);
            }
            File.WriteAllText(Path.Combine(Root, "config.toml"), ContainerdConfig());
            File.WriteAllText(Path.Combine(ConfDir, "10-" + Network + ".conflist"), Conflist(cniVersion));
            PauseImage.Write(Path.Combine(Root, "pause.tar"));

            Node = new TestNamespace("crinode");
            Client = new TestNamespace("cricl");
            Shell.Check("ip", "-n", Node.Name, "link", "add", NodeLink, "type", "veth", "peer", "name", ClientLink, "netns", Client.Name);
            Shell.Check("ip", "-n", Node.Name, "addr", "add", NodeAddress + "/24", "dev", NodeLink);
            Shell.Check("ip", "-n", Node.Name, "link", "set", NodeLink, "up");
            Shell.Check("ip", "-n", Client.Name, "addr", "add", ClientAddress + "/24", "dev", ClientLink);
            Shell.Check("ip", "-n", Client.Name, "link", "set", ClientLink, "up");

            StartHolder();
            Start();
            Shell.Output import = Shell.Run("ctr", ["-a", SocketPath, "-n", K8sNamespace, "images", "import", "--snapshotter", "native",
                Path.Combine(Root, "pause.tar")]);
            Assert.True(import.ExitCode == 0, "ctr images import failed: " + import.StdErr + import.StdOut);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string CniVersion { get; }

    public string Root { get; }

    public string CgroupParent { get; }

    /// <summary>The CNI conf dir containerd reads (one conflist, written by the fixture).</summary>
    public string ConfDir => Path.Combine(Root, "net.d");

    /// <summary>What the node's processes see as <c>/var/lib/cni</c>.</summary>
    public string VarLibCni => Path.Combine(Root, "var-lib-cni");

    public string SocketPath => Path.Combine(Root, "containerd.sock");

    public string LogPath => Path.Combine(Root, "containerd.log");

    private string LogRoot => Path.Combine(Root, "pod-logs");

    public TestNamespace Node { get; } = null!;

    /// <summary>A machine outside the node, on the node's link (<see cref="ClientAddress"/>).</summary>
    public TestNamespace Client { get; } = null!;

    public CriClient Cri => _client ?? throw new InvalidOperationException("containerd is not running");

    /// <summary>The CNI bin dir: our NativeAOT plugins (eng/publish.sh).</summary>
    public static string BinDir => KubeletTestNode.OurPluginDir() is string dir && File.Exists(Path.Combine(dir, "portmap"))
        ? dir
        : throw new InvalidOperationException("artifacts/cni/bin is missing: run eng/publish.sh first");

    /// <summary>bridge(host-local) → portmap → bandwidth, the conflist shape of a kubelet node with hostPorts and shaping.</summary>
    public static string Conflist(string cniVersion) =>
        "{\"cniVersion\":\"" + cniVersion + "\",\"name\":\"" + Network + "\",\"plugins\":[" +
        "{\"type\":\"bridge\",\"bridge\":\"" + Bridge + "\",\"isGateway\":true,\"ipMasq\":true,\"hairpinMode\":true," +
        "\"ipam\":{\"type\":\"host-local\",\"ranges\":[[{\"subnet\":\"" + Subnet + "\"}]],\"routes\":[{\"dst\":\"0.0.0.0/0\"}]}}," +
        "{\"type\":\"portmap\",\"capabilities\":{\"portMappings\":true},\"snat\":true}," +
        "{\"type\":\"bandwidth\",\"capabilities\":{\"bandwidth\":true}}]}";

    private string ContainerdConfig() => $"""
        version = 2
        root = "{Root}/root"
        state = "{Root}/state"
        disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.overlayfs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

        [grpc]
          address = "{SocketPath}"

        [plugins."io.containerd.internal.v1.opt"]
          path = "{Root}/opt"

        [plugins."io.containerd.grpc.v1.cri"]
          sandbox_image = "{PauseImage.Name}"
          enable_selinux = false
          # No CAP_SYS_RESOURCE here (a sandboxed machine): the sandbox's oom_score_adj -998 cannot be set, so clamp it to ours.
          restrict_oom_score_adj = true
          stream_server_address = "127.0.0.1"
          stream_server_port = "0"
          [plugins."io.containerd.grpc.v1.cri".containerd]
            snapshotter = "native"
            default_runtime_name = "runc"
            [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
              runtime_type = "io.containerd.runc.v2"
              [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
                SystemdCgroup = false
          [plugins."io.containerd.grpc.v1.cri".cni]
            bin_dir = "{BinDir}"
            conf_dir = "{ConfDir}"
            max_conf_num = 1
        """;

    // The holder: in the node's network namespace, a new mount namespace whose mounts are private, with its own
    // /run and /var/lib/cni; it sleeps so the namespace (and the netns bind mounts containerd makes in it) lives
    // on while containerd is stopped and started again.
    private void StartHolder()
    {
        const string Script =
            "set -e\n" +
            "mount -t tmpfs -o mode=0755 cni-net-cri /run\n" +
            "mkdir -p /run/containerd /run/netns\n" +
            "[ -d /var/lib/cni ] || mkdir -p /var/lib/cni\n" +
            "mount --bind \"$1\" /var/lib/cni\n" +
            "echo ready\n" +
            "exec sleep infinity\n";
        var psi = new ProcessStartInfo("nsenter") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { "--net=" + Node.Path, "unshare", "--mount", "--propagation", "private", "--", "sh", "-c", Script, "sh", VarLibCni })
        {
            psi.ArgumentList.Add(a);
        }
        _holder = Process.Start(psi)!;
        string? line = _holder.StandardOutput.ReadLine();
        if (line != "ready")
        {
            throw new InvalidOperationException("mount namespace holder did not start: " + _holder.StandardError.ReadToEnd());
        }
    }

    /// <summary>Starts containerd in the node's namespaces and waits until its CRI service answers.</summary>
    public void Start()
    {
        Assert.Null(_containerd);
        int holder = _holder!.Id;
        var psi = new ProcessStartInfo("sh") { UseShellExecute = false };
        foreach (string a in new[] { "-c", "log=$1; shift; exec \"$@\" >>\"$log\" 2>&1", "sh", LogPath,
            "nsenter", $"--mount=/proc/{holder}/ns/mnt", $"--net=/proc/{holder}/ns/net", "--",
            "containerd", "--config", Path.Combine(Root, "config.toml") })
        {
            psi.ArgumentList.Add(a);
        }
        _containerd = Process.Start(psi)!;
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            if (_containerd.HasExited)
            {
                throw new InvalidOperationException($"containerd exited ({_containerd.ExitCode}): {Log()}");
            }
            if (File.Exists(SocketPath))
            {
                var client = new CriClient(SocketPath);
                try
                {
                    client.Version();
                    _client = client;
                    return;
                }
                catch (Grpc.Core.RpcException) when (stopwatch.Elapsed < TimeSpan.FromSeconds(30))
                {
                    client.Dispose();
                }
            }
            if (stopwatch.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException("containerd's CRI service did not answer: " + Log());
            }
            Thread.Sleep(100);
        }
    }

    /// <summary>Stops containerd as an init system does (SIGTERM); the shims and pods keep running.</summary>
    public void Stop()
    {
        _client?.Dispose();
        _client = null;
        if (_containerd is null)
        {
            return;
        }
        if (!_containerd.HasExited)
        {
            Shell.Run("kill", ["-TERM", _containerd.Id.ToString(CultureInfo.InvariantCulture)]);
            if (!_containerd.WaitForExit(TimeSpan.FromSeconds(20)))
            {
                _containerd.Kill();
                _containerd.WaitForExit();
            }
        }
        _containerd.Dispose();
        _containerd = null;
    }

    public void Restart()
    {
        Stop();
        Start();
    }

    /// <summary>The files left in the node's private <c>/run/netns</c> (seen through the holder's root).</summary>
    public string[] NetnsFiles() => Directory.GetFiles($"/proc/{_holder!.Id}/root/run/netns");

    /// <summary>The tail of containerd's log, for failure messages.</summary>
    public string Log()
    {
        try
        {
            string text = File.ReadAllText(LogPath);
            return text.Length > 6000 ? text[^6000..] : text;
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>
    /// RunPodSandbox as the kubelet sends it for a pod with the given hostPort mappings and bandwidth annotations,
    /// then PodSandboxStatus for its address and its pause process.
    /// </summary>
    public CriPod RunPod(string name, IEnumerable<PortMapping>? portMappings = null, string? ingressBandwidth = null, string? egressBandwidth = null)
    {
        string uid = Guid.NewGuid().ToString();
        string logDir = Path.Combine(LogRoot, "default_" + name + "_" + uid);
        Directory.CreateDirectory(logDir);
        var config = new PodSandboxConfig
        {
            Metadata = new PodSandboxMetadata { Name = name, Namespace = "default", Uid = uid, Attempt = 0 },
            Hostname = name,
            LogDirectory = logDir,
            Linux = new LinuxPodSandboxConfig
            {
                CgroupParent = CgroupParent,
                SecurityContext = new LinuxSandboxSecurityContext
                {
                    NamespaceOptions = new NamespaceOption { Network = NamespaceMode.Pod, Pid = NamespaceMode.Pod, Ipc = NamespaceMode.Pod },
                },
            },
        };
        config.Labels.Add("io.kubernetes.pod.name", name);
        config.Labels.Add("io.kubernetes.pod.namespace", "default");
        config.Labels.Add("io.kubernetes.pod.uid", uid);
        if (portMappings is not null)
        {
            config.PortMappings.AddRange(portMappings);
        }
        if (ingressBandwidth is not null)
        {
            config.Annotations.Add("kubernetes.io/ingress-bandwidth", ingressBandwidth);
        }
        if (egressBandwidth is not null)
        {
            config.Annotations.Add("kubernetes.io/egress-bandwidth", egressBandwidth);
        }

        string id;
        try
        {
            id = Cri.RunPodSandbox(config);
        }
        catch (Grpc.Core.RpcException e)
        {
            throw new Xunit.Sdk.XunitException($"RunPodSandbox {name} failed: {e.Status.Detail}");
        }
        _sandboxes.Add(id);
        return Status(id, name);
    }

    /// <summary>PodSandboxStatus (verbose): state, address, the pause process and the netns path containerd made.</summary>
    public CriPod Status(string id, string name)
    {
        PodSandboxStatusResponse status = Cri.PodSandboxStatus(id);
        Assert.Equal(PodSandboxState.SandboxReady, status.Status.State);
        using JsonDocument info = JsonDocument.Parse(status.Info["info"]);
        int pid = info.RootElement.GetProperty("pid").GetInt32();
        string netns = info.RootElement.GetProperty("runtimeSpec").GetProperty("linux").GetProperty("namespaces").EnumerateArray()
            .First(n => n.GetProperty("type").GetString() == "network").GetProperty("path").GetString()!;
        return new CriPod(id, name, status.Status.Network.Ip, pid, netns);
    }

    /// <summary>StopPodSandbox twice (the kubelet repeats it; the second call must succeed too), then RemovePodSandbox.</summary>
    public void StopAndRemove(CriPod pod)
    {
        Cri.StopPodSandbox(pod.Id);
        Cri.StopPodSandbox(pod.Id);
        Cri.RemovePodSandbox(pod.Id);
        _sandboxes.Remove(pod.Id);
    }

    public void Dispose()
    {
        try
        {
            if (_client is not null)
            {
                foreach (string id in _sandboxes.Concat(ListSandboxIds()).Distinct().ToArray())
                {
                    try
                    {
                        _client.StopPodSandbox(id);
                        _client.RemovePodSandbox(id);
                    }
                    catch (Grpc.Core.RpcException)
                    {
                        // Best effort: whatever stays is killed below.
                    }
                }
            }
            Stop();
        }
        finally
        {
            KillLeftovers();
            RemoveCgroups();
            Client?.Dispose();
            Node?.Dispose();
            try
            {
                Directory.Delete(Root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private string[] ListSandboxIds()
    {
        try
        {
            return _client!.ListPodSandbox().Select(p => p.Id).ToArray();
        }
        catch (Grpc.Core.RpcException)
        {
            return [];
        }
    }

    // Shims outlive containerd by design and their pods outlive a killed shim; after a failure, end every process
    // of the private mount namespace (containerd, shims) with its descendants (the pause processes), then the holder.
    private void KillLeftovers()
    {
        if (_holder is null)
        {
            return;
        }
        string? mountNs = NamespaceOf(_holder.Id, "mnt");
        var parents = new Dictionary<int, int>();
        var roots = new List<int>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                continue;
            }
            try
            {
                string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                parents[pid] = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                continue;
            }
            if (pid != _holder.Id && mountNs is not null && NamespaceOf(pid, "mnt") == mountNs)
            {
                roots.Add(pid);
            }
        }
        var doomed = new HashSet<int>(roots);
        for (bool grew = true; grew;)
        {
            grew = false;
            foreach (var (pid, parent) in parents)
            {
                if (doomed.Contains(parent) && doomed.Add(pid))
                {
                    grew = true;
                }
            }
        }
        foreach (int pid in doomed)
        {
            Shell.Run("kill", ["-KILL", pid.ToString(CultureInfo.InvariantCulture)]);
        }
        if (!_holder.HasExited)
        {
            _holder.Kill();
        }
        _holder.WaitForExit();
        _holder.Dispose();
        _holder = null;
        // Wait until the killed processes are gone, so that their cgroups can be removed.
        for (int i = 0; i < 50 && doomed.Any(p => Directory.Exists("/proc/" + p.ToString(CultureInfo.InvariantCulture))); i++)
        {
            Thread.Sleep(100);
        }
    }

    private static string? NamespaceOf(int pid, string kind)
    {
        try
        {
            return new FileInfo($"/proc/{pid}/ns/{kind}").ResolveLinkTarget(false)?.Name;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    // runc makes the pods' cgroups under CgroupParent in every hierarchy; it removes the pod's own, not the parent.
    private void RemoveCgroups()
    {
        foreach (string hierarchy in Directory.EnumerateDirectories("/sys/fs/cgroup").Append("/sys/fs/cgroup"))
        {
            string parent = hierarchy + CgroupParent;
            if (!Directory.Exists(parent))
            {
                continue;
            }
            foreach (string child in Directory.EnumerateDirectories(parent, "*", SearchOption.AllDirectories).OrderByDescending(d => d.Length))
            {
                TryRmdir(child);
            }
            TryRmdir(parent);
        }
    }

    private static void TryRmdir(string path)
    {
        try
        {
            Directory.Delete(path, recursive: false);
        }
        catch (IOException)
        {
        }
    }
}
