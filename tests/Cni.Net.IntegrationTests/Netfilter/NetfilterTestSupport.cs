using System.Diagnostics;
using Cni.Net.IntegrationTests.Infrastructure;

namespace Cni.Net.IntegrationTests.Netfilter;

/// <summary>Helpers for the netfilter tests, which run in the test process's private namespace (the "node").</summary>
internal static class NetfilterTestSupport
{
    private static readonly string[] s_tables = ["filter", "nat", "mangle", "raw"];

    /// <summary>
    /// Puts every iptables-nft table of this (private) namespace back to empty: rules flushed, user chains
    /// deleted, policies ACCEPT. Called in finally blocks so that no test leaves rules behind.
    /// </summary>
    public static void ResetTables()
    {
        foreach (string tool in new[] { "iptables-nft", "ip6tables-nft" })
        {
            foreach (string table in s_tables)
            {
                Shell.Run(tool, ["-t", table, "-F"]);
                Shell.Run(tool, ["-t", table, "-X"]);
            }
            foreach (string chain in new[] { "INPUT", "FORWARD", "OUTPUT" })
            {
                Shell.Run(tool, ["-t", "filter", "-P", chain, "ACCEPT"]);
            }
        }
    }

    /// <summary><c>iptables-nft-save -t table</c> without its timestamp comment lines.</summary>
    public static string Save(string table, bool v6 = false) =>
        string.Concat(Shell.Check(v6 ? "ip6tables-nft-save" : "iptables-nft-save", "-t", table)
            .Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l + "\n"));

    // Accepts connections forever and answers each with the address it came from.
    private const string ServerScript =
        "import socket,sys\n" +
        "s=socket.socket(socket.AF_INET,socket.SOCK_STREAM)\n" +
        "s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n" +
        "s.bind(('0.0.0.0',int(sys.argv[1])))\n" +
        "s.listen(16)\n" +
        "print('ready',flush=True)\n" +
        "while True:\n" +
        "    c,a=s.accept()\n" +
        "    c.sendall(('peer='+a[0]+'\\n').encode())\n" +
        "    c.close()\n";

    private const string ClientScript =
        "import socket,sys\n" +
        "s=socket.create_connection((sys.argv[1],int(sys.argv[2])),timeout=float(sys.argv[3]))\n" +
        "s.settimeout(float(sys.argv[3]))\n" +
        "print(s.recv(100).decode().strip())\n";

    /// <summary>A TCP server in a namespace that tells each client its source address.</summary>
    public sealed class PeerEchoServer : IDisposable
    {
        private readonly Process _process;

        public PeerEchoServer(TestNamespace ns, int port)
            : this(["ip", "netns", "exec", ns.Name], port)
        {
        }

        /// <summary>Starts the server through a command prefix that enters a namespace (e.g. <c>nsenter --net=…</c>).</summary>
        public PeerEchoServer(string[] enter, int port)
        {
            var psi = new ProcessStartInfo(enter[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (string a in enter[1..].Concat(["python3", "-c", ServerScript, port.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                psi.ArgumentList.Add(a);
            }
            _process = Process.Start(psi)!;
            string? line = _process.StandardOutput.ReadLine();
            if (line != "ready")
            {
                _process.Kill(entireProcessTree: true);
                throw new InvalidOperationException("echo server did not start: " + _process.StandardError.ReadToEnd());
            }
        }

        public void Dispose()
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
            _process.Dispose();
        }
    }

    /// <summary>
    /// Connects from a namespace (null: the test's own, the "node"); returns the server's "peer=..." line, or null when
    /// no connection was made.
    /// </summary>
    public static string? Connect(TestNamespace? from, string address, int port, double timeoutSeconds = 3) =>
        ConnectThrough(from is null ? [] : ["ip", "netns", "exec", from.Name], address, port, timeoutSeconds);

    /// <summary>Connects through a command prefix that enters a namespace (e.g. <c>nsenter --net=…</c>); as <see cref="Connect"/>.</summary>
    public static string? ConnectThrough(string[] enter, string address, int port, double timeoutSeconds = 3)
    {
        string[] args = [.. enter, "python3", "-c", ClientScript, address, port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            timeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)];
        Shell.Output r = Shell.Run(args[0], args[1..]);
        return r.ExitCode == 0 ? r.StdOut.Trim() : null;
    }
}
