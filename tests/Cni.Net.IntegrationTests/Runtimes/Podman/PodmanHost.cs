using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.IntegrationTests.Netfilter;
using Cni.Net.TrafficControl;
using Cni.Net.Conventions;

namespace Cni.Net.IntegrationTests.Runtimes.Podman;

/// <summary>
/// A node running Debian's podman 4.3 as root with the CNI network backend, as a test's fixture. The node is this
/// test process's own network namespace (eng/test.sh runs the suite under <c>unshare --net</c>); a client namespace
/// hangs off it on a veth that carries the node address. Everything else podman keeps is private:
/// <list type="bullet">
/// <item>storage (<c>--root</c>, <c>--runroot</c>, vfs driver), libpod's tmp dir, the CNI config dir, the plugin dirs
/// and the engine settings (cgroupfs, runc, cni backend, no events) come from a containers.conf of its own
/// (<c>CONTAINERS_CONF</c>) and a temp dir;</item>
/// <item>podman runs in a mount namespace of its own (<c>nsenter</c> into a holder process made with
/// <c>unshare --mount</c>) with fresh tmpfs on <c>/run</c> and <c>/var/lib</c>: its netns bind mounts
/// (<c>/run/netns/netns-…</c>), runc's state (<c>/run/runc</c>), libcni's cache (<c>/var/lib/cni/results</c>) and
/// host-local's default store (<c>/var/lib/cni/networks</c>) — none of which podman 4.3 lets one move — never reach
/// the machine, and the tests read them through <c>/proc/&lt;holder&gt;/root</c>;</item>
/// <item>containers go into a cgroup parent of their own, so their processes and conmon's are found (and, on
/// failure, killed) by cgroup.</item>
/// </list>
/// Dispose removes every container and network through podman, then whatever a failure left: processes in the cgroup
/// parent, the mount namespace, the cgroups, links, iptables rules and the temp dir.
/// </summary>
internal sealed class PodmanHost : IDisposable
{
    public const string ReferencePlugins = "/usr/lib/cni";
    public const string NodeAddress = "192.0.2.1";
    public const string ClientAddress = "192.0.2.2";

    private static int s_counter;

    private readonly Process _mountHolder;
    private readonly string _mountNamespace;
    private readonly HashSet<string> _vethsBefore;
    private readonly TestNamespace _client;
    private readonly List<string> _networks = [];
    private readonly List<string> _bridges = [];

    /// <param name="pluginDirectories">containers.conf <c>cni_plugin_dirs</c>, searched in order.</param>
    public PodmanHost(params string[] pluginDirectories)
    {
        Require.NotInRootNamespace();
        int index = Interlocked.Increment(ref s_counter);
        Tag = string.Create(CultureInfo.InvariantCulture, $"cntpm{Environment.ProcessId % 1000}x{index}");
        Subnet = string.Create(CultureInfo.InvariantCulture, $"10.91.{index % 250}.0/24");
        CgroupParent = "/" + Tag;
        Root = Directory.CreateTempSubdirectory("cnt-podman-").FullName;
        foreach (string dir in new[] { StorageRoot, RunRoot, LibpodTmp, ConfigDirectory, GoTmp })
        {
            Directory.CreateDirectory(dir);
        }
        File.WriteAllText(ContainersConf, ContainersConfText(pluginDirectories));

        _vethsBefore = VethNames();
        try
        {
            _mountHolder = StartMountHolder();
        }
        catch
        {
            Directory.Delete(Root, recursive: true);
            throw;
        }
        _mountNamespace = new FileInfo($"/proc/{_mountHolder.Id}/ns/mnt").ResolveLinkTarget(false)!.Name;
        _client = new TestNamespace("pmcl");
        try
        {
            Shell.Check("ip", "link", "add", NodeLink, "type", "veth", "peer", "name", "uplink", "netns", _client.Name);
            Shell.Check("ip", "addr", "add", NodeAddress + "/24", "dev", NodeLink);
            Shell.Check("ip", "link", "set", NodeLink, "up");
            _client.ExecCheck("ip", "addr", "add", ClientAddress + "/24", "dev", "uplink");
            _client.ExecCheck("ip", "link", "set", "uplink", "up");

            // podman must have taken the engine settings from our containers.conf and nothing else.
            JsonElement host = JsonDocument.Parse(PodmanCheck("info", "--format", "json")).RootElement.GetProperty("host");
            Assert.Equal("cni", host.GetProperty("networkBackend").GetString());
            Assert.Equal("cgroupfs", host.GetProperty("cgroupManager").GetString());
            Assert.Equal("runc", host.GetProperty("ociRuntime").GetProperty("name").GetString());
        }
        catch
        {
            try
            {
                Dispose();
            }
            catch (InvalidOperationException)
            {
                // What the failed start left is less interesting than why it failed.
            }
            throw;
        }
    }

    /// <summary>A name of this fixture's own: network and bridge of a test-written conflist, cgroup parent.</summary>
    public string Tag { get; }

    /// <summary>This fixture's pod subnet.</summary>
    public string Subnet { get; }

    public string Root { get; }

    public string StorageRoot => Path.Combine(Root, "storage");

    public string RunRoot => Path.Combine(Root, "run");

    public string ConfigDirectory => Path.Combine(Root, "net.d");

    public string ContainersConf => Path.Combine(Root, "containers.conf");

    public string CgroupParent { get; }

    /// <summary>The client namespace: a machine next to the node, reaching it at <see cref="NodeAddress"/>.</summary>
    public TestNamespace Client => _client;

    /// <summary>The holder of podman's mount namespace (gone after Dispose).</summary>
    public int MountNamespaceHolder => _mountHolder.Id;

    /// <summary>Every cgroup directory of this fixture's parent, deepest first, in every mounted hierarchy.</summary>
    public IReadOnlyList<string> Cgroups => CgroupDirectories();

    private string LibpodTmp => Path.Combine(Root, "libpod-tmp");

    private string GoTmp => Path.Combine(Root, "tmp");

    private string NodeLink => Tag + "n";

    /// <summary>A path as podman sees it (in its mount namespace), readable from this process.</summary>
    public string Private(string absolutePath) => $"/proc/{_mountHolder.Id}/root{absolutePath}";

    /// <summary>Runs <c>podman</c> in its mount namespace with this node's storage and containers.conf.</summary>
    public Shell.Output Podman(IEnumerable<string> args, TimeSpan? timeout = null) =>
        Shell.Run("nsenter",
            [$"--mount=/proc/{_mountHolder.Id}/ns/mnt", "--", "podman",
             "--root", StorageRoot, "--runroot", RunRoot, "--storage-driver", "vfs", .. args],
            env: new Dictionary<string, string> { ["CONTAINERS_CONF"] = ContainersConf, ["TMPDIR"] = GoTmp },
            timeout: timeout ?? TimeSpan.FromSeconds(90));

    /// <summary>Runs <c>podman</c> and requires success; returns stdout.</summary>
    public string PodmanCheck(params string[] args)
    {
        Shell.Output r = Podman(args);
        Assert.True(r.ExitCode == 0, $"podman {string.Join(' ', args)} failed ({r.ExitCode}): {r.StdErr}{r.StdOut}");
        return r.StdOut;
    }

    /// <summary>Puts a conflist of the test's own into podman's CNI config dir.</summary>
    public void AddConflist(string network, string bridge, string json)
    {
        _networks.Add(network);
        _bridges.Add(bridge);
        File.WriteAllText(Path.Combine(ConfigDirectory, network + ".conflist"), json);
    }

    /// <summary><c>podman network create</c>: the conflist podman itself writes; returns its JSON.</summary>
    public JsonElement CreateNetwork(string network)
    {
        _networks.Add(network);
        PodmanCheck("network", "create", "--subnet", Subnet, network);
        JsonElement conflist = JsonDocument.Parse(File.ReadAllText(Path.Combine(ConfigDirectory, network + ".conflist"))).RootElement.Clone();
        _bridges.Add(conflist.GetProperty("plugins")[0].GetProperty("bridge").GetString()!);
        return conflist;
    }

    /// <summary>
    /// <c>podman run -d</c> of busybox <paramref name="command"/> on <paramref name="network"/>, with
    /// <c>-p <paramref name="publish"/></c> when given; its rootfs serves <see cref="Page"/> from /www.
    /// </summary>
    public PodmanContainer Run(string name, string network, string? publish, params string[] command)
    {
        string rootfs = Path.Combine(Root, "rootfs-" + name);
        BusyboxRootfs.Create(rootfs, Page(name));
        // podman asks runc for RLIMIT_NOFILE and RLIMIT_NPROC of 1048576 by default; this machine's root lacks
        // CAP_SYS_RESOURCE (hard nofile 20000, and podman lowers its own nproc to 32768), so runc gets EPERM setting
        // them. Any value at or below the caller's hard limits works.
        var args = new List<string>
        {
            "run", "-d", "--name", name, "--network", network, "--cgroup-parent", CgroupParent,
            "--ulimit", "nofile=4096:4096", "--ulimit", "nproc=4096:4096",
        };
        if (publish is not null)
        {
            args.AddRange(["-p", publish]);
        }
        args.AddRange(["--rootfs", rootfs]);
        args.AddRange(command);
        PodmanCheck([.. args]);
        return Inspect(name, network);
    }

    /// <summary>busybox httpd on port 80 of a container, serving <see cref="Page"/>.</summary>
    public PodmanContainer RunWebServer(string name, string network, string? publish)
    {
        PodmanContainer c = Run(name, network, publish, "httpd", "-f", "-p", "80", "-h", "/www");
        WaitListening(c, 80);
        return c;
    }

    public static string Page(string name) => "hello from " + name + "\n";

    public PodmanContainer Inspect(string name, string network)
    {
        JsonElement c = JsonDocument.Parse(PodmanCheck("container", "inspect", name)).RootElement[0];
        JsonElement state = c.GetProperty("State");
        JsonElement settings = c.GetProperty("NetworkSettings");
        int pid = state.GetProperty("Pid").GetInt32();
        // The node end of eth0: the interface whose index is eth0's peer index (link_index), in the node namespace.
        JsonElement eth0 = Shell.Json("nsenter", $"--net=/proc/{pid}/ns/net", "ip", "-j", "link", "show", "eth0")[0];
        int peer = eth0.GetProperty("link_index").GetInt32();
        string hostVeth = Shell.Json("ip", "-j", "link", "show").EnumerateArray()
            .Single(l => l.GetProperty("ifindex").GetInt32() == peer).GetProperty("ifname").GetString()!;
        return new PodmanContainer(name, c.GetProperty("Id").GetString()!, network,
            IPAddress.Parse(settings.GetProperty("Networks").GetProperty(network).GetProperty("IPAddress").GetString()!),
            pid, state.GetProperty("ConmonPid").GetInt32(), settings.GetProperty("SandboxKey").GetString()!, hostVeth);
    }

    /// <summary>Waits until something listens on TCP <paramref name="port"/> in the container.</summary>
    public static void WaitListening(PodmanContainer c, int port)
    {
        var deadline = Stopwatch.StartNew();
        while (Shell.Check("nsenter", $"--net={c.NetnsPath}", "ss", "-Hltn", $"sport = :{port}").Trim().Length == 0)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(10), $"nothing listens on port {port} in {c.Name}");
            Thread.Sleep(50);
        }
    }

    /// <summary><c>curl http://address:port/</c> from the node (this namespace) or from <paramref name="from"/>.</summary>
    public static Shell.Output Http(string address, int port, TestNamespace? from = null)
    {
        string[] curl = ["curl", "-sS", "-m", "5", $"http://{address}:{port.ToString(CultureInfo.InvariantCulture)}/"];
        return from is null ? Shell.Run(curl[0], curl[1..]) : from.Exec(curl);
    }

    /// <summary>
    /// <c>podman rm -f</c>, then checks that nothing of the container is left: podman's record and storage, its
    /// processes, its veth and ifb, its netns mount, its host-local reservation, its libcni cache entry, and any
    /// iptables/nftables object that names its id or address.
    /// </summary>
    public void RemoveAndAssertLeftNothing(PodmanContainer c)
    {
        PodmanCheck("rm", "-f", "-t", "0", c.Name);

        Assert.DoesNotContain(c.Id, PodmanCheck("ps", "-a", "--no-trunc", "--format", "{{.ID}}"), StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(StorageRoot, "vfs-containers", c.Id)), "the container's storage is left");
        WaitExited(c.Pid, c.Name);
        WaitExited(c.ConmonPid, c.Name + "'s conmon");

        Assert.False(LinkExists(c.HostVeth), $"{c.HostVeth} is left");
        string ifb = IfbNames.ForContainer(c.Network, c.Id);
        Assert.False(LinkExists(ifb), $"the ifb {ifb} is left");

        Assert.False(File.Exists(Private(c.SandboxKey)), $"the netns mount {c.SandboxKey} is left");

        string store = Private("/var/lib/cni/networks/" + c.Network);
        if (Directory.Exists(store))
        {
            foreach (string file in Directory.GetFiles(store))
            {
                Assert.NotEqual(c.Address.ToString(), Path.GetFileName(file));
                Assert.DoesNotContain(c.Id, File.ReadAllText(file), StringComparison.Ordinal);
            }
        }
        string cache = Private("/var/lib/cni/results");
        if (Directory.Exists(cache))
        {
            Assert.DoesNotContain(Directory.GetFiles(cache), f => f.Contains(c.Id, StringComparison.Ordinal));
        }

        var address = new Regex(@"\b" + Regex.Escape(c.Address.ToString()) + @"\b");
        foreach ((string what, string text) in new[]
        {
            ("nft list ruleset", Shell.Check("nft", "list", "ruleset")),
            ("iptables-save", Shell.Check("iptables-save")),
        })
        {
            Assert.False(text.Contains(c.Id, StringComparison.Ordinal), $"{what} still names {c.Id}:\n{text}");
            Assert.False(address.IsMatch(text), $"{what} still names {c.Address}:\n{text}");
        }
    }

    public static bool LinkExists(string name) => Shell.Run("ip", ["link", "show", "dev", name]).ExitCode == 0;

    /// <summary>Waits until a process has exited (gone, or a zombie waiting for init to reap it).</summary>
    private static void WaitExited(int pid, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (IsRunning(pid))
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(10), $"{what} (pid {pid}) still runs");
            Thread.Sleep(50);
        }
    }

    /// <summary>Whether a process runs (exists and is not a zombie waiting for init to reap it).</summary>
    public static bool IsRunning(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            // "pid (comm) S …": the state follows the last ')'.
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    private string ContainersConfText(string[] pluginDirectories)
    {
        static string Quote(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
        return $"""
            [engine]
            cgroup_manager = "cgroupfs"
            runtime = "runc"
            events_logger = "none"
            tmp_dir = {Quote(LibpodTmp)}

            [network]
            network_backend = "cni"
            network_config_dir = {Quote(ConfigDirectory)}
            cni_plugin_dirs = [{string.Join(", ", pluginDirectories.Select(Quote))}]

            """;
    }

    /// <summary>
    /// A process in a new mount namespace (propagation private) that mounts fresh tmpfs on /run and /var/lib there
    /// and then sleeps; ready once it runs <c>sleep</c>, so the mounts are in place before podman enters.
    /// </summary>
    private static Process StartMountHolder()
    {
        var psi = new ProcessStartInfo("unshare")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (string a in new[]
        {
            "--mount", "--propagation", "private", "--", "sh", "-c",
            "mount -t tmpfs -o mode=0755 cnt-podman-run /run && mount -t tmpfs -o mode=0755 cnt-podman-lib /var/lib && exec sleep infinity",
        })
        {
            psi.ArgumentList.Add(a);
        }
        var holder = Process.Start(psi)!;
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (holder.HasExited)
            {
                throw new InvalidOperationException($"the mount namespace for podman failed: {holder.StandardError.ReadToEnd()}");
            }
            string comm = "";
            try
            {
                comm = File.ReadAllText($"/proc/{holder.Id}/comm").Trim();
            }
            catch (IOException)
            {
                // Between fork and exec.
            }
            if (comm == "sleep")
            {
                return holder;
            }
            if (deadline.Elapsed > TimeSpan.FromSeconds(10))
            {
                holder.Kill();
                throw new TimeoutException("the mount namespace for podman was not ready in 10 s");
            }
            Thread.Sleep(10);
        }
    }

    /// <summary>
    /// Removes everything, then fails (<see cref="InvalidOperationException"/>) when something had to be removed by
    /// force or could not be removed: a leak is a test failure, also of a test that passed.
    /// </summary>
    public void Dispose()
    {
        var left = new List<string>();
        // Each step runs even when one before it failed: a hung podman must not keep the rest from being removed.
        if (!_mountHolder.HasExited)
        {
            BestEffort(left, "podman rm -a", () => PodmanCheck("rm", "-a", "-f", "-t", "0"));
            foreach (string network in _networks)
            {
                BestEffort(left, "podman network rm " + network, () => PodmanCheck("network", "rm", "-f", network));
            }
            // With every container removed, the plugins' DELs must have taken their state with them.
            left.AddRange(Entries("/run/netns", _ => true).Select(e => "netns mount " + e));
            left.AddRange(Entries("/var/lib/cni/results", _ => true).Select(e => "libcni cache entry " + e));
            left.AddRange(Entries("/var/lib/cni/networks/*", f => f != "lock" && !f.StartsWith("last_reserved_ip.", StringComparison.Ordinal))
                .Select(e => "host-local reservation " + e));
        }
        left.AddRange(VethNames().Where(n => n != NodeLink && !_vethsBefore.Contains(n)).Select(n => "veth " + n));
        BestEffort(left, "killing what is left in the cgroup parent", () => left.AddRange(KillCgroupProcesses().Select(p => "process " + p)));
        BestEffort(left, "stopping the mount namespace", () =>
        {
            if (!_mountHolder.HasExited)
            {
                _mountHolder.Kill();
            }
            _mountHolder.WaitForExit();
            var deadline = Stopwatch.StartNew();
            List<int> inside;
            while ((inside = ProcessesInMountNamespace()).Count > 0 && deadline.Elapsed < TimeSpan.FromSeconds(10))
            {
                Thread.Sleep(100);
            }
            left.AddRange(inside.Select(p => $"process {p} in podman's mount namespace: {CommandLine(p)}"));
        });
        _mountHolder.Dispose();
        BestEffort(left, "removing the cgroups", () => left.AddRange(RemoveCgroups().Select(d => "cgroup " + d)));
        foreach (string link in _bridges.Append(NodeLink))
        {
            Shell.Run("ip", ["link", "del", link]);
        }
        _client.Dispose();
        NetfilterTestSupport.ResetTables();
        BestEffort(left, "deleting " + Root, () => Directory.Delete(Root, recursive: true));
        if (left.Count > 0)
        {
            throw new InvalidOperationException("the podman test left behind: " + string.Join("; ", left));
        }
    }

    private static HashSet<string> VethNames() =>
        Shell.Json("ip", "-j", "link", "show", "type", "veth").EnumerateArray().Select(l => l.GetProperty("ifname").GetString()!).ToHashSet();

    private static void BestEffort(List<string> left, string step, Action action)
    {
        try
        {
            action();
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException or IOException or Xunit.Sdk.XunitException)
        {
            left.Add($"{step} failed: {e.Message}");
        }
    }

    /// <summary>Entries of directories (a trailing <c>/*</c>: of each subdirectory) in podman's mount namespace.</summary>
    private List<string> Entries(string path, Func<string, bool> include)
    {
        IEnumerable<string> dirs = path.EndsWith("/*", StringComparison.Ordinal)
            ? (Directory.Exists(Private(path[..^2])) ? Directory.GetDirectories(Private(path[..^2])) : [])
            : [Private(path)];
        return dirs.Where(Directory.Exists).SelectMany(Directory.GetFileSystemEntries)
            .Where(e => include(Path.GetFileName(e))).Select(e => e[Private("").Length..]).ToList();
    }

    private List<string> CgroupDirectories()
    {
        var tops = new List<string>();
        string v2 = "/sys/fs/cgroup" + CgroupParent;
        if (Directory.Exists(v2))
        {
            tops.Add(v2);
        }
        tops.AddRange(Directory.GetDirectories("/sys/fs/cgroup").Select(h => h + CgroupParent).Where(Directory.Exists));
        return tops.SelectMany(t => Directory.GetDirectories(t, "*", SearchOption.AllDirectories).Append(t))
            .Distinct().OrderByDescending(d => d.Count(ch => ch == '/')).ToList();
    }

    private int[] CgroupProcesses() => CgroupDirectories().SelectMany(d =>
        {
            string procs = Path.Combine(d, "cgroup.procs");
            return File.Exists(procs) ? File.ReadAllLines(procs) : [];
        }).Where(l => l.Length > 0).Select(l => int.Parse(l, CultureInfo.InvariantCulture)).Distinct().ToArray();

    /// <summary>
    /// Gives the processes in the cgroup parent (containers, conmon, podman's exit-time cleanup) 10 s to end, then
    /// kills them; returns those it had to kill.
    /// </summary>
    private List<int> KillCgroupProcesses()
    {
        var deadline = Stopwatch.StartNew();
        var killed = new List<int>();
        int[] pids;
        while ((pids = CgroupProcesses()).Length > 0 && deadline.Elapsed < TimeSpan.FromSeconds(20))
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(10))
            {
                foreach (int pid in pids.Except(killed))
                {
                    Shell.Run("kill", ["-KILL", pid.ToString(CultureInfo.InvariantCulture)]);
                    killed.Add(pid);
                }
            }
            Thread.Sleep(100);
        }
        return killed;
    }

    private static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
        }
        catch (IOException)
        {
            return "(ended)";
        }
    }

    /// <summary>Processes still in podman's mount namespace (which keeps its netns mounts alive).</summary>
    private List<int> ProcessesInMountNamespace()
    {
        var found = new List<int>();
        foreach (string dir in Directory.GetDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                try
                {
                    if (new FileInfo(dir + "/ns/mnt").ResolveLinkTarget(false)?.Name == _mountNamespace)
                    {
                        found.Add(pid);
                    }
                }
                catch (IOException)
                {
                    // Ended meanwhile.
                }
                catch (UnauthorizedAccessException)
                {
                    // Not ours to look at.
                }
            }
        }
        return found;
    }

    /// <summary>Removes the cgroup directories, deepest first; returns those that could not be removed.</summary>
    private List<string> RemoveCgroups()
    {
        var busy = new List<string>();
        foreach (string dir in CgroupDirectories())
        {
            try
            {
                Directory.Delete(dir, recursive: false);
            }
            catch (IOException)
            {
                busy.Add(dir);
            }
        }
        return busy;
    }
}
