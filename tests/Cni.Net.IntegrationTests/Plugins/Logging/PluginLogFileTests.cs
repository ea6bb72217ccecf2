using System.Text.Json;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.IntegrationTests.Ipam;
using Cni.Net.IntegrationTests.Plugins.Bridge;

namespace Cni.Net.IntegrationTests.Plugins.Logging;

/// <summary>
/// The published NativeAOT host-local (artifacts/cni/bin/host-local) run as a runtime runs it, with and without the
/// node operator's log settings: the log line lands in the file, stdout stays exactly the CNI answer, and with
/// logging off no file appears.
/// </summary>
public sealed class PluginLogFileTests : IDisposable
{
    private static readonly string s_plugin = Path.Combine(RepositoryRoot(), "artifacts", "cni", "bin", "host-local");
    private readonly string _work = Directory.CreateTempSubdirectory("cni-net-pluginlog-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private static string RepositoryRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "Cni.Net.sln")))
            {
                return dir;
            }
        }
        throw new InvalidOperationException("Cni.Net.sln not found above " + AppContext.BaseDirectory);
    }

    private string Config(string store, string extra = "")
    {
        string dataDir = Path.Combine(_work, store);
        Directory.CreateDirectory(dataDir);
        return "{\"cniVersion\":\"1.0.0\",\"name\":\"lognet\",\"type\":\"bridge\"" + extra +
            ",\"ipam\":{\"type\":\"host-local\",\"dataDir\":\"" + dataDir + "\",\"ranges\":[[{\"subnet\":\"10.77.0.0/24\"}]]}}";
    }

    private static Shell.Output Run(string command, string config, params (string Key, string Value)[] extra)
    {
        Dictionary<string, string> env = ReferenceHostLocal.Environment(command, "ctr-log", "eth0");
        foreach ((string k, string v) in extra)
        {
            env[k] = v;
        }
        return Shell.Run(s_plugin, [], config, env);
    }

    [Fact]
    public void CniLogFile_GetsOneLinePerCall_AndStdoutIsUnchanged()
    {
        Assert.True(File.Exists(s_plugin), "run eng/publish.sh first: " + s_plugin + " is missing");
        string log = Path.Combine(_work, "cni.log");

        // The same call into two fresh stores, without and with logging: the answers must be byte-identical.
        Shell.Output quiet = Run("ADD", Config("quiet"));
        Shell.Output logged = Run("ADD", Config("logged"), ("CNI_LOG_FILE", log));
        Assert.True(logged.ExitCode == 0, logged.StdOut + logged.StdErr);
        Assert.Equal(quiet.StdOut, logged.StdOut);
        Assert.Equal("", logged.StdErr);
        using (JsonDocument answer = JsonDocument.Parse(logged.StdOut))
        {
            Assert.Equal("10.77.0.2/24", answer.RootElement.GetProperty("ips")[0].GetProperty("address").GetString());
        }

        Shell.Output del = Run("DEL", Config("logged"), ("CNI_LOG_FILE", log));
        Assert.True(del.ExitCode == 0, del.StdOut + del.StdErr);
        Assert.Equal("", del.StdOut);
        Shell.Output bad = Run("ADD", Config("logged").Replace("10.77.0.0/24", "10.77.0.0/99", StringComparison.Ordinal), ("CNI_LOG_FILE", log));
        Assert.Equal(1, bad.ExitCode);
        using (JsonDocument error = JsonDocument.Parse(bad.StdOut))
        {
            Assert.True(error.RootElement.TryGetProperty("code", out _), bad.StdOut);
        }

        string[] lines = File.ReadAllLines(log);
        Assert.Equal(3, lines.Length);
        Assert.Matches(@"^\S+Z info host-local\[\d+\]: ADD container=ctr-log ifname=eth0 network=lognet ok ips=10\.77\.0\.2/24 in \d+\.\d\d ms$", lines[0]);
        Assert.Matches(@" info host-local\[\d+\]: DEL container=ctr-log ifname=eth0 network=lognet ok in \d+\.\d\d ms$", lines[1]);
        Assert.Matches(@" warn host-local\[\d+\]: ADD container=ctr-log ifname=eth0 network=lognet failed code=\d+ \(\w+\): .+ in \d+\.\d\d ms$", lines[2]);
    }

    [Fact]
    public void ConfigLogFileKey_AndLevel_AreHonoured()
    {
        string log = Path.Combine(_work, "from-config.log");
        Shell.Output add = Run("ADD", Config("cfg", ",\"logFile\":\"" + log + "\",\"logLevel\":\"debug\""));
        Assert.True(add.ExitCode == 0, add.StdOut + add.StdErr);
        string[] lines = File.ReadAllLines(log);
        // At debug level the host also logs the call's start before its result line.
        Assert.True(lines.Length >= 2, string.Join('\n', lines));
        Assert.Contains(lines, l => l.Contains(" dbug host-local[", StringComparison.Ordinal));
        Assert.Matches(" info host-local\\[\\d+\\]: ADD container=ctr-log .* ok ips=10\\.77\\.0\\.2/24 ", lines[^1]);

        // CNI_LOG_LEVEL=warn on the node silences the success lines of this network.
        File.Delete(log);
        Shell.Output del = Run("DEL", Config("cfg", ",\"logFile\":\"" + log + "\""), ("CNI_LOG_LEVEL", "warn"));
        Assert.Equal(0, del.ExitCode);
        Assert.True(!File.Exists(log) || new FileInfo(log).Length == 0);
    }

    [Fact]
    public void LoggingOff_NoFileAppears()
    {
        Shell.Output add = Run("ADD", Config("off"));
        Assert.True(add.ExitCode == 0, add.StdOut + add.StdErr);
        Assert.Equal("", add.StdErr);
        Assert.Equal(0, Run("DEL", Config("off")).ExitCode);
        // Only the store's own files: nothing named like a log anywhere under the work directory.
        Assert.DoesNotContain(Directory.EnumerateFiles(_work, "*", SearchOption.AllDirectories), f => f.EndsWith(".log", StringComparison.Ordinal));
        Assert.Equal(Path.Combine(_work, "off"), Assert.Single(Directory.EnumerateFileSystemEntries(_work)));
    }

    [Fact]
    public void Stderr_GetsTheLine_StdoutDoesNot()
    {
        Shell.Output add = Run("ADD", Config("stderr"), ("CNI_LOG_FILE", "stderr"));
        Assert.Equal(0, add.ExitCode);
        using (JsonDocument.Parse(add.StdOut))
        {
        }
        Assert.DoesNotContain("container=", add.StdOut, StringComparison.Ordinal);
        Assert.Matches(@"^\S+Z info host-local\[\d+\]: ADD container=ctr-log ifname=eth0 network=lognet ok ips=10\.77\.0\.2/24 in \d+\.\d\d ms\n$", add.StdErr);
    }

    /// <summary>
    /// A sample plugin gets the line for free, and so does the IPAM plugin it delegates to (exec'd with the same
    /// environment): our bridge wiring a pod in a throwaway namespace logs after host-local, both into one file.
    /// </summary>
    [Fact]
    public void BridgeAndItsDelegatedHostLocal_BothLog_IntoOneFile()
    {
        using var node = new PluginTestNode(("bridge", PluginTestNode.Ours("bridge")), ("host-local", PluginTestNode.Ours("host-local")));
        using var pod = new TestNamespace("log");
        string log = Path.Combine(_work, "chain.log");
        Shell.Output Exec(string command) => Shell.Run("env", ["CNI_COMMAND=" + command, "CNI_CONTAINERID=ctr-br", "CNI_NETNS=" + pod.Path,
            "CNI_IFNAME=eth0", "CNI_PATH=" + node.BinDirectory, "CNI_LOG_FILE=" + log, Path.Combine(node.BinDirectory, "bridge")],
            node.PluginConfig(network: "lognet", ipMasq: false));

        Shell.Output add = Exec("ADD");
        Assert.True(add.ExitCode == 0, add.StdOut + add.StdErr);
        string ip;
        using (JsonDocument result = JsonDocument.Parse(add.StdOut))
        {
            ip = result.RootElement.GetProperty("ips")[0].GetProperty("address").GetString()!;
        }
        Shell.Output del = Exec("DEL");
        Assert.True(del.ExitCode == 0, del.StdOut + del.StdErr);

        string[] lines = File.ReadAllLines(log);
        Assert.Equal(4, lines.Length);
        string escaped = System.Text.RegularExpressions.Regex.Escape(ip);
        Assert.Matches(@" info host-local\[\d+\]: ADD container=ctr-br ifname=eth0 network=lognet ok ips=" + escaped + @" in ", lines[0]);
        Assert.Matches(@" info bridge\[\d+\]: ADD container=ctr-br ifname=eth0 network=lognet ok ips=" + escaped + @" in ", lines[1]);
        Assert.Matches(@" info host-local\[\d+\]: DEL container=ctr-br ifname=eth0 network=lognet ok in ", lines[2]);
        Assert.Matches(@" info bridge\[\d+\]: DEL container=ctr-br ifname=eth0 network=lognet ok in ", lines[3]);
        Assert.NotEqual(0, pod.Exec("ip", "link", "show", "eth0").ExitCode);   // DEL really ran: the pod's end is gone
    }
}
