using System.Text;
using Cni.Net.Plugins;
using Cni.Net.Spec;
using Microsoft.Extensions.Logging;

namespace Cni.Net.Tests.Plugins;

/// <summary>
/// How the plugin host picks the operator's log destination (CNI_LOG_FILE / logFile, CNI_LOG_LEVEL / logLevel) and
/// the one line it writes per call.
/// </summary>
public sealed class PluginLoggingTests : IDisposable
{
    private const string Config = """{"cniVersion":"1.1.0","name":"pods","type":"t"}""";
    private readonly string _dir = Directory.CreateTempSubdirectory("cni-net-hostlog-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Dictionary<string, string> Env(string command, params (string Key, string Value)[] extra)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["CNI_COMMAND"] = command,
            ["CNI_CONTAINERID"] = "ctr1",
            ["CNI_NETNS"] = "/run/netns/x",
            ["CNI_IFNAME"] = "eth0",
            ["CNI_PATH"] = "/opt/cni/bin",
        };
        foreach ((string k, string v) in extra)
        {
            env[k] = v;
        }
        return env;
    }

    private static bool Read(Dictionary<string, string> env, string config, out string destination, out LogLevel level) =>
        PluginLogSettings.TryRead(env, Encoding.UTF8.GetBytes(config), out destination, out level);

    [Fact]
    public void NothingSet_IsOff()
    {
        Assert.False(Read(Env("ADD"), Config, out _, out _));
        Assert.False(Read(Env("ADD"), "", out _, out _));
        Assert.False(Read(Env("ADD"), "{not json", out _, out _));
        Assert.False(Read(Env("ADD", ("CNI_LOG_FILE", "")), Config, out _, out _));
        Assert.Null(PluginLogSettings.Open(Env("ADD"), Encoding.UTF8.GetBytes(Config)));
    }

    [Fact]
    public void ConfigKeys_AreReadWithGoKeyMatching_LastOneWins()
    {
        Assert.True(Read(Env("ADD"), """{"cniVersion":"1.1.0","name":"n","logFile":"/var/log/a.log","logLevel":"debug"}""", out string d, out LogLevel l));
        Assert.Equal(("/var/log/a.log", LogLevel.Debug), (d, l));
        Assert.True(Read(Env("ADD"), """{"LOGFILE":"/x","ipam":{"logFile":"/nested"},"logfile":"/y"}""", out d, out l));
        Assert.Equal(("/y", LogLevel.Information), (d, l));
        // Only the top level counts: an IPAM section's keys belong to the IPAM plugin.
        Assert.False(Read(Env("ADD"), """{"name":"n","ipam":{"logFile":"/nested"}}""", out _, out _));
    }

    [Fact]
    public void Environment_WinsOverTheConfig()
    {
        Assert.True(Read(Env("ADD", ("CNI_LOG_FILE", "/env.log"), ("CNI_LOG_LEVEL", "warn")),
            """{"logFile":"/config.log","logLevel":"debug"}""", out string d, out LogLevel l));
        Assert.Equal(("/env.log", LogLevel.Warning), (d, l));
        // The level alone may come from the environment for a file named in the config.
        Assert.True(Read(Env("ADD", ("CNI_LOG_LEVEL", "error")), """{"logFile":"/config.log","logLevel":"debug"}""", out d, out l));
        Assert.Equal(("/config.log", LogLevel.Error), (d, l));
    }

    [Fact]
    public void LevelNone_IsOff_AndVersionAtInfoOpensNothing()
    {
        string path = Path.Combine(_dir, "v.log");
        Assert.False(Read(Env("ADD", ("CNI_LOG_FILE", path), ("CNI_LOG_LEVEL", "none")), Config, out _, out _));
        Assert.Null(PluginLogSettings.Open(Env("VERSION", ("CNI_LOG_FILE", path)), default));
        Assert.False(File.Exists(path));
        using CniLogProvider? debug = PluginLogSettings.Open(Env("VERSION", ("CNI_LOG_FILE", path), ("CNI_LOG_LEVEL", "debug")), default);
        Assert.NotNull(debug);
        Assert.True(File.Exists(path));
    }

    [Fact]
    public void Stderr_AndAnUnopenableFile()
    {
        using (CniLogProvider? stderr = PluginLogSettings.Open(Env("ADD", ("CNI_LOG_FILE", "STDERR")), default))
        {
            Assert.Equal("stderr", stderr!.Destination);
        }
        // A log file that cannot be opened must not cost the plugin its answer.
        Assert.Null(PluginLogSettings.Open(Env("ADD", ("CNI_LOG_FILE", Path.Combine(_dir, "missing", "x.log"))), default));
    }

    private static async Task<(CniPluginOutcome Outcome, string[] Lines)> InvokeWithLogAsync(string path, CniPluginHostTests.RecordingPlugin plugin,
        Dictionary<string, string> env, string config)
    {
        byte[] stdin = Encoding.UTF8.GetBytes(config);
        CniPluginOutcome outcome;
        using (CniLogProvider? logs = CniPluginHost.OpenProcessLog(new CniPluginHostOptions { LogCategory = "myplugin" }, env, stdin, out ILogger? logger))
        {
            Assert.NotNull(logs);
            outcome = await CniPluginHost.InvokeAsync(plugin, env, stdin, new CniPluginHostOptions(), TestContext.Current.CancellationToken,
                processLogger: logger);
        }
        return (outcome, File.ReadAllLines(path));
    }

    [Fact]
    public async Task OneLinePerCall_WithContainerInterfaceNetworkResultAndDuration()
    {
        string path = Path.Combine(_dir, "calls.log");
        var plugin = new CniPluginHostTests.RecordingPlugin();
        (CniPluginOutcome add, _) = await InvokeWithLogAsync(path, plugin, Env("ADD", ("CNI_LOG_FILE", path)), Config);
        Assert.Equal(0, add.ExitCode);
        (CniPluginOutcome del, string[] lines) = await InvokeWithLogAsync(path, plugin, Env("DEL", ("CNI_LOG_FILE", path)), Config);
        Assert.Equal(0, del.ExitCode);

        Assert.Equal(2, lines.Length);
        string prefix = " info myplugin[" + Environment.ProcessId + "]: ";
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z" + System.Text.RegularExpressions.Regex.Escape(prefix) +
            @"ADD container=ctr1 ifname=eth0 network=pods ok ips=10\.0\.0\.2/24,fd00::2/64 in \d+\.\d\d ms$", lines[0]);
        Assert.Matches(System.Text.RegularExpressions.Regex.Escape(prefix) + @"DEL container=ctr1 ifname=eth0 network=pods ok in \d+\.\d\d ms$", lines[1]);
    }

    [Fact]
    public async Task AFailure_IsOneWarningLineWithCodeAndMessage()
    {
        string path = Path.Combine(_dir, "fail.log");
        var plugin = new CniPluginHostTests.RecordingPlugin { Throw = new CniException(CniErrorCode.InvalidNetworkConfig, "bad key \"x\"") };
        (CniPluginOutcome add, string[] lines) = await InvokeWithLogAsync(path, plugin, Env("ADD", ("CNI_LOG_FILE", path)), Config);
        Assert.Equal(1, add.ExitCode);
        string line = Assert.Single(lines);
        Assert.Matches(@" warn myplugin\[\d+\]: ADD container=ctr1 ifname=eth0 network=pods failed code=7 \(InvalidNetworkConfig\): bad key ""x"" in \d+\.\d\d ms$", line);

        string unexpectedPath = Path.Combine(_dir, "unexpected.log");
        plugin.Throw = new InvalidOperationException("bug");
        (_, lines) = await InvokeWithLogAsync(unexpectedPath, plugin, Env("DEL", ("CNI_LOG_FILE", unexpectedPath)), Config);
        Assert.Matches(@" fail myplugin\[\d+\]: DEL container=ctr1 ifname=eth0 network=pods failed code=\d+ with an unexpected exception in \d+\.\d\d ms$", lines[0]);
        Assert.StartsWith("System.InvalidOperationException: bug", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void AnAuthorsOwnLoggerFactory_TakesPrecedence()
    {
        string path = Path.Combine(_dir, "ignored.log");
        using var own = new TextWriterLoggerFactory(TextWriter.Null);
        Assert.Null(CniPluginHost.OpenProcessLog(new CniPluginHostOptions { LoggerFactory = own }, Env("ADD", ("CNI_LOG_FILE", path)),
            Encoding.UTF8.GetBytes(Config), out ILogger? logger));
        Assert.Null(logger);
        Assert.False(File.Exists(path));
    }
}
