using System.Diagnostics;
using System.Globalization;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.IntegrationTests.Plugins.Bridge;

namespace Cni.Net.IntegrationTests.Plugins.Dhcp;

/// <summary>
/// A DHCP server in a throwaway namespace and our dhcp daemon: busybox udhcpd on the far end of a veth whose near end
/// (in the test's node namespace) is the macvlan parent. Dispose stops the daemon and udhcpd and deletes the link,
/// the server's namespace and the temporary directory, also when the test failed.
/// </summary>
internal sealed class DhcpTestNetwork : IDisposable
{
    private static int s_counter;
    private readonly TestNamespace _server;
    private readonly DirectoryInfo _directory;
    private Process? _udhcpd;
    private Process? _daemon;
    private readonly System.Text.StringBuilder _daemonLog = new();

    public DhcpTestNetwork(int leaseSeconds = 3600, string extraServerOptions = "")
    {
        Require.NotInRootNamespace();
        Parent = $"dhp{Environment.ProcessId % 10000}x{Interlocked.Increment(ref s_counter)}";
        _directory = Directory.CreateTempSubdirectory("cni-dhcp-test-");
        _server = new TestNamespace("dhsrv");
        try
        {
            Shell.Check("ip", "link", "add", Parent, "type", "veth", "peer", "name", "dhs0", "netns", _server.Name);
            Shell.Check("ip", "link", "set", Parent, "up");
            Shell.Check("ip", "-n", _server.Name, "addr", "add", "10.78.0.1/24", "dev", "dhs0");
            Shell.Check("ip", "-n", _server.Name, "link", "set", "dhs0", "up");
            File.WriteAllText(LeaseFile, "");
            File.WriteAllText(Path.Combine(_directory.FullName, "udhcpd.conf"), $"""
                start 10.78.0.100
                end 10.78.0.150
                interface dhs0
                lease_file {LeaseFile}
                pidfile {Path.Combine(_directory.FullName, "udhcpd.pid")}
                opt subnet 255.255.255.0
                opt router 10.78.0.1
                opt dns 10.78.0.53
                opt domain dhcp.test
                opt lease {leaseSeconds}
                {extraServerOptions}
                """);
            // -a 100: the ARP probe of an offered address waits 100 ms, not 2 s.
            _udhcpd = Start("ip", ["netns", "exec", _server.Name, "busybox", "udhcpd", "-f", "-a", "100", Path.Combine(_directory.FullName, "udhcpd.conf")], null);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The macvlan parent in the node namespace.</summary>
    public string Parent { get; }

    /// <summary>The running daemon's process id.</summary>
    public int DaemonPid => _daemon?.Id ?? throw new InvalidOperationException("no daemon");

    public string SocketPath => Path.Combine(_directory.FullName, "dhcp.sock");

    public string PidFile => Path.Combine(_directory.FullName, "dhcp.pid");

    public string LeaseFile => Path.Combine(_directory.FullName, "udhcpd.leases");

    public string DaemonLog
    {
        get
        {
            lock (_daemonLog)
            {
                return _daemonLog.ToString();
            }
        }
    }

    /// <summary>Starts <c>dhcp daemon</c> on this network's socket and waits until it listens.</summary>
    public void StartDaemon(params string[] flags) => StartDaemonListeningOn(SocketPath, flags);

    /// <summary>Starts the daemon and waits for <paramref name="listensOn"/> (where -hostprefix puts the socket).</summary>
    public void StartDaemonListeningOn(string listensOn, params string[] flags)
    {
        _daemon = Start(PluginTestNode.Ours("dhcp"), ["daemon", "-socketpath", SocketPath, "-pidfile", PidFile, .. flags], _daemonLog);
        var clock = Stopwatch.StartNew();
        while (!File.Exists(listensOn))
        {
            if (_daemon.HasExited || clock.Elapsed > TimeSpan.FromSeconds(10))
            {
                throw new InvalidOperationException($"dhcp daemon did not listen on {listensOn}: {DaemonLog}");
            }
            Thread.Sleep(20);
        }
    }

    /// <summary>Stops the daemon with SIGTERM and returns its exit code.</summary>
    public int StopDaemon()
    {
        Process daemon = _daemon ?? throw new InvalidOperationException("no daemon");
        Shell.Check("kill", "-TERM", daemon.Id.ToString(CultureInfo.InvariantCulture));
        if (!daemon.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            daemon.Kill();
            daemon.WaitForExit();
        }
        _daemon = null;
        int code = daemon.ExitCode;
        daemon.Dispose();
        return code;
    }

    /// <summary>udhcpd's leases (it writes the file on SIGUSR1): MAC → (address, seconds left; 0 = expired or released).</summary>
    public Dictionary<string, (string Address, long SecondsLeft)> Leases()
    {
        long before = new FileInfo(LeaseFile).LastWriteTimeUtc.Ticks;
        Shell.Check("kill", "-USR1", _udhcpd!.Id.ToString(CultureInfo.InvariantCulture));
        var clock = Stopwatch.StartNew();
        while (new FileInfo(LeaseFile).LastWriteTimeUtc.Ticks == before && clock.Elapsed < TimeSpan.FromSeconds(2))
        {
            Thread.Sleep(20);
        }
        Thread.Sleep(50);
        var leases = new Dictionary<string, (string, long)>(StringComparer.OrdinalIgnoreCase);
        // "Mac Address       IP Address      Host Name           Expires in": -r -d gives seconds left ("expired" at 0).
        foreach (string line in Shell.Check("busybox", "dumpleases", "-r", "-d", "-f", LeaseFile).Split('\n').Skip(1))
        {
            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length >= 3)
            {
                leases[f[0]] = (f[1], long.TryParse(f[^1], CultureInfo.InvariantCulture, out long s) ? s : 0);
            }
        }
        return leases;
    }

    private static Process Start(string file, string[] args, System.Text.StringBuilder? log)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        var p = new Process { StartInfo = psi };
        void Append(object? sender, DataReceivedEventArgs e)
        {
            if (log is not null && e.Data is not null)
            {
                lock (log)
                {
                    log.AppendLine(e.Data);
                }
            }
        }
        p.OutputDataReceived += Append;
        p.ErrorDataReceived += Append;
        p.Start();
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        return p;
    }

    private static void Stop(Process? p)
    {
        if (p is null)
        {
            return;
        }
        try
        {
            if (!p.HasExited)
            {
                p.Kill();
                p.WaitForExit(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
        p.Dispose();
    }

    public void Dispose()
    {
        Stop(_daemon);
        Stop(_udhcpd);
        Shell.Run("ip", ["link", "del", Parent]);
        _server.Dispose();
        _directory.Delete(recursive: true);
    }
}
